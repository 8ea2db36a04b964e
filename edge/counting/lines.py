"""Directed line crossing with hysteresis, per track."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from edge.counting.frames import Direction, LineCrossing
from edge.counting.geometry import Point, Segment, crossing_offset, signed_distance
from edge.counting.tracks import Track


@dataclass(frozen=True, slots=True)
class LineRules:
    """Tunables of the crossing rule; defaults are in normalised image units."""

    # Half-width of the dead band around the line: positions within it never decide a
    # side, so jitter on the line counts nothing. It is ``band`` plus ``band_per_height``
    # times the person's box height: foot-point jitter scales with the box, so a band
    # relative to it holds across camera distances. 1.5 % of the height (about 2-4 px for
    # a person at 640x480) beat fixed bands and no band on a grid of 108 lines over both
    # shared clips (BENCHMARKS.md, edge accuracy).
    band: float = 0.0
    band_per_height: float = 0.015
    # How far past either end of the segment a crossing still counts (fraction of its length).
    end_tolerance: float = 0.0
    # State of a track unseen for this long is dropped.
    forget_after_s: float = 2.0
    # Tracker compensation: a track born within this distance of a track lost at most
    # ``handover_s`` ago takes over its side, so an ID switch at the line still counts.
    handover_radius: float = 0.0
    handover_s: float = 0.0


@dataclass(slots=True)
class _TrackState:
    last: Point
    last_seen: datetime
    # -1 or +1 once the track has been seen outside the band, 0 before.
    confirmed: int = 0
    # Whether the latest change of raw side happened within the segment.
    crossed_inside: bool = False
    vx: float = 0.0
    vy: float = 0.0


class LineCounter:
    """Counts crossings of one directed segment A->B; negative -> positive side is ``in``."""

    def __init__(self, name: str, segment: Segment, rules: LineRules | None = None) -> None:
        self.name = name
        self.segment = segment
        self.rules = rules or LineRules()
        self._states: dict[int, _TrackState] = {}
        # Recently lost tracks, candidates for an ID handover.
        self._lost: dict[int, _TrackState] = {}

    @property
    def tracked(self) -> int:
        """Tracks whose state is held (live and recently lost)."""
        return len(self._states) + len(self._lost)

    def _side_of(self, track: Track) -> int:
        d = signed_distance(self.segment, track.foot)
        band = self.rules.band + self.rules.band_per_height * (track.box.y2 - track.box.y1)
        if d > band:
            return 1
        if d < -band:
            return -1
        return 0

    def update(self, tracks: Sequence[Track], ts: datetime, frame_index: int) -> list[LineCrossing]:
        crossings: list[LineCrossing] = []
        seen = {track.track_id for track in tracks}
        self._expire(seen, ts)
        for track in tracks:
            state = self._states.get(track.track_id) or self._lost.pop(track.track_id, None)
            if state is None:
                state = self._adopt(track, ts)
                self._states[track.track_id] = state
            else:
                self._states[track.track_id] = state
                self._step(state, track.foot)
                dt_s = (ts - state.last_seen).total_seconds()
                if dt_s > 0:
                    # Smoothed velocity, to predict where a lost track went.
                    vx, vy = (track.foot.x - state.last.x) / dt_s, (track.foot.y - state.last.y) / dt_s
                    state.vx, state.vy = 0.7 * state.vx + 0.3 * vx, 0.7 * state.vy + 0.3 * vy
            state.last = track.foot
            state.last_seen = ts
            now_side = self._side_of(track)
            if now_side == 0:
                continue
            if state.confirmed == -now_side and state.crossed_inside:
                direction = Direction.IN if now_side > 0 else Direction.OUT
                crossings.append(LineCrossing(self.name, direction, track.track_id, frame_index, ts))
            state.confirmed = now_side
            state.crossed_inside = False
        return crossings

    def _step(self, state: _TrackState, q: Point) -> None:
        offset = crossing_offset(self.segment, state.last, q)
        if offset is not None:
            state.crossed_inside = abs(offset) <= 0.5 + self.rules.end_tolerance

    def _adopt(self, track: Track, ts: datetime) -> _TrackState:
        rules = self.rules
        if rules.handover_radius > 0 and self._lost:
            best_id, best_d = None, math.inf
            for lost_id, lost in self._lost.items():
                age = (ts - lost.last_seen).total_seconds()
                px, py = lost.last.x + lost.vx * age, lost.last.y + lost.vy * age
                d = math.hypot(px - track.foot.x, py - track.foot.y)
                if age <= rules.handover_s and d <= rules.handover_radius and d < best_d:
                    best_id, best_d = lost_id, d
            if best_id is not None:
                inherited = self._lost.pop(best_id)
                state = _TrackState(
                    inherited.last, ts, inherited.confirmed, inherited.crossed_inside, inherited.vx, inherited.vy
                )
                self._step(state, track.foot)
                return state
        return _TrackState(track.foot, ts)

    def _expire(self, seen: set[int], ts: datetime) -> None:
        for track_id in [t for t in self._states if t not in seen]:
            self._lost[track_id] = self._states.pop(track_id)
        limit = self.rules.forget_after_s
        for track_id in [t for t, s in self._lost.items() if (ts - s.last_seen).total_seconds() > limit]:
            del self._lost[track_id]
