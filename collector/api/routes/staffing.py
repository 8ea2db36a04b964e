"""Gerai staffing and visitor waiting, over opening hours."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from collector.api.deps import (
    CSV_RESPONSE,
    Ctx,
    Format,
    RangeEnd,
    RangeStart,
    Site,
    csv_response,
    kept,
    kept_json,
)
from collector.api.params import ResolutionQuery
from collector.api.schemas import StaffingReport, StaffingRow, WaitingReport, WaitingRow
from collector.report.periods import resolve_view_range
from collector.report.staffing_report import SiteStaffing, staffing_report
from collector.report.waiting import SiteWaiting, waiting_report

router = APIRouter(tags=["gerai"])

MinGap = Annotated[float, Query(ge=1, le=24 * 60, description="report unstaffed stretches at least this long")]


@router.get("/sites/{site}/staffing", response_model=StaffingReport, responses=CSV_RESPONSE)
async def get_staffing(
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
    span = resolve_view_range(start, end, site.tz, now)

    def report_of() -> SiteStaffing:
        return staffing_report(ctx.store, ctx.directory, site, span, min_gap_min, now)

    if fmt == "json":
        return await kept_json(ctx, ("staffing", min_gap_min), [site], span,
                               lambda: StaffingReport.model_validate(report_of()))  # fmt: skip
    report = await kept(ctx, ("staffing", min_gap_min), [site], span, report_of)
    rows = [
        StaffingRow(
            site=site.site,
            gerai=g.gerai,
            name=g.name,
            open_s=g.open_s,
            observed_s=g.observed_s,
            staffed_s=g.staffed_s,
            state=g.total.state,
            staffed_share=g.staffed_share,
            observed_share=g.observed_share,
            longest_unstaffed_s=g.longest_unstaffed_s,
            unstaffed_stretches=len(g.unstaffed),
            unobserved_stretches=len(g.unobserved),
        )
        for g in report.gerai
    ]
    return csv_response(StaffingRow, rows, f"staffing-{site.site}")


@router.get("/sites/{site}/waiting", response_model=WaitingReport, responses=CSV_RESPONSE)
async def get_waiting(
    ctx: Ctx,
    site: Site,
    start: RangeStart = None,
    end: RangeEnd = None,
    resolution: ResolutionQuery = "1h",
    fmt: Format = "json",
) -> WaitingReport | Response:
    """Per gerai: people in its queue zones over time and percentiles of completed visit durations."""
    now = ctx.clock()
    span = resolve_view_range(start, end, site.tz, now)

    def report_of() -> SiteWaiting:
        return waiting_report(ctx.store, ctx.directory, site, start, end, now, resolution)

    if fmt == "json":
        return await kept_json(ctx, ("waiting", resolution), [site], span,
                               lambda: WaitingReport.model_validate(report_of()))  # fmt: skip
    report = await kept(ctx, ("waiting", resolution), [site], span, report_of)
    rows = [
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
            mean_queue=g.mean_queue,
            max_queue=g.max_queue,
        )
        for g in report.gerai
    ]
    return csv_response(WaitingRow, rows, f"waiting-{site.site}")
