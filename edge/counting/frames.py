"""What the counters hand on, frame by frame: crossings, zone frames and scene frames.

Plain values with no behaviour, in a module of their own so that every stage of the
counting core (counters, smoother, aggregator) can name them without importing another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


@dataclass(frozen=True, slots=True)
class LineCrossing:
    line: str
    direction: Direction
    track_id: int
    frame_index: int
    ts: datetime


@dataclass(frozen=True, slots=True)
class ZoneFrame:
    zone: str
    count: int
    # Visits that started on this frame, and durations of visits that ended on it.
    entered: int
    dwells_s: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class SceneFrame:
    """What one frame counted; zone counts are smoothed (SceneRules.count_smoothing_s)."""

    frame_index: int
    ts: datetime
    crossings: tuple[LineCrossing, ...]
    zones: tuple[ZoneFrame, ...]
    # Seconds of camera time this frame stands for (the interval records' observed time),
    # given when it enters the SceneCounter and carried with it through the smoother's
    # delay. 0 where no time is observed: ground truth and evaluation count frames only.
    duration_s: float = 0.0
