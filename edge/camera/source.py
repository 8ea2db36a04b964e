"""The frame seam: what every camera adapter yields."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from wire.messages import CameraState

Clock = Callable[[], datetime]


class SourceError(Exception):
    """A frame source that cannot deliver at all (missing or corrupt file, bad device)."""


class Frame:
    """One camera frame. Its pixels may be decoded only when first asked for.

    A source that can grab a frame without decoding it (a video file, a stream, picamera2)
    hands out ``decode`` instead of the image: a frame nobody looks at costs no colour
    conversion, and the idle gate can ask for a cheap small ``preview`` instead. Such a frame
    can only be decoded while it is the source's current one (until the next is read).
    """

    __slots__ = ("_decode", "_image", "_preview", "_size", "index", "ts")

    def __init__(
        self,
        image: Any,
        index: int,
        ts: datetime,
        *,
        decode: Callable[[], Any] | None = None,
        preview: Callable[[Frame, int], Any] | None = None,
        size: tuple[int, int] | None = None,
    ) -> None:
        # BGR pixels, height x width x 3 (a numpy array); None until decoded when ``decode`` is given.
        self._image = image
        self._decode = decode
        self._preview = preview
        self._size = size
        # 1 for the first frame of the source.
        self.index = index
        # Aware UTC time of capture (file: video_start + (index-1)/fps).
        self.ts = ts

    @property
    def image(self) -> Any:
        if self._image is None and self._decode is not None:
            self._image = self._decode()
            self._decode = None
        return self._image

    @property
    def decoded(self) -> bool:
        return self._decode is None

    def preview(self, width_px: int) -> Any | None:
        """A grey image (uint8, height x width) about ``width_px`` wide, made the cheapest way
        the source knows (a reduced JPEG decode, picamera2's low-resolution stream), or None
        where the source offers nothing cheaper than ``image``."""
        return None if self._preview is None else self._preview(self, width_px)

    @property
    def width(self) -> int:
        return self._size[0] if self._size else int(self.image.shape[1])

    @property
    def height(self) -> int:
        return self._size[1] if self._size else int(self.image.shape[0])


class FrameSource(Protocol):
    @property
    def state(self) -> CameraState: ...

    @property
    def fps_hint(self) -> float: ...

    def frames(self) -> Iterator[Frame]:
        """Frames in order; a file ends, a live source reconnects until closed."""
        ...

    def close(self) -> None:
        """Stop: ``frames()`` returns soon, even while waiting to reconnect."""
        ...


@runtime_checkable
class PacedSource(Protocol):
    """A live source that can deliver fewer frames while the scene is idle."""

    def set_idle_interval(self, interval_s: float | None) -> None:
        """Deliver about one frame per ``interval_s`` (the others grabbed, never decoded);
        None: every frame again, from the next one on."""
        ...
