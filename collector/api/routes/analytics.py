"""The dashboard's analytics: KPI figures, footfall by hour of the week, staffing per month or day."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from collector.api.analytics_schemas import (
    FootfallHeatmapOut,
    HeatmapRow,
    SiteKpiOut,
    StaffingPeriodRow,
    StaffingPeriodsReport,
)
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
    memo_for,
    up_to_this_minute,
)
from collector.report.heatmap import footfall_heatmap, heatmap_span
from collector.report.kpi import kpi_start, site_kpi
from collector.report.staffing_periods import StaffingGranularity, staffing_by_period, staffing_span

router = APIRouter(tags=["analytics"])

PeriodQuery = Annotated[StaffingGranularity, Query(description="month (up to 400 days) or day (up to 93 days)")]


@router.get("/sites/{site}/kpi", response_model=SiteKpiOut)
async def get_kpi(ctx: Ctx, site: Site) -> Response:
    """Visitors today; this month so far against the same stretch of last month and of this month a year
    ago; staffing this month. Each count with its coverage, each change with whether it is comparable."""
    now = ctx.clock()
    span = up_to_this_minute(kpi_start(now.astimezone(site.tz)), now)
    memo = memo_for(ctx, site)

    def kpi() -> SiteKpiOut:
        return SiteKpiOut.model_validate(site_kpi(ctx.store, ctx.directory, site, now, memo))

    return await kept_json(ctx, "kpi", [site], span, kpi)


@router.get("/sites/{site}/footfall/heatmap", response_model=FootfallHeatmapOut, responses=CSV_RESPONSE)
async def get_footfall_heatmap(
    ctx: Ctx, site: Site, start: RangeStart = None, end: RangeEnd = None, fmt: Format = "json"
) -> FootfallHeatmapOut | Response:
    """Entrance counts per local weekday and hour over the range (default: the last 30 days, at most
    400), each cell with the entrance cameras' coverage of its opening time."""
    now = ctx.clock()
    span = heatmap_span(site, start, end, now)

    def heatmap() -> FootfallHeatmapOut:
        return FootfallHeatmapOut.model_validate(
            footfall_heatmap(ctx.store, ctx.directory, site, span, now, memo_for(ctx, site))
        )

    if fmt == "json":
        return await kept_json(ctx, "heatmap", [site], span, heatmap)
    body = await kept(ctx, "heatmap", [site], span, heatmap)
    rows = [HeatmapRow(site=site.site, start=body.start, end=body.end, **c.model_dump()) for c in body.cells]
    return csv_response(HeatmapRow, rows, f"footfall-heatmap-{site.site}")


@router.get("/sites/{site}/staffing/periods", response_model=StaffingPeriodsReport, responses=CSV_RESPONSE)
async def get_staffing_periods(
    ctx: Ctx,
    site: Site,
    start: RangeStart = None,
    end: RangeEnd = None,
    granularity: PeriodQuery = "month",
    fmt: Format = "json",
) -> StaffingPeriodsReport | Response:
    """Each gerai's staffed share per month (default: the last 12 months) or day, beside its observed
    share; a period the camera saw too little of is not_observed, never staffed nor unstaffed."""
    now = ctx.clock()
    span = staffing_span(site, granularity, start, end, now)
    memo = memo_for(ctx, site)

    def periods() -> StaffingPeriodsReport:
        return StaffingPeriodsReport.model_validate(
            staffing_by_period(ctx.store, ctx.directory, site, granularity, span, now, memo)
        )

    if fmt == "json":
        return await kept_json(ctx, ("staffing-periods", granularity), [site], span, periods)
    body = await kept(ctx, ("staffing-periods", granularity), [site], span, periods)
    rows = [
        StaffingPeriodRow(site=site.site, gerai=g.gerai, name=g.name, **p.model_dump())
        for g in body.gerai
        for p in g.periods
    ]
    return csv_response(StaffingPeriodRow, rows, f"staffing-{granularity}-{site.site}")
