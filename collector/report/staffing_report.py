"""Each gerai's staffing over a site's opening hours in a range (the staffing view and the monthly report)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collector.report.gerai import STAFF_ROLES
from collector.report.periods import TimeRange
from collector.report.schedule import open_windows
from collector.report.sites import SiteInfo, Sites
from collector.report.staffing import StaffingSummary, Stretch, staffing
from collector.storage.base import Store


@dataclass(frozen=True, slots=True)
class GeraiStaffing(StaffingSummary):
    """One gerai's summary, its stretches in site-local time."""

    gerai: str
    name: str
    staff_zones: tuple[str, ...]  # "device/zone", sorted


@dataclass(frozen=True, slots=True)
class SiteStaffing:
    site: str
    timezone: str
    start: datetime
    end: datetime
    min_gap_min: float
    gerai: tuple[GeraiStaffing, ...]


def staffing_report(
    store: Store, sites: Sites, info: SiteInfo, span: TimeRange, min_gap_min: float, now: datetime | None = None
) -> SiteStaffing:
    """Gerai with a staff zone; unstaffed and unobserved stretches of at least ``min_gap_min`` minutes."""
    tz = info.tz
    records = store.zone_intervals(info.site, span.start, span.end)
    schedule = sites.schedule(info.site)
    windows = open_windows(schedule.days, schedule.holidays, span, tz, now)

    def local(stretches: tuple[Stretch, ...]) -> tuple[Stretch, ...]:
        return tuple(Stretch(s.start.astimezone(tz), s.end.astimezone(tz)) for s in stretches)

    out = []
    for gerai in sites.gerai(info.site, records):
        zones = gerai.zone_names(STAFF_ROLES)
        if not zones:
            continue
        summary = staffing([r for r in records if (r.device, r.zone) in zones], windows, tz, min_gap_min * 60)
        out.append(
            GeraiStaffing(
                open_s=summary.open_s,
                observed_s=summary.observed_s,
                staffed_s=summary.staffed_s,
                unstaffed=local(summary.unstaffed),
                unobserved=local(summary.unobserved),
                by_hour=summary.by_hour,
                hours=summary.hours,
                gerai=gerai.gerai,
                name=gerai.name,
                staff_zones=tuple(sorted(f"{d}/{z}" for d, z in zones)),
            )
        )
    return SiteStaffing(info.site, info.timezone, span.start, span.end, min_gap_min, tuple(out))
