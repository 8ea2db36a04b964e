"""Zone occupancy per frame, and visits (enter -> leave) per track."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from edge.counting.frames import ZoneFrame
from edge.counting.geometry import Point, Polygon
from edge.counting.tracks import Detection, Track


@dataclass(frozen=True, slots=True)
class ZoneRules:
    # A member stays inside until its foot point is this far outside the polygon. Off:
    # the per-frame count is then exactly "foot point inside", the ground-truth rule, which
    # scored best on both shared clips; flicker at the edge is absorbed by
    # ``leave_debounce_s`` for visits instead.
    leave_margin: float = 0.0
    # A visit ends only after the track has stayed out this long (flicker at the edge).
    leave_debounce_s: float = 0.5
    # Tracker compensation: a track lost away from the image border still counts at its
    # last position for this long (a detector miss is not a person leaving).
    hold_s: float = 0.0
    # Within this distance of the image border, a lost track is taken to have walked out.
    border: float = 0.02
    # A track born within this distance of a lost one is taken to be the same person
    # under a new id (an ID switch): the lost one is no longer held.
    rebirth_radius: float = 0.05
    # State of a track unseen for this long is dropped (its open visit ends).
    forget_after_s: float = 2.0
    # Visit stitching: a track born inside the zone within ``rebirth_radius`` of a track lost there
    # (away from the border) at most this long ago continues its visit, so one person's wait is one
    # visit, not fragments; until then a lost track's visit stays open. Off: it brought median dwell
    # closer to the truth almost everywhere but merged people on one clip (BENCHMARKS.md, "Visits
    # and dwell"), so it is kept for that measurement, not shipped.
    stitch_s: float = 0.0


@dataclass(slots=True)
class _Member:
    foot: Point
    last_seen: datetime
    at_border: bool
    first_seen: datetime
    inside: bool = False
    visit_start: datetime | None = None
    left_at: datetime | None = None


def _at_border(track: Track, border: float) -> bool:
    b = track.box
    return b.x1 <= border or b.y1 <= border or b.x2 >= 1 - border or b.y2 >= 1 - border


class ZoneCounter:
    def __init__(self, name: str, polygon: Polygon, rules: ZoneRules | None = None) -> None:
        self.name = name
        self.polygon = polygon
        self.rules = rules or ZoneRules()
        self._members: dict[int, _Member] = {}

    @property
    def tracked(self) -> int:
        return len(self._members)

    def _is_inside(self, member: _Member, p: Point) -> bool:
        if self.polygon.contains(p):
            return True
        return member.inside and self.polygon.distance_to_edge(p) <= self.rules.leave_margin

    def occupancy(self, people: Sequence[Track | Detection]) -> int:
        """How many of ``people`` stand inside: foot point in the polygon."""
        return sum(self.polygon.contains(person.foot) for person in people)

    def update(self, tracks: Sequence[Track], ts: datetime) -> ZoneFrame:
        rules = self.rules
        entered = 0
        dwells: list[float] = []
        count = 0
        seen = set()
        for track in tracks:
            seen.add(track.track_id)
            member = self._members.get(track.track_id)
            if member is None:
                member = _Member(track.foot, ts, False, ts)
                self._members[track.track_id] = member
                if rules.stitch_s > 0 and self.polygon.contains(track.foot):
                    self._continue_visit(member, ts)
            member.inside = self._is_inside(member, track.foot)
            member.foot, member.last_seen = track.foot, ts
            member.at_border = _at_border(track, rules.border)
            if member.inside:
                count += 1
                if member.visit_start is None:
                    member.visit_start = ts
                    entered += 1
                member.left_at = None
            elif member.visit_start is not None and member.left_at is None:
                member.left_at = ts
        for track_id in list(self._members):
            member = self._members[track_id]
            if track_id not in seen:
                age_s = (ts - member.last_seen).total_seconds()
                held = age_s <= rules.hold_s and not member.at_border and not self._reborn(member, tracks)
                if held and member.inside:
                    count += 1
                elif member.visit_start is not None and member.left_at is None:
                    member.left_at = member.last_seen
                if age_s > rules.forget_after_s:
                    if member.visit_start is not None:
                        dwells.append(_dwell(member.visit_start, member.left_at or member.last_seen))
                    del self._members[track_id]
                    continue
            left_at = member.left_at
            if (
                member.visit_start is not None
                and left_at is not None
                and ((ts - left_at).total_seconds() >= rules.leave_debounce_s)
                and not (track_id not in seen and self._may_continue(member, ts))
            ):
                dwells.append(_dwell(member.visit_start, left_at))
                member.visit_start = member.left_at = None
        return ZoneFrame(self.name, count, entered, tuple(dwells))

    def _may_continue(self, lost: _Member, ts: datetime) -> bool:
        """Whether a lost track's open visit may still be taken over by a new track."""
        age_s = (ts - lost.last_seen).total_seconds()
        return lost.inside and not lost.at_border and age_s <= self.rules.stitch_s

    def _continue_visit(self, member: _Member, ts: datetime) -> None:
        """A new track inside: take over the open visit of the nearest track lost nearby, if any."""
        best: _Member | None = None
        best_d = self.rules.rebirth_radius
        for other in self._members.values():
            if other is member or other.visit_start is None or other.last_seen >= ts:
                continue
            if not self._may_continue(other, ts):
                continue
            d = math.hypot(other.foot.x - member.foot.x, other.foot.y - member.foot.y)
            if d <= best_d:
                best, best_d = other, d
        if best is not None:
            member.visit_start, best.visit_start, best.left_at = best.visit_start, None, None

    def _reborn(self, lost: _Member, tracks: Sequence[Track]) -> bool:
        for track in tracks:
            other = self._members.get(track.track_id)
            if (
                other is not None
                and other.first_seen >= lost.last_seen
                and math.hypot(track.foot.x - lost.foot.x, track.foot.y - lost.foot.y) <= self.rules.rebirth_radius
            ):
                return True
        return False

    def close(self, ts: datetime) -> ZoneFrame:
        """End every open visit now (end of footage)."""
        dwells = tuple(
            _dwell(m.visit_start, m.left_at or ts) for m in self._members.values() if m.visit_start is not None
        )
        self._members.clear()
        return ZoneFrame(self.name, 0, 0, dwells)


def _dwell(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())
