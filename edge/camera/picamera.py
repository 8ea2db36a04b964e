"""Raspberry Pi camera through picamera2 (only importable on a Pi with picamera2 installed).

Each frame is captured as a request holding two images from the ISP: ``main`` (BGR, the
size the detector sees) and ``lores`` (small YUV420, whose luma plane is the idle gate's
preview). Pixels are copied out only when looked at; while the scene is idle
(``set_idle_interval``) most requests are released untouched.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC
from functools import partial
from typing import Any

from edge.camera.opencv import preview_size, shrink
from edge.camera.source import Clock, Frame, SourceError
from wire.messages import CameraState

# Width of the low-resolution stream; its height keeps the main stream's aspect ratio.
LORES_WIDTH = 320


class PicameraSource:
    def __init__(self, clock: Clock, size: tuple[int, int] = (1280, 720), fps: float = 25.0) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise SourceError("source picamera2 needs python3-picamera2 (apt)") from None
        # YUV420 wants even sizes.
        self._lores_size = (LORES_WIDTH, 2 * round(LORES_WIDTH * size[1] / size[0] / 2))
        try:
            self._camera = Picamera2()
            # picamera2's "RGB888" is B,G,R in memory: what OpenCV and ultralytics expect.
            self._camera.configure(
                self._camera.create_video_configuration(
                    main={"format": "RGB888", "size": size}, lores={"format": "YUV420", "size": self._lores_size}
                )
            )
        except (RuntimeError, IndexError) as exc:
            raise SourceError(f"cannot open the Raspberry Pi camera: {exc}") from None
        self._clock = clock
        self._size = size
        self._fps = fps
        self._state = CameraState.RECONNECTING
        self._closed = threading.Event()
        self._idle_interval_s: float | None = None

    @property
    def state(self) -> CameraState:
        return self._state

    @property
    def fps_hint(self) -> float:
        return self._fps

    def set_idle_interval(self, interval_s: float | None) -> None:
        self._idle_interval_s = interval_s

    def _lores_preview(self, request: Any, frame: Frame, width_px: int) -> Any:
        luma = request.make_array("lores")[: self._lores_size[1], : self._lores_size[0]]
        return shrink(luma, preview_size(frame, width_px))

    def frames(self) -> Iterator[Frame]:
        self._camera.start()
        index = 0
        delivered_s = -float("inf")
        try:
            while not self._closed.is_set():
                request = self._camera.capture_request()
                try:
                    self._state = CameraState.OK
                    interval_s, now_s = self._idle_interval_s, time.monotonic()
                    if index and interval_s is not None and now_s - delivered_s < interval_s:
                        continue
                    delivered_s = now_s
                    index += 1
                    # Valid until the request is released, i.e. until the next frame is asked for.
                    yield Frame(
                        None,
                        index,
                        self._clock().astimezone(UTC),
                        decode=partial(request.make_array, "main"),
                        preview=partial(self._lores_preview, request),
                        size=self._size,
                    )
                finally:
                    request.release()
        finally:
            self._camera.stop()
            self._state = CameraState.ENDED

    def close(self) -> None:
        self._closed.set()
