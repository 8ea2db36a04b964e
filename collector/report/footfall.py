"""Visitors through entrance lines, per calendar period in the site's timezone, each period with the
entrance cameras' coverage of its opening time (a count is only as good as the time observed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collector.report.cache import Memo, no_memo
from collector.report.periods import MAX_RANGE, Granularity, TimeRange, default_range, resolve_range
from collector.report.site_coverage import FootfallWithCoverage, footfall_with_coverage
from collector.report.sites import SiteInfo, Sites
from collector.storage.base import Store

MAX_COMPARED_SITES = 20  # sites one comparison shows: the footfall comparison, the monthly report


@dataclass(frozen=True, slots=True)
class FootfallSeries:
    site: str
    timezone: str
    granularity: Granularity
    start: datetime
    end: datetime
    complete_at: float  # the site's coverage threshold for ``complete``
    periods: tuple[FootfallWithCoverage, ...]  # every period of the range, none left out


def footfall_span(
    info: SiteInfo, granularity: Granularity, start: str | None, end: str | None, now: datetime
) -> TimeRange:
    """``start``/``end`` as the API takes them (see ``resolve_range``)."""
    tz = info.tz
    return resolve_range(start, end, tz, now, default_range(granularity, now, tz), MAX_RANGE[granularity])


def footfall_periods(
    store: Store, sites: Sites, info: SiteInfo, span: TimeRange, granularity: Granularity, now: datetime,
    memo: Memo = no_memo,
) -> tuple[FootfallWithCoverage, ...]:  # fmt: skip
    """``footfall_with_coverage`` over ``span``, cut where the current period (this month, or today for days
    and hours) begins: the periods before it rarely change (a late record drops them), so they go through
    ``memo`` and a live write reads only the current period again. The cut is a period boundary, so the
    two parts joined are exactly the periods of the whole span."""
    schedule = sites.schedule(info.site)

    def periods_of(part: TimeRange) -> tuple[FootfallWithCoverage, ...]:
        return tuple(footfall_with_coverage(store, info.site, part, info.timezone, granularity, schedule.days,
                                            schedule.holidays, complete_at=info.complete_at, now=now))  # fmt: skip

    local = now.astimezone(info.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    current = local.replace(day=1) if granularity == "month" else local
    cut = min(max(current, span.start), span.end)
    before, since = TimeRange(span.start, cut), TimeRange(cut, span.end)
    periods: tuple[FootfallWithCoverage, ...] = ()
    if before.end > before.start:
        periods += memo(("footfall-periods", granularity), before, lambda: periods_of(before))
    if since.end > since.start:
        periods += periods_of(since)
    return periods


def footfall_series(
    store: Store, sites: Sites, info: SiteInfo, granularity: Granularity, start: str | None, end: str | None,
    now: datetime, memo: Memo = no_memo,
) -> FootfallSeries:  # fmt: skip
    """Every period of the range with its counts (never estimated) and its coverage; months are local."""
    span = footfall_span(info, granularity, start, end, now)
    periods = footfall_periods(store, sites, info, span, granularity, now, memo)
    return FootfallSeries(info.site, info.timezone, granularity, span.start, span.end, info.complete_at, periods)
