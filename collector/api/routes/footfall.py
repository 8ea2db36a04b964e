"""Visitors through entrance lines, per site and calendar period in the site's timezone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from collector.api.deps import (
    CSV_RESPONSE,
    Ctx,
    Format,
    RangeEnd,
    RangeStart,
    Reader,
    Site,
    csv_response,
    forbid_other_sites,
    invalid_query,
)
from collector.api.directory import SiteInfo
from collector.api.schemas import FootfallComparison, FootfallPeriodOut, FootfallRow, Granularity, SiteFootfall
from collector.report.periods import MAX_RANGE, as_periods, default_range, fold_months, resolve_range
from collector.storage.base import Bucket
from wire.topics import is_identifier

router = APIRouter(tags=["footfall"])

MAX_COMPARED_SITES = 20


def compute_footfall(
    ctx: Ctx, info: SiteInfo, granularity: Granularity, start: str | None, end: str | None
) -> SiteFootfall:
    tz = info.tz
    now = ctx.clock()
    span = resolve_range(start, end, tz, now, default_range(granularity, now, tz), MAX_RANGE[granularity])
    bucket: Bucket = "hour" if granularity == "hour" else "day"
    rows = ctx.store.footfall([info.site], span.start, span.end, bucket, info.timezone)
    periods = fold_months(rows, tz) if granularity == "month" else as_periods(rows, tz)
    return SiteFootfall(
        site=info.site,
        timezone=info.timezone,
        granularity=granularity,
        start=span.start,
        end=span.end,
        periods=[FootfallPeriodOut(start=p.start, in_count=p.in_count, out_count=p.out_count) for p in periods],
    )


def _rows(items: list[SiteFootfall]) -> list[FootfallRow]:
    return [
        FootfallRow(
            site=f.site,
            timezone=f.timezone,
            granularity=f.granularity,
            start=p.start,
            in_count=p.in_count,
            out_count=p.out_count,
        )
        for f in items
        for p in f.periods
    ]


GranularityQuery = Annotated[Granularity, Query(description="month, day or hour (calendar periods, site-local)")]


@router.get("/sites/{site}/footfall", response_model=SiteFootfall, responses=CSV_RESPONSE)
def get_site_footfall(
    ctx: Ctx,
    site: Site,
    start: RangeStart = None,
    end: RangeEnd = None,
    granularity: GranularityQuery = "day",
    fmt: Format = "json",
) -> SiteFootfall | Response:
    """In/out counts of lines with role ``entrance``; months fold the site's local calendar days."""
    result = compute_footfall(ctx, site, granularity, start, end)
    if fmt == "csv":
        return csv_response(FootfallRow, _rows([result]), f"footfall-{site.site}-{granularity}")
    return result


@router.get("/footfall", response_model=FootfallComparison, responses=CSV_RESPONSE)
def compare_footfall(
    ctx: Ctx,
    reader: Reader,
    sites: Annotated[str, Query(max_length=1400, description="comma-separated site identifiers")],
    start: RangeStart = None,
    end: RangeEnd = None,
    granularity: GranularityQuery = "month",
    fmt: Format = "json",
) -> FootfallComparison | Response:
    """Several sites side by side, each in its own timezone."""
    names = list(dict.fromkeys(s.strip() for s in sites.split(",") if s.strip()))
    if not names:
        raise invalid_query("sites", "give at least one site identifier")
    if len(names) > MAX_COMPARED_SITES:
        raise invalid_query("sites", f"at most {MAX_COMPARED_SITES} sites")
    bad = [n for n in names if not is_identifier(n)]
    if bad:
        raise invalid_query("sites", f"{bad[0]!r} is not a site identifier")
    forbid_other_sites(reader, names)
    items = [compute_footfall(ctx, ctx.directory.site(n), granularity, start, end) for n in names]
    if fmt == "csv":
        return csv_response(FootfallRow, _rows(items), f"footfall-comparison-{granularity}")
    return FootfallComparison(granularity=granularity, sites=items)
