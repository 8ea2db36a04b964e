"""Test footage built from the shared clips."""

from __future__ import annotations

import contextlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2

from tests.services import free_port


def mot_sequence(mot15: Path, folder: Path, frames: int, frame_rate: str | None) -> Path:
    """A MOTChallenge-layout sequence cut from TUD-Campus: ``img1/000001.jpg``..., its
    ``gt/gt.txt``, and a ``seqinfo.ini`` with ``frame_rate`` (none if None)."""
    (folder / "img1").mkdir(parents=True)
    capture = cv2.VideoCapture(str(mot15 / "TUD-Campus" / "TUD-Campus.mp4"))
    for index in range(1, frames + 1):
        ok, image = capture.read()
        if not ok:
            raise ValueError(f"TUD-Campus has fewer than {frames} frames")
        cv2.imwrite(str(folder / "img1" / f"{index:06d}.jpg"), image)
    capture.release()
    (folder / "gt").mkdir()
    shutil.copy(mot15 / "TUD-Campus" / "gt" / "gt.txt", folder / "gt" / "gt.txt")
    if frame_rate is not None:
        (folder / "seqinfo.ini").write_text(f"[Sequence]\nname=cut\nimDir=img1\nframeRate={frame_rate}\n")
    return folder


def wide_camera(
    mot15: Path, folder: Path, name: str, width: int, height: int, frames: int | None = None
) -> tuple[Path, Path, int, int]:
    """The clip ``name`` pasted at its native size into the middle of a ``width`` x ``height``
    frame (over a blurred copy of itself: no person there), as a wide camera whose scene is a
    small part of the frame sees it: the video, its ground truth shifted into the frame, and
    the clip's offset in pixels. ``frames``: only the first so many."""
    folder.mkdir(parents=True, exist_ok=True)
    capture = cv2.VideoCapture(str(mot15 / name / f"{name}.mp4"))
    fps = capture.get(cv2.CAP_PROP_FPS)
    video = folder / f"{name}-{width}x{height}.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    ox = oy = w = h = 0
    written = 0
    while (frames is None or written < frames) and (read := capture.read())[0]:
        image = read[1]
        written += 1
        h, w = image.shape[:2]
        ox, oy = (width - w) // 2, (height - h) // 2
        wide = cv2.resize(cv2.resize(image, (16, 12), interpolation=cv2.INTER_AREA), (width, height))
        wide[oy : oy + h, ox : ox + w] = image
        writer.write(wide)
    capture.release()
    writer.release()
    gt = folder / "gt.txt"
    rows = []
    for row in (mot15 / name / "gt" / "gt.txt").read_text().splitlines():
        cells = row.split(",")
        # Clipped to the clip first, as the clip's own truth is (edge.evaluation.load_mot).
        left, top = float(cells[2]), float(cells[3])
        right, bottom = min(left + float(cells[4]), w), min(top + float(cells[5]), h)
        left, top = max(left, 0.0), max(top, 0.0)
        cells[2:6] = [str(left + ox), str(top + oy), str(right - left), str(bottom - top)]
        rows.append(",".join(cells))
    gt.write_text("\n".join(rows) + "\n")
    return video, gt, ox, oy


@contextlib.contextmanager
def serve_mjpeg(video: Path, fps: float = 25.0) -> Iterator[str]:
    """``video`` as an endless MJPEG-over-HTTP stream, as many IP cameras serve it: a network
    camera as far as OpenCV's stream reader goes. Yields its URL."""
    capture = cv2.VideoCapture(str(video))
    jpegs = []
    while (read := capture.read())[0]:
        jpegs.append(cv2.imencode(".jpg", read[1])[1].tobytes())
    capture.release()
    stop = threading.Event()

    class Stream(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            index = 0
            with contextlib.suppress(OSError):
                while not stop.is_set():
                    jpeg = jpegs[index % len(jpegs)]
                    head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                    self.wfile.write(head.encode() + jpeg + b"\r\n")
                    index += 1
                    stop.wait(1 / fps)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Stream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/stream.mjpg"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
