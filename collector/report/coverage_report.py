"""The coverage view of a site: ``site_coverage`` over a range the API names, gaps in local time."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from collector.report.coverage import DeviceCoverage, Gap, PeriodCoverage
from collector.report.footfall import footfall_span
from collector.report.periods import Granularity, TimeRange
from collector.report.site_coverage import SiteCoverage, site_coverage
from collector.report.sites import SiteInfo, Sites
from collector.storage.base import Store


@dataclasses.dataclass(frozen=True, slots=True)
class CoverageReport:
    site: str
    timezone: str
    start: datetime
    end: datetime
    granularity: Granularity
    complete_at: float
    min_gap_s: float
    entrance: tuple[PeriodCoverage, ...]
    devices: tuple[DeviceCoverage, ...]  # gaps in site-local time
    gaps: tuple[Gap, ...]  # site-local time


def coverage_of(
    store: Store, sites: Sites, info: SiteInfo, span: TimeRange, granularity: Granularity, now: datetime | None = None
) -> SiteCoverage:
    """``site_coverage`` with the site's calendar, gerai and threshold from the directory, up to ``now`` if given."""
    schedule = sites.schedule(info.site)
    return site_coverage(store, info.site, span, info.timezone, granularity, schedule.days, schedule.holidays,
                         sites.gerai(info.site), complete_at=info.complete_at, now=now)  # fmt: skip


def coverage_report(
    store: Store, sites: Sites, info: SiteInfo, granularity: Granularity, start: str | None, end: str | None,
    now: datetime,
) -> CoverageReport:  # fmt: skip
    """The range as the API takes it (``footfall_span``: the same defaults and limits as footfall)."""
    tz = info.tz
    cov = coverage_of(store, sites, info, footfall_span(info, granularity, start, end, now), granularity, now)

    def local(gaps: tuple[Gap, ...]) -> tuple[Gap, ...]:
        return tuple(dataclasses.replace(g, start=g.start.astimezone(tz), end=g.end.astimezone(tz)) for g in gaps)

    return CoverageReport(
        site=cov.site,
        timezone=cov.timezone,
        start=cov.span.start,
        end=cov.span.end,
        granularity=cov.granularity,
        complete_at=cov.complete_at,
        min_gap_s=cov.min_gap_s,
        entrance=cov.entrance,
        devices=tuple(dataclasses.replace(d, gaps=local(d.gaps)) for d in cov.devices),
        gaps=local(cov.gaps),
    )
