"""Gerai staffing per calendar period (month or day) over a longer range: the yearly compliance view.

Each period is one cell as the staffing heat map has them (``share_cell``): a staffed share only beside
enough observation, the observed share always; a period the staff camera saw too little of is
``not_observed`` (grey), never staffed nor unstaffed. A month's cell equals the staffing view of that
month (same records, same opening windows, same rules). The store is read one month at a time, so a
year never sits in memory at once.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from collector.report.cache import Memo, no_memo
from collector.report.coverage import periods
from collector.report.gerai import STAFF_ROLES, Gerai
from collector.report.periods import TimeRange, default_range, month_start, resolve_range
from collector.report.schedule import Schedule, open_windows
from collector.report.sites import SiteInfo, Sites
from collector.report.staffing import CellState, ShareCell, share_cell, staffing
from collector.storage.base import Store, ZoneInterval

StaffingGranularity = Literal["month", "day"]
# Months: a year and its current month ("last 12 months"); days: as long as the hourly staffing view.
MAX_STAFFING_SPAN: dict[StaffingGranularity, timedelta] = {"month": timedelta(days=400), "day": timedelta(days=93)}
_NO_STRETCHES = float("inf")  # this view lists no stretches: the hourly view does


@dataclass(frozen=True, slots=True)
class PeriodShare:
    start: datetime  # local start of the period, clipped to the range
    end: datetime
    state: CellState
    open_s: float
    observed_s: float
    staffed_s: float
    staffed_share: float | None  # of the observed time; None unless state is OBSERVED
    observed_share: float | None  # of the opening time; None when closed

    @classmethod
    def of(cls, span: TimeRange, open_s: float, observed_s: float, staffed_s: float) -> PeriodShare:
        c = share_cell(open_s, observed_s, staffed_s)
        return cls(span.start, span.end, c.state, c.open_s, c.observed_s, c.staffed_s, c.staffed_share,
                   c.observed_share)  # fmt: skip


@dataclass(frozen=True, slots=True)
class GeraiPeriods:
    gerai: str
    name: str
    periods: tuple[PeriodShare, ...]  # every period of the range, in order
    total: ShareCell  # the whole range


@dataclass(frozen=True, slots=True)
class SiteStaffingPeriods:
    site: str
    timezone: str
    granularity: StaffingGranularity
    start: datetime
    end: datetime
    gerai: tuple[GeraiPeriods, ...]  # gerai with a staff zone, by identifier
    site_periods: tuple[PeriodShare, ...]  # all gerai pooled (opening, observed and staffed time add up)
    total: ShareCell  # all gerai, the whole range


def staffing_span(
    info: SiteInfo, granularity: StaffingGranularity, start: str | None, end: str | None, now: datetime
) -> TimeRange:
    """``start``/``end`` as the API takes them; by default the last 12 months (months) or 30 days (days)."""
    tz = info.tz
    default = default_range(granularity, now, tz)
    return resolve_range(start, end, tz, now, default, MAX_STAFFING_SPAN[granularity])


def _sums(by_zone: _ByZone, gerai: Gerai, windows: Sequence[TimeRange], info: SiteInfo) -> tuple[float, float, float]:
    mine = [r for zone in sorted(gerai.zone_names(STAFF_ROLES)) for r in by_zone.get(zone, ())]
    summary = staffing(mine, windows, info.tz, _NO_STRETCHES)
    return summary.open_s, summary.observed_s, summary.staffed_s


_ByZone = dict[tuple[str, str], list[ZoneInterval]]


def _by_part(records: Sequence[ZoneInterval], parts: Sequence[TimeRange]) -> tuple[list[_ByZone], list[ZoneInterval]]:
    """The records of each part (by interval start), per (device, zone); and one record of each
    (device, zone, role, gerai), which is all that finding the gerai reads. One pass: records come
    in time order, and bounds in UTC (as records are) compare fast."""
    bounds = [(p.start.astimezone(UTC), p.end.astimezone(UTC)) for p in parts]
    starts = [b[0] for b in bounds]
    out: list[_ByZone] = [{} for _ in parts]
    tags: dict[tuple[str, str, str, str | None], ZoneInterval] = {}
    i = 0
    for rec in records:
        at = rec.interval_start
        tags.setdefault((rec.device, rec.zone, rec.role, rec.gerai), rec)
        if not bounds[i][0] <= at < bounds[i][1]:
            i = max(bisect_right(starts, at) - 1, 0)
            if not bounds[i][0] <= at < bounds[i][1]:
                continue
        out[i].setdefault((rec.device, rec.zone), []).append(rec)
    return out, list(tags.values())


def staffing_by_period(
    store: Store,
    sites: Sites,
    info: SiteInfo,
    granularity: StaffingGranularity,
    span: TimeRange,
    now: datetime,
    memo: Memo = no_memo,
) -> SiteStaffingPeriods:
    """Per gerai with a staff zone and per period of ``span``: opening, observed and staffed time.
    Opening time after ``now`` is not expected yet: this month is judged on its days so far, and a
    month still to come is closed, not unobserved. The months before this one go through ``memo``
    (they rarely change; a year of them is most of the cost), this month and later are read anew."""
    local = now.astimezone(info.tz)
    cut = month_start(local.date(), info.tz)
    if not span.start < cut < span.end:
        return _by_period(store, sites, info, granularity, span, now)
    before, since = TimeRange(span.start, cut), TimeRange(cut, span.end)
    earlier = memo(("staffing-periods", granularity), before,
                   lambda: _by_period(store, sites, info, granularity, before, now))  # fmt: skip
    return _joined(earlier, _by_period(store, sites, info, granularity, since, now), sites, info, now)


def _windows(schedule: Schedule, info: SiteInfo, part: TimeRange, now: datetime) -> list[TimeRange]:
    """Opening windows of ``part`` up to ``now``."""
    if part.start >= now:
        return []
    return open_windows(schedule.days, schedule.holidays, TimeRange(part.start, min(part.end, now)), info.tz)


def _joined(
    first: SiteStaffingPeriods, second: SiteStaffingPeriods, sites: Sites, info: SiteInfo, now: datetime
) -> SiteStaffingPeriods:
    """Two adjacent ranges as one: a gerai seen in one range only is open and unobserved in the other,
    as the whole range would have it."""
    schedule = sites.schedule(info.site)

    def cells(result: SiteStaffingPeriods, gerai: str) -> tuple[PeriodShare, ...]:
        found = next((g for g in result.gerai if g.gerai == gerai), None)
        if found is not None:
            return found.periods
        unseen = []
        for p in result.site_periods:
            part = TimeRange(p.start, p.end)
            unseen.append(PeriodShare.of(part, _open_s(_windows(schedule, info, part, now)), 0.0, 0.0))
        return tuple(unseen)

    names = {g.gerai: g.name for g in (*first.gerai, *second.gerai)}
    out = []
    for gerai in sorted(names):
        joined = (*cells(first, gerai), *cells(second, gerai))
        out.append(GeraiPeriods(gerai, names[gerai], joined, _sum_cell(joined)))
    steps = (*first.site_periods, *second.site_periods)
    site_periods = tuple(
        PeriodShare.of(TimeRange(p.start, p.end), *(sum(getattr(g.periods[i], f) for g in out)
                                                   for f in ("open_s", "observed_s", "staffed_s")))
        for i, p in enumerate(steps)
    ) if out else steps  # fmt: skip
    return SiteStaffingPeriods(first.site, first.timezone, first.granularity, first.start, second.end, tuple(out),
                               site_periods, _sum_cell(site_periods))  # fmt: skip


def _open_s(windows: Sequence[TimeRange]) -> float:
    return sum((w.end - w.start).total_seconds() for w in windows)


def _sum_cell(cells: Sequence[PeriodShare]) -> ShareCell:
    return share_cell(*(sum(getattr(c, f) for c in cells) for f in ("open_s", "observed_s", "staffed_s")))


def _by_period(
    store: Store, sites: Sites, info: SiteInfo, granularity: StaffingGranularity, span: TimeRange, now: datetime
) -> SiteStaffingPeriods:
    tz = info.tz
    spans = periods(span, granularity, tz)
    schedule = sites.schedule(info.site)

    def windows_of(part: TimeRange) -> list[TimeRange]:
        return _windows(schedule, info, part, now)

    found: dict[str, Gerai] = {}
    sums: dict[str, dict[int, tuple[float, float, float]]] = {}
    index = 0
    for month in periods(span, "month", tz):
        # A month after now holds no records: no need to ask.
        records = store.zone_intervals(info.site, month.start, month.end) if month.start < now else []
        mine = [p for p in spans[index:] if p.start < month.end]
        parts, tagged = _by_part(records, mine)
        for gerai in sites.gerai(info.site, tagged):
            if gerai.zone_names(STAFF_ROLES):
                found[gerai.gerai] = gerai
        for offset, (part, by_zone) in enumerate(zip(mine, parts, strict=True)):
            windows = windows_of(part)
            for gerai in found.values():
                sums.setdefault(gerai.gerai, {})[index + offset] = _sums(by_zone, gerai, windows, info)
        index += len(mine)
    out = []
    pooled = [[0.0, 0.0, 0.0] for _ in spans]
    for gerai_id in sorted(found):
        gerai = found[gerai_id]
        cells = []
        for i, part in enumerate(spans):
            # A gerai first tagged later in the range: its earlier periods read with no records (unobserved).
            if i not in sums[gerai_id]:
                sums[gerai_id][i] = _sums({}, gerai, windows_of(part), info)
            open_s, observed_s, staffed_s = sums[gerai_id][i]
            for k, value in enumerate((open_s, observed_s, staffed_s)):
                pooled[i][k] += value
            cells.append(PeriodShare.of(part, open_s, observed_s, staffed_s))
        out.append(GeraiPeriods(gerai.gerai, gerai.name, tuple(cells), _sum_cell(cells)))
    site_periods = tuple(PeriodShare.of(part, *pooled[i]) for i, part in enumerate(spans))
    site_total = share_cell(*(sum(p[k] for p in pooled) for k in range(3)))
    return SiteStaffingPeriods(info.site, info.timezone, granularity, span.start, span.end, tuple(out),
                               site_periods, site_total)  # fmt: skip
