"""What the tracker hands to the counting core."""

from __future__ import annotations

from collections.abc import Sequence
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


@dataclass(frozen=True, slots=True)
class Detection:
    """A person box the detector returned on one frame, before tracking: no identity."""

    foot: Point
    box: Box
    confidence: float

    @classmethod
    def from_box(cls, box: Box, confidence: float) -> Detection:
        return cls(Point((box.x1 + box.x2) / 2, box.y2), box, confidence)


@dataclass(frozen=True, slots=True)
class Observation:
    """What the tracker saw on one frame."""

    # Confirmed tracks: identities for line crossings, visits and dwell.
    tracks: tuple[Track, ...]
    # Every person box the detector returned on this frame (down to the tracker's detection
    # threshold); None where there is no detector (ground truth, scripted tracks): zones then
    # count the tracks.
    detections: tuple[Detection, ...] | None = None

    @classmethod
    def of(cls, seen: Observation | Sequence[Track]) -> Observation:
        """Tracks alone (ground truth, scripted trackers) observe nothing else."""
        return seen if isinstance(seen, Observation) else cls(tuple(seen))
