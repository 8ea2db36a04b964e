"""Footfall by hour of the week: entrance counts folded onto (local weekday, local hour) over a range,
each cell with the entrance cameras' coverage of its opening time.

A cell sums every occurrence of its weekday and hour in the range (four or five Monday 09:00 hours in
a month) up to now. ``hours`` says how many there were, so ``mean_in`` is the mean per occurrence. Coverage is
over opening time only: a cell with no opening time is closed (``coverage`` None), and a cell whose
opening time the cameras saw too little of is incomplete, its count a lower bound (shown grey, never
as a low count).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from collector.report.cache import Memo, no_memo
from collector.report.footfall import footfall_periods
from collector.report.periods import TimeRange, default_range, resolve_range
from collector.report.sites import SiteInfo, Sites
from collector.storage.base import Store

MAX_HEATMAP_SPAN = timedelta(days=400)  # a year and its current month, with room for "last 12 months"
WEEKDAYS = 7
HOURS = 24


@dataclass(frozen=True, slots=True)
class WeekHourCell:
    weekday: int  # 0 = Monday, site-local
    hour: int  # local hour of day
    hours: int  # occurrences of this weekday and hour in the range
    in_count: int  # counted, never estimated
    out_count: int
    expected_s: float  # opening time in these hours times the entrance devices expected
    observed_s: float
    coverage: float | None  # None: no opening time in the cell (closed)
    complete: bool  # coverage at or above the site's threshold

    @property
    def mean_in(self) -> float | None:
        """Entries per occurrence of this hour of the week (None when the range holds none)."""
        return self.in_count / self.hours if self.hours else None


@dataclass(frozen=True, slots=True)
class FootfallHeatmap:
    site: str
    timezone: str
    start: datetime
    end: datetime
    complete_at: float
    cells: tuple[WeekHourCell, ...]  # all 168, Monday 00:00 first


def heatmap_span(info: SiteInfo, start: str | None, end: str | None, now: datetime) -> TimeRange:
    """``start``/``end`` as the API takes them; the last 30 days by default, at most ``MAX_HEATMAP_SPAN``."""
    return resolve_range(start, end, info.tz, now, default_range("day", now, info.tz), MAX_HEATMAP_SPAN)


def footfall_heatmap(
    store: Store, sites: Sites, info: SiteInfo, span: TimeRange, now: datetime, memo: Memo = no_memo
) -> FootfallHeatmap:
    """Every hour of the week with its counts and coverage, composed from the hourly footfall series (the
    days before today through ``memo``)."""
    hourly = footfall_periods(store, sites, info, span, "hour", now, memo)
    # [occurrences, in, out, expected_s, observed_s] per weekday * 24 + hour
    acc = [[0, 0, 0, 0.0, 0.0] for _ in range(WEEKDAYS * HOURS)]
    for period in hourly:
        cell = acc[period.start.weekday() * HOURS + period.start.hour]
        if period.start < now:  # an hour still to come today is no occurrence yet
            cell[0] += 1
        cell[1] += period.in_count
        cell[2] += period.out_count
        cell[3] += period.expected_s
        cell[4] += period.observed_s
    cells = []
    for index, (occurrences, in_count, out_count, expected_s, observed_s) in enumerate(acc):
        coverage = observed_s / expected_s if expected_s > 0 else None
        cells.append(
            WeekHourCell(
                weekday=index // HOURS,
                hour=index % HOURS,
                hours=int(occurrences),
                in_count=int(in_count),
                out_count=int(out_count),
                expected_s=float(expected_s),
                observed_s=float(observed_s),
                coverage=coverage,
                complete=coverage is not None and coverage >= info.complete_at,
            )
        )
    return FootfallHeatmap(info.site, info.timezone, span.start, span.end, info.complete_at, tuple(cells))
