"""Coverage: how much of the opening time each device observed, and the gaps with their causes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from collector.api.deps import CSV_RESPONSE, Ctx, Format, RangeEnd, RangeStart, Site, csv_response
from collector.api.schemas import CoverageRow, SiteCoverageOut
from collector.report.coverage_report import coverage_report
from collector.report.periods import Granularity

router = APIRouter(tags=["coverage"])

CoverageGranularity = Annotated[Granularity, Query(description="periods of the table: month, day or hour")]


@router.get("/sites/{site}/coverage", response_model=SiteCoverageOut, responses=CSV_RESPONSE)
def get_coverage(
    ctx: Ctx,
    site: Site,
    start: RangeStart = None,
    end: RangeEnd = None,
    granularity: CoverageGranularity = "day",
    fmt: Format = "json",
) -> SiteCoverageOut | Response:
    """Per expected device (entrance lines, gerai staff and queue zones) and period: expected and
    observed opening time; each stretch of opening time without observation of at least
    ``min_gap_s`` with its cause. Closed time (outside hours, holidays, closed days) is no gap."""
    report = coverage_report(ctx.store, ctx.directory, site, granularity, start, end, ctx.clock())
    if fmt == "csv":
        rows = [
            CoverageRow(
                site=report.site,
                device=d.device,
                start=p.start,
                end=p.end,
                expected_s=p.expected_s,
                observed_s=p.observed_s,
                coverage=p.coverage,
                complete=p.complete,
                gaps=sum(1 for g in d.gaps if p.start <= g.start < p.end),
            )
            for d in report.devices
            for p in d.periods
        ]
        return csv_response(CoverageRow, rows, f"coverage-{site.site}-{granularity}")
    return SiteCoverageOut.model_validate(report)
