"""Per-frame counts of one replay: the measurement contract behind ``replay --json``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from edge.config import LineConfig, ZoneConfig
from edge.counting import Direction, Observation, SceneCounter, SceneFrame, SceneRules, Track


@dataclass(frozen=True, slots=True)
class CrossingEvent:
    frame: int
    direction: Direction
    track: int


@dataclass(slots=True)
class LineTally:
    in_count: int = 0
    out_count: int = 0
    events: list[CrossingEvent] = field(default_factory=list)


@dataclass(slots=True)
class SceneCounts:
    """Line events and per-frame zone counts, frames numbered from 1."""

    lines: dict[str, LineTally]
    zones: dict[str, list[int]]
    frames: int = 0

    @classmethod
    def empty(cls, line_names: Sequence[str], zone_names: Sequence[str]) -> SceneCounts:
        return cls({n: LineTally() for n in line_names}, {n: [] for n in zone_names})

    def add(self, scene: SceneFrame) -> None:
        frame_index = scene.frame_index
        self.frames = max(self.frames, frame_index)
        for crossing in scene.crossings:
            tally = self.lines[crossing.line]
            if crossing.direction is Direction.IN:
                tally.in_count += 1
            else:
                tally.out_count += 1
            tally.events.append(CrossingEvent(frame_index, crossing.direction, crossing.track_id))
        for zone in scene.zones:
            per_frame = self.zones[zone.zone]
            per_frame.extend([0] * (frame_index - 1 - len(per_frame)))
            per_frame.append(zone.count)

    def to_json(self) -> dict[str, Any]:
        zones = {}
        for name, per_frame in self.zones.items():
            padded = per_frame + [0] * (self.frames - len(per_frame))
            zones[name] = {
                "per_frame": padded,
                "mean": round(sum(padded) / len(padded), 4) if padded else 0.0,
                "max": max(padded, default=0),
            }
        return {
            "lines": {
                name: {
                    "in": t.in_count,
                    "out": t.out_count,
                    "events": [{"frame": e.frame, "direction": e.direction.value, "track": e.track} for e in t.events],
                }
                for name, t in self.lines.items()
            },
            "zones": zones,
        }


def count_tracks(
    tracks_by_frame: Mapping[int, Sequence[Track] | Observation],
    frames: int,
    lines: Sequence[LineConfig],
    zones: Sequence[ZoneConfig],
    rules: SceneRules,
    *,
    start: datetime,
    fps: float,
) -> SceneCounts:
    """Count frames 1..``frames`` of given tracks (ground truth) or recorded tracker output."""
    scene = SceneCounter([line.as_counting() for line in lines], [zone.as_counting() for zone in zones], rules)
    counts = SceneCounts.empty([line.name for line in lines], [zone.name for zone in zones])
    for index in range(1, frames + 1):
        ts = start + timedelta(seconds=(index - 1) / fps)
        for frame in scene.update(tracks_by_frame.get(index, ()), ts, index):
            counts.add(frame)
    for frame in scene.flush():
        counts.add(frame)
    counts.frames = frames
    return counts
