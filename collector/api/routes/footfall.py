"""Visitors through entrance lines, per site and calendar period in the site's timezone."""

from __future__ import annotations

from collections.abc import Callable
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
    cached,
    csv_response,
    forbid_other_sites,
    invalid_query,
    kept,
    kept_json,
    memo_for,
    site_info,
)
from collector.api.directory import SiteInfo
from collector.api.schemas import FootfallComparison, FootfallRow, SiteFootfall
from collector.report.footfall import MAX_COMPARED_SITES, footfall_series, footfall_span
from collector.report.periods import Granularity, TimeRange
from wire.vocabulary import is_identifier

router = APIRouter(tags=["footfall"])


def _rows(items: list[SiteFootfall]) -> list[FootfallRow]:
    return [
        FootfallRow(
            site=f.site,
            timezone=f.timezone,
            granularity=f.granularity,
            start=p.start,
            end=p.end,
            in_count=p.in_count,
            out_count=p.out_count,
            expected_s=p.expected_s,
            observed_s=p.observed_s,
            coverage=p.coverage,
            complete=p.complete,
        )
        for f in items
        for p in f.periods
    ]


def _footfall(
    ctx: Ctx, site: SiteInfo, granularity: Granularity, start: str | None, end: str | None
) -> tuple[TimeRange, Callable[[], SiteFootfall]]:
    """The span a site's footfall answer reads, and its computation."""
    now = ctx.clock()
    span = footfall_span(site, granularity, start, end, now)
    return span, lambda: SiteFootfall.model_validate(
        footfall_series(ctx.store, ctx.directory, site, granularity, start, end, now, memo_for(ctx, site)))  # fmt: skip


GranularityQuery = Annotated[Granularity, Query(description="month, day or hour (calendar periods, site-local)")]


@router.get("/sites/{site}/footfall", response_model=SiteFootfall, responses=CSV_RESPONSE)
async def get_site_footfall(
    ctx: Ctx,
    site: Site,
    start: RangeStart = None,
    end: RangeEnd = None,
    granularity: GranularityQuery = "day",
    fmt: Format = "json",
) -> SiteFootfall | Response:
    """In/out counts of lines with role ``entrance``, every period of the range, each with the entrance
    cameras' coverage of its opening time (``complete``: at or above the site's threshold)."""
    span, footfall = _footfall(ctx, site, granularity, start, end)
    if fmt == "json":
        return await kept_json(ctx, ("footfall", granularity), [site], span, footfall)
    result = await kept(ctx, ("footfall", granularity), [site], span, footfall)
    return csv_response(FootfallRow, _rows([result]), f"footfall-{site.site}-{granularity}")


@router.get("/footfall", response_model=FootfallComparison, responses=CSV_RESPONSE)
async def compare_footfall(
    ctx: Ctx,
    reader: Reader,
    sites: Annotated[str, Query(max_length=1400, description="comma-separated site identifiers")],
    start: RangeStart = None,
    end: RangeEnd = None,
    granularity: GranularityQuery = "month",
    fmt: Format = "json",
) -> FootfallComparison | Response:
    """Several sites side by side, each in its own timezone; every period below its site's coverage
    threshold has ``complete`` false."""
    names = list(dict.fromkeys(s.strip() for s in sites.split(",") if s.strip()))
    if not names:
        raise invalid_query("sites", "give at least one site identifier")
    if len(names) > MAX_COMPARED_SITES:
        raise invalid_query("sites", f"at most {MAX_COMPARED_SITES} sites")
    bad = [n for n in names if not is_identifier(n)]
    if bad:
        raise invalid_query("sites", f"{bad[0]!r} is not a site identifier")
    forbid_other_sites(reader, names)
    infos = [await site_info(ctx, n) for n in names]
    asks = [(info, *_footfall(ctx, info, granularity, start, end)) for info in infos]

    def each_site() -> list[SiteFootfall]:  # each site's answer as its own route keeps it
        return [cached(ctx, ("footfall", granularity), [info], span, compute) for info, span, compute in asks]

    # The comparison is kept over the sites' spans together (their local calendars differ).
    span = TimeRange(min(s.start for _, s, _ in asks), max(s.end for _, s, _ in asks))
    if fmt == "json":
        return await kept_json(ctx, ("footfall-comparison", granularity), infos, span,
                               lambda: FootfallComparison(granularity=granularity, sites=each_site()))  # fmt: skip
    items = await kept(ctx, ("footfall-comparison-items", granularity), infos, span, each_site)
    return csv_response(FootfallRow, _rows(items), f"footfall-comparison-{granularity}")
