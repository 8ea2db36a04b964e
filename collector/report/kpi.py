"""The figures at the top of the dashboard: visitors today, this month so far against the same days of
last month and of the same month last year, and this month's staffing.

Every figure carries its coverage: a visitor count from time the entrance cameras did not observe is
a lower bound, and a change between two counts is only ``comparable`` when both are complete.
Comparisons are like for like: this month from the 1st up to now against the same stretch (same day
of the month, same time of day, cut at the month's end) of the other month.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from collector.report.cache import Memo, no_memo
from collector.report.periods import Granularity, TimeRange
from collector.report.schedule import open_windows
from collector.report.site_coverage import FootfallWithCoverage, footfall_with_coverage
from collector.report.sites import SiteInfo, Sites
from collector.report.staffing import ShareCell, share_cell
from collector.report.staffing_report import SiteStaffing, staffing_report
from collector.storage.base import Store

_STAFFING_GAP_MIN = 24 * 60.0  # the tile shows shares only; stretches are the staffing card's


@dataclass(frozen=True, slots=True)
class Change:
    """``current`` against ``previous``: relative change, and whether both counts are complete."""

    ratio: float | None  # (current - previous) / previous; None when previous is 0
    comparable: bool


@dataclass(frozen=True, slots=True)
class SiteKpi:
    site: str
    timezone: str
    as_of: datetime  # the server's now, site-local
    complete_at: float
    today: FootfallWithCoverage  # local midnight to now
    month: FootfallWithCoverage  # the 1st of this month to now
    last_month: FootfallWithCoverage  # the same stretch of last month
    last_year: FootfallWithCoverage  # the same stretch of this month a year ago
    staffing: ShareCell  # every gerai's staff zones pooled, this month to now

    @property
    def vs_last_month(self) -> Change:
        return _change(self.month, self.last_month)

    @property
    def vs_last_year(self) -> Change:
        return _change(self.month, self.last_year)


def _change(current: FootfallWithCoverage, previous: FootfallWithCoverage) -> Change:
    ratio = (current.in_count - previous.in_count) / previous.in_count if previous.in_count else None
    return Change(ratio, current.complete and previous.complete)


def same_stretch(now: datetime, year: int, month: int) -> TimeRange:
    """The 1st of ``year``-``month`` up to the same day and time of day as ``now`` (local), cut at the
    month's end (31 March against February ends on 28 or 29 February, 24:00)."""
    tz = now.tzinfo
    assert isinstance(tz, ZoneInfo)
    start = datetime(year, month, 1, tzinfo=tz)
    days = calendar.monthrange(year, month)[1]
    if now.day > days:
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    else:
        end = now.replace(year=year, month=month, day=now.day)
    return TimeRange(start, end)


def kpi_start(local_now: datetime) -> datetime:
    """The earliest instant the figures read: the 1st of this month a year ago."""
    return datetime(local_now.year - 1, local_now.month, 1, tzinfo=local_now.tzinfo)


def month_staffing(
    store: Store, sites: Sites, info: SiteInfo, month: TimeRange, today: datetime, memo: Memo
) -> ShareCell:
    """Every gerai's staff zones pooled over ``month`` (its 1st to now): the days before ``today`` (local
    midnight) through ``memo``, since they rarely change, plus today. Staffed and observed time add up
    over any cut of the range (each record's time is split at window edges), and a gerai seen in one
    part only is open and unobserved in the other, as the whole range would have it."""
    cut = min(max(today, month.start), month.end)
    parts: list[tuple[TimeRange, SiteStaffing]] = []
    before, since = TimeRange(month.start, cut), TimeRange(cut, month.end)

    def staffing_of(span: TimeRange) -> SiteStaffing:
        return staffing_report(store, sites, info, span, _STAFFING_GAP_MIN)

    if before.end > before.start:
        parts.append((before, memo(("staffing", _STAFFING_GAP_MIN), before, lambda: staffing_of(before))))
    if since.end > since.start:
        parts.append((since, staffing_of(since)))
    schedule = sites.schedule(info.site)
    every = sorted({g.gerai for _, report in parts for g in report.gerai})
    open_s = observed_s = staffed_s = 0.0
    for span, report in parts:
        mine = {g.gerai: g for g in report.gerai}
        span_open_s = sum((w.end - w.start).total_seconds() for w in open_windows(schedule.days, schedule.holidays,
                                                                                  span, info.tz))  # fmt: skip
        for gerai in every:
            found = mine.get(gerai)
            open_s += found.open_s if found else span_open_s
            observed_s += found.observed_s if found else 0.0
            staffed_s += found.staffed_s if found else 0.0
    return share_cell(open_s, observed_s, staffed_s)


def site_kpi(store: Store, sites: Sites, info: SiteInfo, now: datetime, memo: Memo = no_memo) -> SiteKpi:
    tz = info.tz
    local = now.astimezone(tz)
    schedule = sites.schedule(info.site)

    def footfall(span: TimeRange, granularity: Granularity) -> FootfallWithCoverage:
        if span.end <= span.start:  # the first instant of a day or month: nothing yet, nothing expected
            return FootfallWithCoverage(span.start, span.start, 0, 0, 0.0, 0.0, None, False)
        (only,) = footfall_with_coverage(store, info.site, span, info.timezone, granularity, schedule.days,
                                         schedule.holidays, complete_at=info.complete_at)  # fmt: skip
        return only

    def earlier(span: TimeRange) -> FootfallWithCoverage:
        """A stretch of an earlier month: kept through ``memo`` (today's records do not touch it)."""
        return memo(("footfall-stretch",), span, lambda: footfall(span, "month"))

    # The earlier stretches end on the minute of now, so that they are the same span (and kept) for a
    # minute; this month runs to now itself.
    on_the_minute = local.replace(second=0, microsecond=0)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = TimeRange(midnight.replace(day=1), local)
    previous = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    return SiteKpi(
        site=info.site,
        timezone=info.timezone,
        as_of=local,
        complete_at=info.complete_at,
        today=footfall(TimeRange(midnight, local), "day"),
        month=footfall(month, "month"),
        last_month=earlier(same_stretch(on_the_minute, *previous)),
        last_year=earlier(same_stretch(on_the_minute, local.year - 1, local.month)),
        staffing=month_staffing(store, sites, info, month, midnight, memo),
    )
