"""Frame sources against real files and a real (unreachable) stream."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.camera import SourceError, open_source
from edge.camera.opencv import LiveCaptureSource
from edge.config import EdgeConfig
from tests.footage import mot_sequence
from tests.services import free_port
from wire.messages import CameraState

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_file_frames_are_numbered_from_one_and_timed_from_video_start(mot15: Path) -> None:
    video = mot15 / "TUD-Campus" / "TUD-Campus.mp4"
    config = EdgeConfig(site="s", device="d", source=str(video), video_start=START)
    source = open_source(config, clock=lambda: datetime(2000, 1, 1, tzinfo=UTC))
    frames = list(source.frames())
    assert [f.index for f in frames] == list(range(1, 72))
    assert frames[0].ts == START
    assert frames[25].ts == START + timedelta(seconds=1)
    assert frames[0].image.shape == (480, 640, 3)
    assert source.state is CameraState.ENDED


def test_file_without_video_start_starts_now(mot15: Path) -> None:
    video = mot15 / "TUD-Campus" / "TUD-Campus.mp4"
    source = open_source(EdgeConfig(site="s", device="d", source=str(video)), clock=lambda: START)
    assert next(iter(source.frames())).ts == START
    source.close()


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="video not found"):
        open_source(EdgeConfig(site="s", device="d", source=str(tmp_path / "x.mp4")), clock=lambda: START)


def test_unreachable_stream_retries_with_backoff_until_closed(caplog: pytest.LogCaptureFixture) -> None:
    url = f"rtsp://user:secret@127.0.0.1:{free_port()}/live"
    source = LiveCaptureSource(url, clock=lambda: datetime.now(UTC), backoff_initial_s=0.2, backoff_max_s=0.4)
    got: list[object] = []
    reader = threading.Thread(target=lambda: got.extend(source.frames()))
    with caplog.at_level(logging.INFO, "edge.camera.opencv"):
        reader.start()
        time.sleep(2.0)
    assert source.state is CameraState.RECONNECTING
    # Several attempts, one warning: an unplugged camera retries for days (the rest are counted in the
    # next line, at most every 5 minutes); the stream's password never in the log.
    attempts = [r for r in caplog.records if "cannot open" in r.getMessage()]
    assert len(attempts) == 1 and attempts[0].levelno == logging.WARNING, [r.getMessage() for r in caplog.records]
    assert "secret" not in caplog.text and "rtsp://127.0.0.1" in caplog.text
    assert reader.is_alive()  # a lost stream never ends the loop on its own
    started = time.monotonic()
    source.close()
    reader.join(timeout=10)
    assert not reader.is_alive() and time.monotonic() - started < 10
    assert got == []


def test_image_folder_replays_at_the_sequence_frame_rate(mot15: Path, tmp_path: Path) -> None:
    sequence = mot_sequence(mot15, tmp_path / "SEQ", 12, "10")
    for path in (sequence, sequence / "img1"):  # the sequence folder or its image folder
        config = EdgeConfig(site="s", device="d", source=str(path), video_start=START)
        source = open_source(config, clock=lambda: START)
        assert source.fps_hint == 10.0
        frames = list(source.frames())
        assert [f.index for f in frames] == list(range(1, 13))
        assert frames[10].ts == START + timedelta(seconds=1)
        assert frames[0].image.shape == (480, 640, 3)
        assert source.state is CameraState.ENDED


def test_image_folder_without_seqinfo_plays_at_25_fps(mot15: Path, tmp_path: Path) -> None:
    sequence = mot_sequence(mot15, tmp_path / "SEQ", 3, None)
    source = open_source(EdgeConfig(site="s", device="d", source=str(sequence)), clock=lambda: START)
    assert source.fps_hint == 25.0
    assert [f.ts for f in source.frames()][-1] == START + timedelta(seconds=2 / 25)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("empty", "no images"),
        ("corrupt image", "cannot decode image .*000002.jpg"),
        ("bad seqinfo", "no readable \\[Sequence\\] frameRate"),
        ("zero frame rate", "frameRate 0.0 is not a frame rate"),
    ],
)
def test_bad_image_folder_is_a_source_error(mot15: Path, tmp_path: Path, damage: str, message: str) -> None:
    sequence = mot_sequence(mot15, tmp_path / "SEQ", 3, "0" if damage == "zero frame rate" else "25")
    if damage == "empty":
        for image in (sequence / "img1").iterdir():
            image.unlink()
    elif damage == "corrupt image":
        (sequence / "img1" / "000002.jpg").write_bytes(b"not a jpeg")
    elif damage == "bad seqinfo":
        (sequence / "seqinfo.ini").write_text("frameRate=25\n")  # no [Sequence] section
    with pytest.raises(SourceError, match=message):
        # Images are read when looked at (a corrupt one that nothing looks at stops nothing).
        for frame in open_source(EdgeConfig(site="s", device="d", source=str(sequence)), clock=lambda: START).frames():
            assert frame.image is not None


def test_file_frames_decode_on_demand_to_the_same_pixels(mot15: Path) -> None:
    import cv2
    import numpy as np

    video = mot15 / "TUD-Campus" / "TUD-Campus.mp4"
    capture = cv2.VideoCapture(str(video))
    expected = [capture.read()[1] for _ in range(71)]
    capture.release()
    source = open_source(EdgeConfig(site="s", device="d", source=str(video)), clock=lambda: START)
    looked_at = {1, 2, 7, 30, 31, 71}
    skipped = None
    for frame in source.frames():
        assert (frame.width, frame.height) == (640, 480)  # known without decoding
        if frame.index in looked_at:
            # Frames in between were only grabbed; the one looked at is the same as a full read.
            assert np.array_equal(frame.image, expected[frame.index - 1])
            preview = frame.preview(80)
            assert preview.shape == (60, 80) and preview.dtype == np.uint8
        elif frame.index == 3:
            skipped = frame
            assert not frame.decoded
    assert skipped is not None
    with pytest.raises(RuntimeError, match="decoded after frame"):
        skipped.image  # noqa: B018 - too late: the capture has moved on


def test_image_folder_previews_are_reduced_decodes_of_one_size(mot15: Path, tmp_path: Path) -> None:
    import numpy as np

    sequence = mot_sequence(mot15, tmp_path / "SEQ", 4, "25")
    source = open_source(EdgeConfig(site="s", device="d", source=str(sequence)), clock=lambda: START)
    previews = []
    for frame in source.frames():
        previews.append(frame.preview(80))
        assert frame.index == 1 or not frame.decoded  # the preview did not read the full image
        full = frame.image
        assert full.shape == (480, 640, 3)
    assert {p.shape for p in previews} == {(60, 80)}
    # A reduced decode and an area-averaged full decode agree to a few grey levels.
    assert float(np.abs(previews[1].astype(float) - previews[0].astype(float)).mean()) < 10
