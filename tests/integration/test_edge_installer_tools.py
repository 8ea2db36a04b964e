"""Installer tools through the real CLI: messages that say what to do, ``snapshot`` on every
kind of frame source, and the annotated video's labels, codec and detection region."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from edge.annotate import COUNTER_BACKGROUND, REGION_COLOUR, REGION_GAPS, ROLE_COLOURS, VideoAnnotator, to_pixel
from edge.camera import Frame
from edge.config import LineConfig, ZoneConfig
from edge.counting import Observation
from edge.pipeline import FrameResult
from tests.footage import mot_sequence, serve_mjpeg
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "edge.cli"]
HINT = "coordinates are normalised 0..1: divide by the image width and height, e.g. x=320 on a 640-px-wide image is 0.5"


def mpp_edge(*args: str | Path, timeout_s: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout_s, cwd=ROOT)


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("mpp-edge: error: ")
    return lines[0]


def campus(mot15: Path) -> Path:
    return mot15 / "TUD-Campus" / "TUD-Campus.mp4"


def test_pixel_coordinates_on_the_command_line_say_to_divide(mot15: Path) -> None:
    message = one_error_line(mpp_edge("replay", campus(mot15), "--line", "pintu=320,100,320,400"))
    assert HINT in message
    assert "less than or equal" not in message


def test_pixel_coordinates_in_the_config_file_give_one_line_per_line(mot15: Path, tmp_path: Path) -> None:
    config = tmp_path / "device.yaml"
    config.write_text(
        "site: mpp-a\ndevice: cam-1\nsource: x.mp4\nlines:\n  - {name: pintu, points: [[320, 100], [320, 400]]}\n"
    )
    message = one_error_line(mpp_edge("snapshot", "--config", config, tmp_path / "out.png"))
    assert message.count(HINT) == 1
    assert "lines.0.points: 0.x=320, 0.y=100, 1.x=320, 1.y=400 are above 1" in message


def test_a_name_with_a_space_gets_the_rule_in_words(mot15: Path) -> None:
    message = one_error_line(mpp_edge("replay", campus(mot15), "--zone", "antrian loket=0.1,0.1;0.5,0.1;0.5,0.5"))
    assert "'antrian loket' is not a valid name: use 1 to 64 characters: letters, digits, '.', '-' and '_'" in message
    assert "^[" not in message


# --- snapshot ------------------------------------------------------------------------------

LINE = {"name": "pintu", "points": [[0.40, 0.55], [0.40, 1.00]]}
QUEUE = {"name": "antri", "role": "queue", "gerai": "dukcapil", "points": [[0.6, 0.6], [0.9, 0.6], [0.9, 0.95]]}


def device_yaml(folder: Path, source: str | Path, **extra: object) -> Path:
    path = folder / "device.yaml"
    path.write_text(
        yaml.safe_dump(
            {"site": "mpp-a", "device": "cam-1", "source": str(source), "lines": [LINE], "zones": [QUEUE], **extra}
        )
    )
    return path


def assert_snapshot(png: Path, size: tuple[int, int]) -> None:
    image = cv2.imread(str(png))
    assert image is not None, f"{png} is not a readable PNG"
    assert (image.shape[1], image.shape[0]) == size
    w, h = size
    # Along the line's lower half (clear of its labels and arrow) every pixel has the entrance colour.
    for y in (0.85, 0.9, 0.95):
        x_px, y_px = to_pixel(0.40, y, w, h)
        assert tuple(image[y_px, x_px]) == ROLE_COLOURS["entrance"], (y, image[y_px, x_px])
    # The queue zone's right edge in the queue colour.
    x_px, y_px = to_pixel(0.9, 0.8, w, h)
    assert tuple(image[y_px, x_px]) == ROLE_COLOURS["queue"]


def test_snapshot_of_a_video_file(mot15: Path, tmp_path: Path) -> None:
    out = tmp_path / "snap.png"
    done = mpp_edge("snapshot", "--config", device_yaml(tmp_path, campus(mot15)), out)
    assert done.returncode == 0, done.stderr
    assert "640x480" in done.stdout
    assert_snapshot(out, (640, 480))


def test_snapshot_of_an_image_folder(mot15: Path, tmp_path: Path) -> None:
    sequence = mot_sequence(mot15, tmp_path / "seq", 3, "25")
    out = tmp_path / "snap.png"
    done = mpp_edge("snapshot", "--config", device_yaml(tmp_path, sequence), out)
    assert done.returncode == 0, done.stderr
    assert_snapshot(out, (640, 480))


@pytest.fixture
def mjpeg_stream(mot15: Path) -> Iterator[str]:
    with serve_mjpeg(campus(mot15)) as url:
        yield url


def test_snapshot_of_a_network_stream(mjpeg_stream: str, tmp_path: Path) -> None:
    out = tmp_path / "snap.png"
    done = mpp_edge("snapshot", "--config", device_yaml(tmp_path, mjpeg_stream), out, "--timeout-s", "20")
    assert done.returncode == 0, done.stderr
    assert_snapshot(out, (640, 480))


def test_snapshot_of_an_unreachable_camera_says_so_after_the_timeout(tmp_path: Path) -> None:
    config = device_yaml(tmp_path, f"rtsp://user:secret@127.0.0.1:{free_port()}/live")
    done = mpp_edge("snapshot", "--config", config, tmp_path / "snap.png", "--timeout-s", "2")
    assert done.returncode == 1
    assert "no frame from the stream source within 2 s" in done.stderr
    assert "secret" not in done.stderr
    assert not (tmp_path / "snap.png").exists()


# The region of LINE and QUEUE at 640x480 (edge.counting.region): x 192-639, y 136-479 px.
REGION_LEFT_PX, REGION_TOP_PX = 192, 136


def test_snapshot_with_the_crop_shows_the_detection_region(mot15: Path, tmp_path: Path) -> None:
    def top_edge(crop: bool) -> tuple[np.ndarray, np.ndarray]:
        out = tmp_path / f"snap-{crop}.png"
        done = mpp_edge("snapshot", "--config", device_yaml(tmp_path, campus(mot15), detection_crop=crop), out)
        assert done.returncode == 0, done.stderr
        assert_snapshot(out, (640, 480))  # lines and zones as without the crop
        image = cv2.imread(str(out))
        assert image is not None
        edge = image[REGION_TOP_PX, REGION_LEFT_PX:630]
        return np.all(edge == REGION_COLOUR, axis=1), np.all(edge == REGION_GAPS, axis=1)

    # Dashed: about half of the top edge in the dashes' colour, the rest in the gaps' (a PNG
    # is lossless).
    dashes, gaps = top_edge(True)
    assert 0.4 < dashes.mean() < 0.6 and (dashes | gaps).all()
    dashes, gaps = top_edge(False)
    assert dashes.mean() < 0.05 and gaps.mean() < 0.05


def test_snapshot_wants_a_png_name(mot15: Path, tmp_path: Path) -> None:
    message = one_error_line(mpp_edge("snapshot", "--config", device_yaml(tmp_path, campus(mot15)), tmp_path / "a.jpg"))
    assert "name it *.png" in message


# --- annotated video -----------------------------------------------------------------------


@pytest.mark.slow
def test_annotated_video_reports_its_codec_and_labels_have_a_background(
    mot15: Path, model_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "check.mp4"
    config = device_yaml(tmp_path, "ignored.mp4")
    done = mpp_edge("replay", campus(mot15), "--config", config, "--model", model_path, "--json", "--annotate", out)
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == {"frames", "fps", "lines", "zones"}  # stdout unchanged
    reported = [line for line in done.stderr.splitlines() if line.startswith(f"mpp-edge: annotated video {out}: ")]
    assert len(reported) == 1, done.stderr
    # The MP4's sample description names the codec the file really holds.
    written = [tag for tag in (b"avc1", b"mp4v") if tag in out.read_bytes()]
    assert len(written) == 1
    expected = {b"avc1": "H.264 (avc1)", b"mp4v": "MPEG-4 Part 2 (mp4v)"}[written[0]]
    assert reported[0].endswith(expected)
    capture = cv2.VideoCapture(str(out))
    if "mp4v" in expected:
        assert "no H.264 encoder" in done.stderr  # the warning says why
    ok, annotated = capture.read()
    capture.release()
    source = cv2.VideoCapture(str(campus(mot15)))
    _, original = source.read()
    source.release()
    assert ok
    # The frame counter sits on a filled box at the bottom-left: mostly background colour
    # (text aside, after lossy compression), where the clip shows light gravel.
    h = annotated.shape[0]
    box = annotated[h - 16 : h - 2, 2:50].astype(int)
    plain = original[h - 16 : h - 2, 2:50].astype(int)
    near = np.abs(box - np.array(COUNTER_BACKGROUND)).max(axis=2) < 60
    assert near.mean() > 0.6, near.mean()
    assert (np.abs(plain - np.array(COUNTER_BACKGROUND)).max(axis=2) < 60).mean() < 0.2
    # The queue zone's label box, filled with the queue colour, above its top-left corner.
    x_px, y_px = to_pixel(0.6, 0.6, 640, 480)
    label = annotated[y_px - 12 : y_px - 5, x_px + 1 : x_px + 3].astype(int)
    assert (np.abs(label - np.array(ROLE_COLOURS["queue"])).max(axis=2) < 60).mean() > 0.8


def test_annotated_video_with_the_crop_shows_the_detection_region(tmp_path: Path) -> None:
    lines, zones = (LineConfig.model_validate(LINE),), (ZoneConfig.model_validate(QUEUE),)
    grey = np.full((480, 640, 3), 90, np.uint8)

    def first_frame(crop: bool) -> np.ndarray:
        out = tmp_path / f"crop-{crop}.mp4"
        annotator = VideoAnnotator(out, lines, zones, fps=10.0, crop=crop)
        for index in range(1, 4):
            frame = Frame(grey.copy(), index, datetime(2026, 1, 5, 1, 0, index, tzinfo=UTC))
            annotator.on_frame(FrameResult(frame, True, Observation(())))
        annotator.close()
        capture = cv2.VideoCapture(str(out))
        ok, image = capture.read()
        capture.release()
        assert ok
        return image.astype(int)

    def light(pixels: np.ndarray) -> float:
        return float((pixels.min(axis=-1) > 170).mean())

    cropped, plain = first_frame(True), first_frame(False)
    # The dashed outline along the region's top and left edges (lossy: nearly white, not exactly).
    top = slice(REGION_LEFT_PX + 8, 630)
    left = slice(REGION_TOP_PX + 8, 470)
    assert light(cropped[REGION_TOP_PX, top]) > 0.3 and light(cropped[left, REGION_LEFT_PX]) > 0.3
    assert light(plain[REGION_TOP_PX, top]) == 0.0 and light(plain[left, REGION_LEFT_PX]) == 0.0
    # Its label on a light box above the top-left corner.
    label = cropped[REGION_TOP_PX - 16 : REGION_TOP_PX - 4, REGION_LEFT_PX + 4 : REGION_LEFT_PX + 100]
    assert light(label) > 0.5
    assert light(plain[REGION_TOP_PX - 16 : REGION_TOP_PX - 4, REGION_LEFT_PX + 4 : REGION_LEFT_PX + 100]) == 0.0
