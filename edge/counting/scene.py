"""All counters of one camera view, built from its configured lines and zones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from edge.config import LineConfig, ZoneConfig
from edge.counting.geometry import Point, Polygon, Segment
from edge.counting.lines import LineCounter, LineCrossing, LineRules
from edge.counting.tracks import Track
from edge.counting.zones import ZoneCounter, ZoneFrame, ZoneRules


@dataclass(frozen=True, slots=True)
class SceneRules:
    line: LineRules = field(default_factory=LineRules)
    zone: ZoneRules = field(default_factory=ZoneRules)
    # Observations scored below this are not counted (the track keeps its state and
    # identity). The tracker takes detections down to the configured threshold to keep
    # identities through occlusion, but a low score means a partly hidden person, whose box
    # bottom is not their feet, or a false detection. 0.25 is ultralytics' default detection
    # threshold and ByteTrack's new-track threshold, not fitted to a clip; it improved lines
    # and zones on both shared clips (BENCHMARKS.md, edge accuracy).
    min_confidence: float = 0.25


# The rules applied to tracker output, the same as for ground truth. The compensations for
# tracker gaps (ZoneRules.hold_s), ID switches (LineRules.handover_radius) and zone edge
# margins stay off: over a grid of lines and zones on both shared clips they did not help
# both clips (benchmarks/edge_accuracy.py, BENCHMARKS.md), so they do not generalise.
TRACKER_RULES = SceneRules()


@dataclass(frozen=True, slots=True)
class SceneFrame:
    crossings: tuple[LineCrossing, ...]
    zones: tuple[ZoneFrame, ...]


class SceneCounter:
    def __init__(self, lines: Sequence[LineConfig], zones: Sequence[ZoneConfig], rules: SceneRules) -> None:
        self.min_confidence = rules.min_confidence
        self.lines = [
            LineCounter(
                line.name,
                Segment(Point(line.points[0].x, line.points[0].y), Point(line.points[1].x, line.points[1].y)),
                rules.line,
            )
            for line in lines
        ]
        self.zones = [
            ZoneCounter(zone.name, Polygon(tuple(Point(p.x, p.y) for p in zone.points)), rules.zone) for zone in zones
        ]

    def update(self, tracks: Sequence[Track], ts: datetime, frame_index: int, *, inferred: bool = True) -> SceneFrame:
        """One frame. On a frame that was not inferred, ``tracks`` are the previous
        frame's: zones keep them, lines learn no new positions."""
        tracks = [track for track in tracks if track.confidence >= self.min_confidence]
        crossings: list[LineCrossing] = []
        if inferred:
            for line in self.lines:
                crossings.extend(line.update(tracks, ts, frame_index))
        return SceneFrame(tuple(crossings), tuple(zone.update(tracks, ts) for zone in self.zones))

    def close(self, ts: datetime) -> tuple[ZoneFrame, ...]:
        return tuple(zone.close(ts) for zone in self.zones)

    @property
    def tracked(self) -> int:
        return sum(c.tracked for c in self.lines) + sum(c.tracked for c in self.zones)
