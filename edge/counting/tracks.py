"""What the tracker hands to the counting core."""

from __future__ import annotations

from dataclasses import dataclass

from edge.counting.geometry import Point


@dataclass(frozen=True, slots=True)
class Box:
    """Normalised box corners (0..1)."""

    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True, slots=True)
class Track:
    track_id: int
    # Bottom-centre of the box: where the person stands.
    foot: Point
    box: Box
    confidence: float

    @classmethod
    def from_box(cls, track_id: int, box: Box, confidence: float = 1.0) -> Track:
        return cls(track_id, Point((box.x1 + box.x2) / 2, box.y2), box, confidence)
