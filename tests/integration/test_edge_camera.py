"""Frame sources against real files and a real (unreachable) stream."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.camera import SourceError, open_source
from edge.camera.opencv import LiveCaptureSource
from edge.config import EdgeConfig
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


def test_unreachable_stream_retries_with_backoff_until_closed() -> None:
    url = f"rtsp://user:secret@127.0.0.1:{free_port()}/live"
    source = LiveCaptureSource(url, clock=lambda: datetime.now(UTC), backoff_initial_s=0.2, backoff_max_s=0.4)
    got: list[object] = []
    reader = threading.Thread(target=lambda: got.extend(source.frames()))
    reader.start()
    time.sleep(2.0)
    assert source.state is CameraState.RECONNECTING
    assert reader.is_alive()  # a lost stream never ends the loop on its own
    started = time.monotonic()
    source.close()
    reader.join(timeout=10)
    assert not reader.is_alive() and time.monotonic() - started < 10
    assert got == []
