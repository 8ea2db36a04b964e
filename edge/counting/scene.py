"""All counters of one camera view, built from its lines and zones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from edge.counting.frames import LineCrossing, SceneFrame, ZoneFrame
from edge.counting.layout import CountingLine, CountingZone
from edge.counting.lines import LineCounter, LineRules
from edge.counting.smoothing import ZoneCountSmoother
from edge.counting.tracks import Observation, Track
from edge.counting.zones import ZoneCounter, ZoneRules


@dataclass(frozen=True, slots=True)
class SceneRules:
    line: LineRules = field(default_factory=LineRules)
    zone: ZoneRules = field(default_factory=ZoneRules)
    # Observations scored below this are not counted: a detection does not count in a zone, a
    # track's position does not move its line state (the tracker still uses low-scored boxes
    # to keep identities). A low score means a partly hidden person, whose box bottom is not
    # their feet, or a false detection. 0.25 is not fitted to a clip: it is ultralytics'
    # default detection threshold and ByteTrack's own bar for a box that may start a track.
    # Without it (every detection down to 0.1) zone MAE rose on both clips in 44 of 48 grid
    # conditions (distance, resolution, frame rate, occlusion, border entry) and line
    # accuracy fell in 25 of 48 (rose in 3) (benchmarks/edge_degradation_study.py).
    min_confidence: float = 0.25
    # Each frame's zone counts are the median over this many seconds before and after it
    # (ZoneCountSmoother), so scene frames come out this much late. Counting detections, 0.15 s
    # (7 frames at 25 fps, 3 at 7-12.5 fps) lowered grid zone MAE in every one of 48
    # conditions on both clips (BENCHMARKS.md, degradation study).
    count_smoothing_s: float = 0.15


# The rules applied to tracker output (zone counts from its detections, when it hands them
# over); ground truth gets the same rules unsmoothed, its zones counting annotated boxes. The
# compensations for tracker gaps (ZoneRules.hold_s), ID switches (LineRules.handover_radius)
# and zone edge margins stay off: over a grid of lines and zones on both shared clips they did not help
# both clips (benchmarks/edge_accuracy.py, BENCHMARKS.md), so they do not generalise.
TRACKER_RULES = SceneRules()
# Ground truth: annotated boxes carry no score, and per-frame truth is not smoothed.
TRUTH_RULES = SceneRules(count_smoothing_s=0.0)


class SceneCounter:
    def __init__(self, lines: Sequence[CountingLine], zones: Sequence[CountingZone], rules: SceneRules) -> None:
        self.min_confidence = rules.min_confidence
        # The geometry as given: the tracker's detection region follows it (edge.pipeline).
        self.layout = (tuple(lines), tuple(zones))
        self.lines = [LineCounter(line.name, line.segment, rules.line) for line in lines]
        self.zones = [ZoneCounter(zone.name, zone.polygon, rules.zone) for zone in zones]
        self._smoother = ZoneCountSmoother(rules.count_smoothing_s)

    def update(
        self,
        seen: Observation | Sequence[Track],
        ts: datetime,
        frame_index: int,
        *,
        inferred: bool = True,
        duration_s: float = 0.0,
    ) -> list[SceneFrame]:
        """One frame in; the frames whose smoothing window is complete out, in order.
        On a frame that was not inferred, ``seen`` is the previous frame's: zones keep
        it, lines learn no new positions. ``duration_s``, the camera time the frame stands
        for, comes out with it (SceneFrame.duration_s)."""
        observed = Observation.of(seen)
        tracks = [track for track in observed.tracks if track.confidence >= self.min_confidence]
        crossings: list[LineCrossing] = []
        if inferred:
            for line in self.lines:
                crossings.extend(line.update(tracks, ts, frame_index))
        zones = tuple(zone.update(tracks, ts) for zone in self.zones)
        if observed.detections is not None:
            # Occupancy needs no identity: every confident box counts from the first frame it
            # is seen and while its track is lost; visits and dwell stay with the tracks.
            people = [d for d in observed.detections if d.confidence >= self.min_confidence]
            zones = tuple(
                replace(frame, count=zone.occupancy(people)) for zone, frame in zip(self.zones, zones, strict=True)
            )
        return self._smoother.push(SceneFrame(frame_index, ts, tuple(crossings), zones, duration_s))

    def flush(self) -> list[SceneFrame]:
        """The frames still held back (end of footage or of a run)."""
        return self._smoother.flush()

    def close(self, ts: datetime) -> tuple[ZoneFrame, ...]:
        """End every open visit at ``ts`` (after :meth:`flush`)."""
        return tuple(zone.close(ts) for zone in self.zones)

    @property
    def tracked(self) -> int:
        return sum(c.tracked for c in self.lines) + sum(c.tracked for c in self.zones) + self._smoother.held
