"""Gerai staffing: how much of the opening hours the staff zone was occupied.

Each zone interval record says how long the camera observed (``observed_s``) and
how long someone stood in the zone (``occupied_s``). A record observed for less
than half its length, and any opening time with no record, is *unobserved*:
reported as such and never counted as unstaffed.

A staffed share is only shown for a cell (an hour, a day, a month) whose opening
time the camera observed for at least ``SHOWN_FROM_OBSERVED`` of it; otherwise
the cell reads "not observed". Half is the same bar each interval must clear: a
share from at least half the time is a measurement with some gaps, a share from
seven seconds of an hour is a guess (which, painted green, is worse than grey).
Totals carry the staffed share and the observed share side by side.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from collector.report.periods import TimeRange
from collector.storage.base import ZoneInterval

UNOBSERVED_BELOW = 0.5  # share of an interval the camera must have seen for it to count
SHOWN_FROM_OBSERVED = 0.5  # share of a cell's opening time the camera must have seen to show a staffed share


class CellState(StrEnum):
    CLOSED = "closed"  # no opening time in the cell
    NOT_OBSERVED = "not_observed"  # open, but the camera saw too little of it: grey, never green
    OBSERVED = "observed"  # staffed_share is meaningful


@dataclass(frozen=True, slots=True)
class ShareCell:
    """What a heat-map cell or a total shows: a staffed share only next to enough observation."""

    state: CellState
    open_s: float
    observed_s: float
    staffed_s: float
    staffed_share: float | None  # of the observed time; None unless state is OBSERVED
    observed_share: float | None  # of the opening time; None when closed


def share_cell(open_s: float, observed_s: float, staffed_s: float) -> ShareCell:
    if open_s <= 0:
        return ShareCell(CellState.CLOSED, 0.0, observed_s, staffed_s, None, None)
    observed_share = min(observed_s / open_s, 1.0)
    if observed_s <= 0 or observed_share < SHOWN_FROM_OBSERVED:
        return ShareCell(CellState.NOT_OBSERVED, open_s, observed_s, staffed_s, None, observed_share)
    return ShareCell(CellState.OBSERVED, open_s, observed_s, staffed_s, staffed_s / observed_s, observed_share)


@dataclass(frozen=True, slots=True)
class Stretch:
    start: datetime
    end: datetime

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, slots=True)
class HourShare:
    hour: int  # local hour of day
    observed_s: float
    staffed_s: float

    @property
    def staffed_share(self) -> float | None:
        return self.staffed_s / self.observed_s if self.observed_s > 0 else None


@dataclass(frozen=True, slots=True)
class StaffingSummary:
    open_s: float
    observed_s: float
    staffed_s: float
    unstaffed: tuple[Stretch, ...]  # only those at least ``min_gap_s`` long
    unobserved: tuple[Stretch, ...]  # only those at least ``min_gap_s`` long
    by_hour: tuple[HourShare, ...]
    # Every local hour of day with opening time, observed or not, with what its cell may show.
    hours: tuple[tuple[int, ShareCell], ...]

    @property
    def total(self) -> ShareCell:
        """The whole range as one cell: staffed share only beside enough observation."""
        return share_cell(self.open_s, self.observed_s, self.staffed_s)

    @property
    def staffed_share(self) -> float | None:
        """Staffed share of the observed opening time (None when nothing was observed)."""
        return self.staffed_s / self.observed_s if self.observed_s > 0 else None

    @property
    def observed_share(self) -> float | None:
        return self.observed_s / self.open_s if self.open_s > 0 else None

    @property
    def longest_unstaffed_s(self) -> float:
        return max((s.duration_s for s in self.unstaffed), default=0.0)


@dataclass(frozen=True, slots=True)
class _Slot:
    start: datetime
    end: datetime
    observed_s: float
    occupied_s: float


def _merge(intervals: Iterable[ZoneInterval]) -> list[_Slot]:
    """One slot per interval start; several staff zones: occupied if any is (max)."""
    slots: dict[datetime, _Slot] = {}
    for rec in intervals:
        end = rec.interval_start + timedelta(seconds=rec.interval_s)
        prev = slots.get(rec.interval_start)
        if prev is None:
            slots[rec.interval_start] = _Slot(
                rec.interval_start, end, rec.observed_s, min(rec.occupied_s, rec.observed_s)
            )
        else:
            slots[rec.interval_start] = _Slot(
                prev.start,
                max(prev.end, end),
                max(prev.observed_s, rec.observed_s),
                max(prev.occupied_s, min(rec.occupied_s, rec.observed_s)),
            )
    return [slots[k] for k in sorted(slots)]


def staffing(
    intervals: Iterable[ZoneInterval], windows: Sequence[TimeRange], tz: ZoneInfo, min_gap_s: float
) -> StaffingSummary:
    slots = _merge(intervals)
    open_s = observed_s = staffed_s = 0.0
    hour_obs = [0.0] * 24
    hour_staffed = [0.0] * 24
    hour_open = [0.0] * 24
    # Contiguous pieces of opening time with their state, in order.
    pieces: list[tuple[datetime, datetime, str]] = []
    i = 0
    for window in windows:
        open_s += (window.end - window.start).total_seconds()
        _add_open_by_hour(window, tz, hour_open)
        while i < len(slots) and slots[i].end <= window.start:
            i += 1
        cursor = window.start
        j = i
        while j < len(slots) and slots[j].start < window.end:
            slot = slots[j]
            j += 1
            begin, finish = max(slot.start, cursor), min(slot.end, window.end)
            if finish <= begin:
                continue
            if begin > cursor:
                pieces.append((cursor, begin, "unobserved"))
            length = (slot.end - slot.start).total_seconds()
            share = (finish - begin).total_seconds() / length
            if slot.observed_s < UNOBSERVED_BELOW * length:
                state = "unobserved"
            else:
                state = "staffed" if slot.occupied_s > 0 else "unstaffed"
                obs, occ = slot.observed_s * share, slot.occupied_s * share
                observed_s += obs
                staffed_s += occ
                hour = begin.astimezone(tz).hour
                hour_obs[hour] += obs
                hour_staffed[hour] += occ
            pieces.append((begin, finish, state))
            cursor = finish
        if cursor < window.end:
            pieces.append((cursor, window.end, "unobserved"))
    unstaffed, unobserved = _stretches(pieces, "unstaffed", min_gap_s), _stretches(pieces, "unobserved", min_gap_s)
    by_hour = tuple(HourShare(h, hour_obs[h], hour_staffed[h]) for h in range(24) if hour_obs[h] > 0)
    hours = tuple((h, share_cell(hour_open[h], hour_obs[h], hour_staffed[h])) for h in range(24) if hour_open[h] > 0)
    return StaffingSummary(open_s, observed_s, staffed_s, unstaffed, unobserved, by_hour, hours)


def _add_open_by_hour(window: TimeRange, tz: ZoneInfo, hour_open: list[float]) -> None:
    cursor = window.start
    while cursor < window.end:
        local = cursor.astimezone(tz)
        next_hour = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        end = min(window.end, next_hour)
        hour_open[local.hour] += (end - cursor).total_seconds()
        cursor = end


def _stretches(pieces: Sequence[tuple[datetime, datetime, str]], state: str, min_gap_s: float) -> tuple[Stretch, ...]:
    out: list[Stretch] = []
    current: Stretch | None = None
    for begin, finish, piece_state in pieces:
        if piece_state == state and current is not None and current.end == begin:
            current = Stretch(current.start, finish)
        else:
            if current is not None and current.duration_s >= min_gap_s:
                out.append(current)
            current = Stretch(begin, finish) if piece_state == state else None
    if current is not None and current.duration_s >= min_gap_s:
        out.append(current)
    return tuple(out)
