"""The picamera2 adapter without a Pi: recorded frames behind the adapter's camera seam.

picamera2 imports libcamera at module level (not on PyPI), so its own classes cannot load
here; a camera that plays back a recorded MOT15 sequence stands in for ``Picamera2`` at
``open_camera``, with the same ``start``/``capture_array(wait=)``/``stop``/``close`` calls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import pytest

from edge.camera import SourceError
from edge.camera.picamera import PicameraSource
from wire.messages import CameraState

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def recorded(mot15: Path) -> list[Any]:
    capture = cv2.VideoCapture(str(mot15 / "TUD-Campus" / "TUD-Campus.mp4"))
    frames = [capture.read()[1] for _ in range(12)]
    capture.release()
    assert all(f is not None and f.shape == (480, 640, 3) for f in frames)
    return frames


class RecordedCamera:
    """Plays ``frames``; raises ``fail_with`` once ``fail_after`` frames were captured."""

    def __init__(self, frames: list[Any], fail_after: int | None = None, fail_with: Exception | None = None) -> None:
        self._frames = iter(frames)
        self._fail_after, self._fail_with = fail_after, fail_with
        self.captured = 0
        self.calls: list[str] = []
        self.waits: list[float | None] = []

    def start(self) -> None:
        self.calls.append("start")

    def capture_array(self, name: str = "main", wait: float | None = None) -> Any:
        assert name == "main"
        self.waits.append(wait)
        if self._fail_after is not None and self.captured == self._fail_after:
            raise self._fail_with or RuntimeError("Camera frontend has timed out!")
        self.captured += 1
        return next(self._frames)

    def stop(self) -> None:
        self.calls.append("stop")

    def close(self) -> None:
        self.calls.append("close")


class Opener:
    """``open_camera``: hands out ``cameras`` in turn; ``None`` is a failed open."""

    def __init__(self, cameras: list[RecordedCamera | None]) -> None:
        self._cameras: Iterator[RecordedCamera | None] = iter(cameras)
        self.opened: list[tuple[tuple[int, int], float, float]] = []

    def __call__(self, size: tuple[int, int], fps: float) -> RecordedCamera:
        self.opened.append((size, fps, time.monotonic()))
        camera = next(self._cameras)
        if camera is None:
            raise SourceError("cannot open the Raspberry Pi camera: no cameras available")
        return camera


def tick_clock(step_s: float) -> Any:
    """A clock that advances ``step_s`` per reading, like a camera at 1/step_s fps."""
    count = iter(range(10**6))
    return lambda: START + timedelta(seconds=next(count) * step_s)


def test_frames_are_numbered_and_stamped_at_capture(recorded: list[Any]) -> None:
    camera = RecordedCamera(recorded)
    opener = Opener([camera])
    source = PicameraSource(tick_clock(0.04), size=(640, 480), fps=25.0, open_camera=opener, read_timeout_s=2.0)
    assert opener.opened[0][:2] == ((640, 480), 25.0) and source.fps_hint == 25.0
    frames = source.frames()
    got = [next(frames) for _ in range(5)]
    assert [f.index for f in got] == [1, 2, 3, 4, 5]
    assert [f.ts for f in got] == [START + timedelta(seconds=0.04 * i) for i in range(5)]
    assert got[0].image is recorded[0] and (got[0].width, got[0].height) == (640, 480)
    assert source.state is CameraState.OK
    assert camera.waits == [2.0] * 5  # every capture is bounded: a stalled camera cannot hang the loop
    source.close()
    assert list(frames) == []
    assert source.state is CameraState.ENDED
    assert camera.calls == ["start", "stop", "close"]


def test_lost_camera_is_reopened_with_backoff_and_numbering_goes_on(recorded: list[Any]) -> None:
    first = RecordedCamera(recorded[:3], fail_after=3)
    second = RecordedCamera(recorded[3:], fail_after=2, fail_with=TimeoutError())
    third = RecordedCamera(recorded[5:])
    # after the first loss: two failed opens (no camera on the bus yet), then the second camera
    opener = Opener([first, None, None, second, third])
    source = PicameraSource(
        tick_clock(0.04), open_camera=opener, backoff_initial_s=0.05, backoff_max_s=0.1, read_timeout_s=1.0
    )
    frames = source.frames()
    got = [next(frames) for _ in range(3)]
    assert source.state is CameraState.OK
    got += [next(frames) for _ in range(4)]  # 2 from the second camera, 2 from the third
    source.close()
    assert list(frames) == []

    assert [f.index for f in got] == list(range(1, 8))
    assert [f.image is recorded[i] for i, f in enumerate(got)] == [True] * 7
    assert source.reconnects == 2
    assert first.calls == ["start", "stop", "close"] and second.calls == ["start", "stop", "close"]
    assert third.calls == ["start", "stop", "close"]
    opened_at = [t for _, _, t in opener.opened]
    # waits 0.05, 0.1, 0.1 (capped) before the opens after the first loss; reset to 0.05 after frames
    assert opened_at[3] - opened_at[0] >= 0.25 - 0.01
    assert opened_at[4] - opened_at[3] >= 0.05 - 0.01
    assert source.state is CameraState.ENDED


def test_no_camera_at_start_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="no cameras available"):
        PicameraSource(tick_clock(0.04), open_camera=Opener([None]))


def test_without_picamera2_installed_the_error_says_what_to_install() -> None:
    # Debian's python3-picamera2 only exists in Raspberry Pi OS's archive.
    with pytest.raises(SourceError, match="python3-picamera2"):
        PicameraSource(tick_clock(0.04))


def test_close_during_reconnect_wait_ends_frames_promptly(recorded: list[Any]) -> None:
    camera = RecordedCamera(recorded[:1], fail_after=1)
    source = PicameraSource(
        tick_clock(0.04), open_camera=Opener([camera] + [None] * 100), backoff_initial_s=30.0, read_timeout_s=1.0
    )
    got: list[object] = []
    reader = threading.Thread(target=lambda: got.extend(source.frames()))
    reader.start()
    deadline = time.monotonic() + 5
    while source.reconnects == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # past the bookkeeping, into the 30 s wait
    assert source.state is CameraState.RECONNECTING
    started = time.monotonic()
    source.close()
    reader.join(timeout=5)
    assert not reader.is_alive() and time.monotonic() - started < 5
    assert len(got) == 1 and source.state is CameraState.ENDED


class PacedCamera(RecordedCamera):
    """A camera at 100 fps: each capture blocks 10 ms, as the sensor does."""

    def capture_array(self, name: str = "main", wait: float | None = None) -> Any:
        time.sleep(0.01)
        return super().capture_array(name, wait)


def test_an_idle_scene_gets_a_frame_per_idle_interval_and_every_frame_again_when_busy(recorded: list[Any]) -> None:
    camera = PacedCamera(recorded * 20)
    source = PicameraSource(tick_clock(0.01), open_camera=Opener([camera]), read_timeout_s=1.0)
    frames = source.frames()
    next(frames)
    source.set_idle_interval(0.1)  # what an idle gate asks for: about ten frames a second
    before = camera.captured
    idle = [next(frames) for _ in range(3)]
    per_frame = (camera.captured - before) / len(idle)
    assert per_frame >= 5  # the sensor ran on; most frames never reached the gate
    source.set_idle_interval(None)  # busy: every frame again
    before = camera.captured
    busy = [next(frames) for _ in range(5)]
    assert camera.captured - before == 5
    assert [f.index for f in idle + busy] == list(range(2, 10))  # numbering counts delivered frames
    source.close()
    assert list(frames) == []
