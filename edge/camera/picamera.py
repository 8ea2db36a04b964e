"""Raspberry Pi camera through picamera2 (only importable on a Pi with picamera2 installed)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC

from edge.camera.source import Clock, Frame, SourceError
from wire.messages import CameraState


class PicameraSource:
    def __init__(self, clock: Clock, size: tuple[int, int] = (1280, 720), fps: float = 25.0) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise SourceError("source picamera2 needs python3-picamera2 (apt)") from None
        try:
            self._camera = Picamera2()
            # picamera2's "RGB888" is B,G,R in memory: what OpenCV and ultralytics expect.
            self._camera.configure(self._camera.create_video_configuration(main={"format": "RGB888", "size": size}))
        except (RuntimeError, IndexError) as exc:
            raise SourceError(f"cannot open the Raspberry Pi camera: {exc}") from None
        self._clock = clock
        self._fps = fps
        self._state = CameraState.RECONNECTING
        self._closed = threading.Event()

    @property
    def state(self) -> CameraState:
        return self._state

    @property
    def fps_hint(self) -> float:
        return self._fps

    def frames(self) -> Iterator[Frame]:
        self._camera.start()
        index = 0
        try:
            while not self._closed.is_set():
                image = self._camera.capture_array("main")
                self._state = CameraState.OK
                index += 1
                yield Frame(image, index, self._clock().astimezone(UTC))
        finally:
            self._camera.stop()
            self._state = CameraState.ENDED

    def close(self) -> None:
        self._closed.set()
