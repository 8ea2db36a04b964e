"""Zone occupancy: a time series at a chosen resolution, and the latest interval per zone."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from collector.api.deps import CSV_RESPONSE, Ctx, Format, RangeEnd, RangeStart, Site, csv_response, invalid_query
from collector.api.schemas import LiveOccupancy, LiveZoneOut, OccupancyPointOut, OccupancySeries
from collector.report.occupancy import latest_per_zone, resample
from collector.report.periods import default_range, resolve_range
from wire.topics import IDENTIFIER_PATTERN

router = APIRouter(tags=["occupancy"])

Resolution = Literal["1m", "5m", "15m", "1h", "1d"]
RESOLUTION_S = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "1d": 86400}
MAX_POINTS_PER_ZONE = 20_000
MAX_SPAN = timedelta(days=93)
LIVE_WINDOW = timedelta(minutes=15)

ResolutionQuery = Annotated[Resolution, Query(description="bucket length, in site-local wall time")]


@router.get("/sites/{site}/occupancy", response_model=OccupancySeries, responses=CSV_RESPONSE)
def occupancy_series(
    ctx: Ctx,
    site: Site,
    start: RangeStart = None,
    end: RangeEnd = None,
    resolution: ResolutionQuery = "5m",
    zone: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")] = None,
    gerai: Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN)] = None,
    role: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")] = None,
    fmt: Format = "json",
) -> OccupancySeries | Response:
    """Occupancy per zone (default: today); mean_count is weighted by observed seconds."""
    tz = site.tz
    now = ctx.clock()
    span = resolve_range(start, end, tz, now, default_range("hour", now, tz), MAX_SPAN)
    step = RESOLUTION_S[resolution]
    if (span.end - span.start).total_seconds() / step > MAX_POINTS_PER_ZONE:
        raise invalid_query(
            "resolution",
            f": {resolution} over this range gives more than {MAX_POINTS_PER_ZONE} points; pick a coarser one",
        )
    records = ctx.store.zone_intervals(site.site, span.start, span.end, [zone] if zone else None)
    records = [r for r in records if (gerai is None or r.gerai == gerai) and (role is None or r.role == role)]
    points = [
        OccupancyPointOut(
            device=p.device,
            zone=p.zone,
            role=p.role,
            gerai=p.gerai,
            start=p.start,
            interval_s=p.interval_s,
            observed_s=p.observed_s,
            mean_count=p.mean_count,
            max_count=p.max_count,
            occupied_share=p.occupied_share,
            visits=p.visits,
        )
        for p in resample(records, step, tz)
    ]
    if fmt == "csv":
        return csv_response(OccupancyPointOut, points, f"occupancy-{site.site}-{resolution}")
    series = OccupancySeries(
        site=site.site, timezone=site.timezone, resolution=resolution, start=span.start, end=span.end, points=points
    )
    # Serialised here: the default path would validate thousands of points a second time.
    return Response(series.model_dump_json(by_alias=True), media_type="application/json")


@router.get("/sites/{site}/occupancy/live", response_model=LiveOccupancy, responses=CSV_RESPONSE)
def live_occupancy(ctx: Ctx, site: Site, fmt: Format = "json") -> LiveOccupancy | Response:
    """The latest interval of each zone reported in the last 15 minutes (or the silent threshold)."""
    now = ctx.clock()
    window = max(LIVE_WINDOW, timedelta(seconds=ctx.settings.silent_after_s))
    latest = latest_per_zone(ctx.store.zone_intervals(site.site, now - window, now + timedelta(minutes=1)))
    zones = [
        LiveZoneOut(
            device=r.device,
            zone=r.zone,
            role=r.role,
            gerai=r.gerai,
            interval_start=r.interval_start.astimezone(site.tz),
            interval_s=r.interval_s,
            observed_s=r.observed_s,
            mean_count=r.mean_count,
            max_count=r.max_count,
            occupied_s=r.occupied_s,
        )
        for r in latest
    ]
    if fmt == "csv":
        return csv_response(LiveZoneOut, zones, f"occupancy-live-{site.site}")
    return LiveOccupancy(site=site.site, timezone=site.timezone, as_of=now.astimezone(site.tz), zones=zones)
