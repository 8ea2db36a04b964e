"""Zone occupancy: a time series at a chosen resolution, and the latest interval per zone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from collector.api.deps import (
    CSV_RESPONSE,
    SINCE_EVER,
    Ctx,
    Format,
    RangeEnd,
    RangeStart,
    Site,
    csv_response,
    kept,
    kept_json,
    up_to_this_minute,
)
from collector.api.params import ResolutionQuery
from collector.api.schemas import LiveOccupancy, LiveZoneOut, OccupancyPointOut, OccupancySeries
from collector.report.occupancy import live_zones, zone_series
from collector.report.periods import resolve_view_range
from wire.vocabulary import IDENTIFIER_PATTERN, NAME_PATTERN

router = APIRouter(tags=["occupancy"])


@router.get("/sites/{site}/occupancy", response_model=OccupancySeries, responses=CSV_RESPONSE)
async def occupancy_series(
    ctx: Ctx,
    site: Site,
    start: RangeStart = None,
    end: RangeEnd = None,
    resolution: ResolutionQuery = "5m",
    zone: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
    gerai: Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN)] = None,
    role: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
    fmt: Format = "json",
) -> OccupancySeries | Response:
    """Occupancy per zone (default: today); mean_count is weighted by observed seconds."""
    now = ctx.clock()
    span = resolve_view_range(start, end, site.tz, now)

    def series() -> OccupancySeries:
        return OccupancySeries.model_validate(
            zone_series(ctx.store, site, start, end, now, resolution, zone=zone, gerai=gerai, role=role)
        )

    if fmt == "json":
        return await kept_json(ctx, ("occupancy", resolution, zone, gerai, role), [site], span, series)
    body = await kept(ctx, ("occupancy", resolution, zone, gerai, role), [site], span, series)
    return csv_response(OccupancyPointOut, body.points, f"occupancy-{site.site}-{resolution}")


@router.get("/sites/{site}/occupancy/live", response_model=LiveOccupancy, responses=CSV_RESPONSE)
async def live_occupancy(ctx: Ctx, site: Site, fmt: Format = "json") -> LiveOccupancy | Response:
    """The latest interval of each zone reported in the last 15 minutes (or the silent threshold)."""
    now = ctx.clock()

    def latest() -> list[LiveZoneOut]:
        return [LiveZoneOut.model_validate(r) for r in live_zones(ctx.store, site, now, ctx.settings.silent_after_s)]

    zones = await kept(ctx, "live", [site], up_to_this_minute(SINCE_EVER, now), latest)
    if fmt == "csv":
        return csv_response(LiveZoneOut, zones, f"occupancy-live-{site.site}")
    return LiveOccupancy(site=site.site, timezone=site.timezone, as_of=now.astimezone(site.tz), zones=zones)
