"""The frame seam: what every camera adapter yields."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from wire.messages import CameraState

Clock = Callable[[], datetime]


class SourceError(Exception):
    """A frame source that cannot deliver at all (missing or corrupt file, bad device)."""


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    # BGR pixels, height x width x 3 (a numpy array).
    image: Any
    # 1 for the first frame of the source.
    index: int
    # Aware UTC time of capture (file: video_start + (index-1)/fps).
    ts: datetime

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


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
