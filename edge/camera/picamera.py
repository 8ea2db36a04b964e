"""Raspberry Pi camera through picamera2 (python3-picamera2 from Raspberry Pi OS's archive)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC
from typing import Any, Protocol

from edge.camera.source import Clock, Frame, SourceError
from wire.messages import CameraState

log = logging.getLogger(__name__)


class Camera(Protocol):
    """The part of ``picamera2.Picamera2`` this adapter uses (a configured camera)."""

    def start(self) -> None: ...

    def capture_array(self, name: str = "main", wait: float | None = None) -> Any: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


# (size, fps) -> a configured camera; raises SourceError when there is none.
OpenCamera = Callable[[tuple[int, int], float], Camera]


def open_picamera2(size: tuple[int, int], fps: float) -> Camera:
    try:
        from picamera2 import Picamera2
    except ImportError:
        raise SourceError("source picamera2 needs python3-picamera2 (apt)") from None
    try:
        camera = Picamera2()
        frame_us = int(1_000_000 / fps)
        # picamera2's "RGB888" is B,G,R in memory: what OpenCV and ultralytics expect.
        # FrameDurationLimits holds the sensor at the configured rate (microseconds per frame).
        camera.configure(
            camera.create_video_configuration(
                main={"format": "RGB888", "size": size}, controls={"FrameDurationLimits": (frame_us, frame_us)}
            )
        )
    except (RuntimeError, IndexError, OSError) as exc:
        raise SourceError(f"cannot open the Raspberry Pi camera: {exc}") from None
    return camera  # type: ignore[no-any-return]


def _shut(camera: Camera) -> None:
    for step in (camera.stop, camera.close):
        try:
            step()
        except (RuntimeError, OSError) as exc:
            log.debug("closing the camera: %s", exc)


class PicameraSource:
    """Frames from the Pi camera, stamped by ``clock`` as they arrive.

    ``capture_array`` blocks until the sensor's next frame, so the camera paces the loop.
    The first open fails loudly (no camera, no picamera2: a setup error); a camera lost
    later (ribbon cable, libcamera error, no frame within ``read_timeout_s``) is reopened
    with exponential backoff, never fatal.
    """

    def __init__(
        self,
        clock: Clock,
        size: tuple[int, int] = (1280, 720),
        fps: float = 25.0,
        *,
        open_camera: OpenCamera = open_picamera2,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 30.0,
        read_timeout_s: float = 10.0,
    ) -> None:
        self._open = open_camera
        self._size, self._fps = size, fps
        self._camera: Camera | None = open_camera(size, fps)
        self._clock = clock
        self._backoff_initial_s, self._backoff_max_s = backoff_initial_s, backoff_max_s
        self._read_timeout_s = read_timeout_s
        self._state = CameraState.RECONNECTING
        self._closed = threading.Event()
        self._idle_interval_s: float | None = None
        self.reconnects = 0

    def set_idle_interval(self, interval_s: float | None) -> None:
        """While the scene is idle, deliver a frame only every ``interval_s`` (None: every frame):
        the frames in between are captured (the sensor runs on) but never reach the gate."""
        self._idle_interval_s = interval_s

    @property
    def state(self) -> CameraState:
        return self._state

    @property
    def fps_hint(self) -> float:
        return self._fps

    def _reopen(self, delay: float) -> Camera | None:
        try:
            return self._open(self._size, self._fps)
        except SourceError as exc:
            log.warning("%s; retrying in %.0f s", exc, delay)
            return None

    def frames(self) -> Iterator[Frame]:
        index = 0
        delivered_s = -float("inf")
        delay = self._backoff_initial_s
        camera, self._camera = self._camera, None
        try:
            while not self._closed.is_set():
                if camera is None:
                    camera = self._reopen(delay)
                if camera is not None:
                    try:
                        camera.start()
                        while not self._closed.is_set():
                            # A number as ``wait`` is a timeout: a stalled camera raises TimeoutError.
                            image = camera.capture_array("main", wait=self._read_timeout_s)
                            if self._state != CameraState.OK:
                                log.info("Raspberry Pi camera delivering frames")
                                self._state, delay = CameraState.OK, self._backoff_initial_s
                            interval_s, now_s = self._idle_interval_s, time.monotonic()
                            if index and interval_s is not None and now_s - delivered_s < interval_s:
                                continue
                            delivered_s = now_s
                            index += 1
                            yield Frame(image, index, self._clock().astimezone(UTC))
                    except (RuntimeError, OSError) as exc:
                        _shut(camera)
                        camera = None
                        self.reconnects += 1
                        log.warning("lost the Raspberry Pi camera (%s); reopening in %.0f s", exc, delay)
                    else:
                        break  # closed
                self._state = CameraState.RECONNECTING
                self._closed.wait(delay)
                delay = min(delay * 2, self._backoff_max_s)
        finally:
            if camera is not None:
                _shut(camera)
            self._state = CameraState.ENDED

    def close(self) -> None:
        self._closed.set()
