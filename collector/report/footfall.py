"""Visitors through entrance lines, per calendar period in the site's timezone, each period with the
entrance cameras' coverage of its opening time (a count is only as good as the time observed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


def footfall_series(
    store: Store, sites: Sites, info: SiteInfo, granularity: Granularity, start: str | None, end: str | None,
    now: datetime,
) -> FootfallSeries:  # fmt: skip
    """Every period of the range with its counts (never estimated) and its coverage; months are local."""
    span = footfall_span(info, granularity, start, end, now)
    schedule = sites.schedule(info.site)
    rows = footfall_with_coverage(store, info.site, span, info.timezone, granularity, schedule.days,
                                  schedule.holidays, complete_at=info.complete_at)  # fmt: skip
    return FootfallSeries(info.site, info.timezone, granularity, span.start, span.end, info.complete_at, tuple(rows))
