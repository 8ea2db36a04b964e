"""Gerai staffing and visitor waiting, over opening hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response

from collector.api.deps import CSV_RESPONSE, Ctx, Format, RangeEnd, RangeStart, Site, csv_response
from collector.api.directory import SiteInfo
from collector.api.routes.occupancy import RESOLUTION_S, ResolutionQuery
from collector.api.schemas import (
    DwellOut,
    GeraiStaffingOut,
    GeraiWaitingOut,
    HourShareOut,
    QueuePointOut,
    StaffingReport,
    StaffingRow,
    StretchOut,
    WaitingReport,
    WaitingRow,
)
from collector.report.dwell import dwell_stats
from collector.report.gerai import STAFF_ROLES, WAITING_ROLES
from collector.report.occupancy import resample
from collector.report.periods import TimeRange, default_range, resolve_range
from collector.report.schedule import open_windows
from collector.report.staffing import Stretch, staffing

router = APIRouter(tags=["gerai"])

MAX_SPAN = timedelta(days=93)
MinGap = Annotated[float, Query(ge=1, le=24 * 60, description="report unstaffed stretches at least this long")]


def _stretch(s: Stretch, info: SiteInfo) -> StretchOut:
    return StretchOut(start=s.start.astimezone(info.tz), end=s.end.astimezone(info.tz), duration_s=s.duration_s)


def compute_staffing(ctx: Ctx, info: SiteInfo, span: TimeRange, min_gap_min: float) -> StaffingReport:
    tz = info.tz
    records = ctx.store.zone_intervals(info.site, span.start, span.end)
    schedule = ctx.directory.schedule(info.site)
    windows = open_windows(schedule.days, schedule.holidays, span, tz)
    out = []
    for gerai in ctx.directory.gerai(info.site, records):
        zones = gerai.zone_names(STAFF_ROLES)
        if not zones:
            continue
        summary = staffing([r for r in records if (r.device, r.zone) in zones], windows, tz, min_gap_min * 60)
        out.append(
            GeraiStaffingOut(
                gerai=gerai.gerai,
                name=gerai.name,
                staff_zones=sorted(f"{d}/{z}" for d, z in zones),
                open_s=summary.open_s,
                observed_s=summary.observed_s,
                staffed_s=summary.staffed_s,
                staffed_share=summary.staffed_share,
                observed_share=summary.observed_share,
                longest_unstaffed_s=summary.longest_unstaffed_s,
                unstaffed=[_stretch(s, info) for s in summary.unstaffed],
                unobserved=[_stretch(s, info) for s in summary.unobserved],
                by_hour=[
                    HourShareOut(hour=h.hour, observed_s=h.observed_s, staffed_share=h.staffed_share)
                    for h in summary.by_hour
                ],
            )
        )
    return StaffingReport(
        site=info.site, timezone=info.timezone, start=span.start, end=span.end, min_gap_min=min_gap_min, gerai=out
    )


@router.get("/sites/{site}/staffing", response_model=StaffingReport, responses=CSV_RESPONSE)
def get_staffing(
    ctx: Ctx,
    site: Site,
    start: RangeStart = None,
    end: RangeEnd = None,
    min_gap_min: MinGap = 15,
    fmt: Format = "json",
) -> StaffingReport | Response:
    """Share of opening hours with the staff zone occupied, and unstaffed stretches of at least
    ``min_gap_min`` minutes. Time the camera did not observe is listed as unobserved, not unstaffed."""
    now = ctx.clock()
    span = resolve_range(start, end, site.tz, now, default_range("hour", now, site.tz), MAX_SPAN)
    report = compute_staffing(ctx, site, span, min_gap_min)
    if fmt == "csv":
        rows = [
            StaffingRow(
                site=site.site,
                gerai=g.gerai,
                name=g.name,
                open_s=g.open_s,
                observed_s=g.observed_s,
                staffed_s=g.staffed_s,
                staffed_share=g.staffed_share,
                observed_share=g.observed_share,
                longest_unstaffed_s=g.longest_unstaffed_s,
                unstaffed_stretches=len(g.unstaffed),
                unobserved_stretches=len(g.unobserved),
            )
            for g in report.gerai
        ]
        return csv_response(StaffingRow, rows, f"staffing-{site.site}")
    return report


@router.get("/sites/{site}/waiting", response_model=WaitingReport, responses=CSV_RESPONSE)
def get_waiting(
    ctx: Ctx,
    site: Site,
    start: RangeStart = None,
    end: RangeEnd = None,
    resolution: ResolutionQuery = "1h",
    fmt: Format = "json",
) -> WaitingReport | Response:
    """Per gerai: people in its queue zones over time and percentiles of completed visit durations."""
    tz = site.tz
    now = ctx.clock()
    span = resolve_range(start, end, tz, now, default_range("hour", now, tz), MAX_SPAN)
    step = RESOLUTION_S[resolution]
    records = ctx.store.zone_intervals(site.site, span.start, span.end)
    dwells = ctx.store.dwell_samples(site.site, span.start, span.end)
    out = []
    for gerai in ctx.directory.gerai(site.site, records):
        zones = gerai.zone_names(WAITING_ROLES)
        if not zones:
            continue
        mine = [r for r in records if (r.device, r.zone) in zones]
        # Several queue zones of one gerai add up (people), per bucket.
        buckets: dict[datetime, list[float]] = {}
        for p in resample(mine, step, tz):
            b = buckets.setdefault(p.start, [0.0, 0.0, 0.0])
            b[0] += p.mean_count or 0.0
            b[1] = max(b[1], p.max_count)
            b[2] += p.observed_s
        stats = dwell_stats([d.dwell_s for d in dwells if (d.device, d.zone) in zones])
        out.append(
            GeraiWaitingOut(
                gerai=gerai.gerai,
                name=gerai.name,
                queue_zones=sorted(f"{d}/{z}" for d, z in zones),
                visits=sum(r.visits for r in mine),
                dwell=DwellOut(
                    count=stats.count,
                    mean_s=stats.mean_s,
                    p50_s=stats.p50_s,
                    p90_s=stats.p90_s,
                    p95_s=stats.p95_s,
                    max_s=stats.max_s,
                ),
                queue=[
                    QueuePointOut(start=k, mean_count=v[0] if v[2] > 0 else None, max_count=int(v[1]))
                    for k, v in sorted(buckets.items())
                ],
            )
        )
    if fmt == "csv":
        rows = []
        for g in out:
            means = [q.mean_count for q in g.queue if q.mean_count is not None]
            rows.append(
                WaitingRow(
                    site=site.site,
                    gerai=g.gerai,
                    name=g.name,
                    visits=g.visits,
                    dwell_count=g.dwell.count,
                    dwell_mean_s=g.dwell.mean_s,
                    dwell_p50_s=g.dwell.p50_s,
                    dwell_p90_s=g.dwell.p90_s,
                    dwell_p95_s=g.dwell.p95_s,
                    mean_queue=sum(means) / len(means) if means else None,
                    max_queue=max((q.max_count for q in g.queue), default=0),
                )
            )
        return csv_response(WaitingRow, rows, f"waiting-{site.site}")
    return WaitingReport(
        site=site.site, timezone=site.timezone, start=span.start, end=span.end, resolution=resolution, gerai=out
    )
