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
