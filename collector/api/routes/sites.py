"""Sites, their gerai and opening hours: read by viewers, changed by admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status

from collector.admin import GeraiSettings, OpeningHoursSettings, SiteSettings
from collector.api.deps import CSV_RESPONSE, AdminRole, Ctx, Format, Reader, Site, SiteId, csv_response
from collector.api.schemas import GeraiOut, GeraiRow, OpeningHoursOut, OpeningRow, SiteOut
from collector.report.sites import SiteInfo
from wire.vocabulary import IDENTIFIER_PATTERN

router = APIRouter(tags=["sites"])

GeraiId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, description="gerai identifier")]


@router.get("/sites", response_model=list[SiteOut], responses=CSV_RESPONSE)
def list_sites(ctx: Ctx, reader: Reader, fmt: Format = "json") -> list[SiteOut] | Response:
    """Every site seen in telemetry or configured (a site-scoped token: its sites); timezone from config,
    else from its devices, else WIB."""
    sites = [SiteOut.model_validate(i) for i in ctx.directory.sites() if reader.may_read(i.site)]
    return csv_response(SiteOut, sites, "sites") if fmt == "csv" else sites


@router.get("/sites/{site}", response_model=SiteOut)
def get_site(site: Site) -> SiteOut:
    return SiteOut.model_validate(site)


@router.put("/sites/{site}", response_model=SiteOut)
def put_site(ctx: Ctx, _: AdminRole, site: SiteId, settings: SiteSettings) -> SiteOut:
    """Name a site or fix its timezone (also registers a site not yet seen)."""
    ctx.admin.put_site(site, settings)
    return SiteOut.model_validate(ctx.directory.site(site))


@router.delete("/sites/{site}", status_code=status.HTTP_204_NO_CONTENT)
def delete_site_settings(ctx: Ctx, _: AdminRole, site: SiteId) -> None:
    """Forget a site's admin settings (a site seen in telemetry stays listed)."""
    if not ctx.admin.delete_site(site):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"site {site!r} has no admin settings")


@router.get("/sites/{site}/gerai", response_model=list[GeraiOut], responses=CSV_RESPONSE)
def list_gerai(ctx: Ctx, site: Site, fmt: Format = "json") -> list[GeraiOut] | Response:
    """Gerai with their zones: admin-configured, else from the zones' gerai tag in the last day of telemetry."""
    # from_attributes reaches the zones too (GeraiZone -> GeraiZoneRef).
    items = [GeraiOut.model_validate(g, from_attributes=True) for g in ctx.directory.gerai(site.site)]
    if fmt == "csv":
        rows = [
            GeraiRow(
                site=site.site, gerai=g.gerai, name=g.name, source=g.source, device=z.device, zone=z.zone, role=z.role
            )
            for g in items
            for z in g.zones
        ]
        return csv_response(GeraiRow, rows, f"gerai-{site.site}")
    return items


@router.put("/sites/{site}/gerai/{gerai}", response_model=GeraiOut)
def put_gerai(ctx: Ctx, _: AdminRole, site: Site, gerai: GeraiId, settings: GeraiSettings) -> GeraiOut:
    """Set which device zones belong to a gerai (role staff: staffing; queue/visitor: waiting)."""
    ctx.admin.put_gerai(site.site, gerai, settings)
    return GeraiOut(gerai=gerai, name=settings.name or gerai, source="config", zones=settings.zones)


@router.delete("/sites/{site}/gerai/{gerai}", status_code=status.HTTP_204_NO_CONTENT)
def delete_gerai(ctx: Ctx, _: AdminRole, site: Site, gerai: GeraiId) -> None:
    """Drop a gerai's admin settings (telemetry tags apply again)."""
    if not ctx.admin.delete_gerai(site.site, gerai):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"gerai {gerai!r} of site {site.site!r} has no admin settings")


def _hours_out(ctx: Ctx, info: SiteInfo) -> OpeningHoursOut:
    schedule = ctx.directory.schedule(info.site)
    settings = ctx.admin.opening_hours(info.site)
    return OpeningHoursOut(
        site=info.site,
        timezone=info.timezone,
        source="config" if schedule.configured else "default",
        days=ctx.directory.as_opening_days(schedule.days),
        holidays=settings.holidays if settings else [],
    )


@router.get("/sites/{site}/opening-hours", response_model=OpeningHoursOut, responses=CSV_RESPONSE)
def get_opening_hours(ctx: Ctx, site: Site, fmt: Format = "json") -> OpeningHoursOut | Response:
    """Weekly opening hours (site-local) and holidays; Monday-Friday 08:00-16:00 until an admin sets them."""
    hours = _hours_out(ctx, site)
    if fmt == "csv":
        rows = [
            OpeningRow(
                site=site.site, kind="day", weekday=d.weekday, opens=d.opens, closes=d.closes, date=None, name=None
            )
            for d in hours.days
        ] + [
            OpeningRow(site=site.site, kind="holiday", weekday=None, opens=None, closes=None, date=h.date, name=h.name)
            for h in hours.holidays
        ]
        return csv_response(OpeningRow, rows, f"opening-hours-{site.site}")
    return hours


@router.put("/sites/{site}/opening-hours", response_model=OpeningHoursOut)
def put_opening_hours(ctx: Ctx, _: AdminRole, site: Site, settings: OpeningHoursSettings) -> OpeningHoursOut:
    ctx.admin.put_opening_hours(site.site, settings)
    return _hours_out(ctx, site)
