"""Gathers a MonthlyReport from the store: this site's months, every site's totals, hours, staffing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from collector.report.coverage_report import coverage_of
from collector.report.footfall import MAX_COMPARED_SITES
from collector.report.monthly import GeraiMonth, MonthlyReport, SiteMonth, hour_totals, longest
from collector.report.monthly_completeness import completeness
from collector.report.periods import MAX_YEAR, MIN_YEAR, PeriodError, TimeRange, month_start, next_month
from collector.report.site_coverage import FootfallWithCoverage, footfall_with_coverage
from collector.report.sites import SiteInfo, Sites
from collector.report.staffing_report import staffing_report
from collector.report.waiting import monthly_waiting
from collector.storage.base import Store

MIN_GAP_MIN = 15.0
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def months_back(start: datetime, n: int) -> datetime:
    for _ in range(n):
        start = (start - timedelta(days=1)).replace(day=1)
    return start


def report_month(month: str | None, now: datetime, tz: ZoneInfo) -> datetime:
    """Local start of ``month`` (YYYY-MM), by default the last complete month."""
    if month is None:
        return months_back(month_start(now.astimezone(tz), tz), 1)
    m = _MONTH.match(month)
    if not m or not MIN_YEAR <= int(m[1]) <= MAX_YEAR:
        raise PeriodError(f"{month!r} is not YYYY-MM (months 01-12, years {MIN_YEAR}-{MAX_YEAR})", "month")
    return datetime(int(m[1]), int(m[2]), 1, tzinfo=tz)


def _site_month(store: Store, sites: Sites, other: SiteInfo, start: datetime) -> SiteMonth:
    """This month and the one before of ``other``, in its own timezone, each with its completeness."""
    ostart = start.replace(tzinfo=other.tz)
    schedule = sites.schedule(other.site)
    before, this = footfall_with_coverage(store, other.site, TimeRange(months_back(ostart, 1), next_month(ostart)),
                                          other.timezone, "month", schedule.days, schedule.holidays,
                                          complete_at=other.complete_at)  # fmt: skip
    return SiteMonth(other.site, other.name, this.in_count, before.in_count, this.complete, before.complete)


def _since_first_seen(months: list[FootfallWithCoverage]) -> list[FootfallWithCoverage]:
    """The trend from the first month the site's cameras observed (before them there is nothing to
    show); later months the cameras did not see stay in, as unseen. The report's own month always."""
    first = next((i for i, p in enumerate(months) if p.observed_s > 0 or p.in_count > 0), len(months) - 1)
    return months[first:]


def gather_monthly_report(
    store: Store, sites: Sites, info: SiteInfo, month: str | None, now: datetime, may_read: Callable[[str], bool]
) -> MonthlyReport:
    """The report of ``info``'s month; the comparison lists only the sites ``may_read`` allows."""
    tz = info.tz
    start = report_month(month, now, tz)
    end = next_month(start)
    schedule = sites.schedule(info.site)
    months = footfall_with_coverage(store, info.site, TimeRange(months_back(start, 11), end), info.timezone, "month",
                                    schedule.days, schedule.holidays, complete_at=info.complete_at)  # fmt: skip
    hours = hour_totals(store.footfall([info.site], start, end, "hour", info.timezone), tz)
    readable = [other for other in sites.sites() if may_read(other.site)]
    compared = tuple(_site_month(store, sites, other, start) for other in readable[:MAX_COMPARED_SITES])
    staffing = staffing_report(store, sites, info, TimeRange(start, end), MIN_GAP_MIN)
    gerai = tuple(
        GeraiMonth(g.gerai, g.name, g.total.staffed_share, g.observed_share, longest(g.unstaffed))
        for g in staffing.gerai
    )
    return MonthlyReport(
        site=info.site,
        name=info.name,
        timezone=info.timezone,
        month=start,
        generated_at=now.astimezone(tz),
        months=tuple(_since_first_seen(months)),
        sites=compared,
        hours=hours,
        gerai=gerai,
        completeness=completeness(coverage_of(store, sites, info, TimeRange(start, end), "month")),
        audits=tuple(a for a in store.latest_audits() if a.site == info.site),
        waiting=monthly_waiting(store, sites, info, TimeRange(start, end)),
    )
