"""A site's holiday calendar: Indonesia's national holidays preloaded, the site's own days laid over."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError

from collector.api.deps import AdminRole, Ctx, Site
from collector.api.schemas import ClosedDayIn, HolidayCalendarOut
from collector.report.monthly import Language
from collector.report.periods import MAX_YEAR, MIN_YEAR
from collector.report.sites import SiteInfo

router = APIRouter(tags=["sites"])

Year = Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR, description="default: this year, site-local")]
Lang = Annotated[Language, Query(description="language of the national holidays' names: id or en")]
Day = Annotated[date, PathParam(description="YYYY-MM-DD, site-local")]


def _calendar(ctx: Ctx, info: SiteInfo, year: int | None, lang: Language) -> HolidayCalendarOut:
    calendar = ctx.directory.calendar(info.site, year or ctx.clock().astimezone(info.tz).year, lang)
    return HolidayCalendarOut.model_validate(calendar)


@router.get("/sites/{site}/holidays", response_model=HolidayCalendarOut)
def get_holidays(ctx: Ctx, site: Site, year: Year = None, lang: Lang = "id") -> HolidayCalendarOut:
    """The year's national holidays (closed) and cuti bersama (open unless the site observes it), with the
    site's own days. Closed days have no opening time: coverage expects nothing then, so they are no gap."""
    return _calendar(ctx, site, year, lang)


@router.put("/sites/{site}/holidays/{day}", response_model=HolidayCalendarOut)
def close_day(ctx: Ctx, _: AdminRole, site: Site, day: Day, body: ClosedDayIn, lang: Lang = "id") -> HolidayCalendarOut:
    """The site is closed on this day: a local holiday, a cuti bersama day it observes, or a national
    holiday restored. Answers that year's calendar."""
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise RequestValidationError([{"type": "value_error", "loc": ("path", "day"),
                                       "msg": f"the year must be {MIN_YEAR}-{MAX_YEAR}", "input": None}])  # fmt: skip
    ctx.directory.close_day(site.site, day, body.name)
    return _calendar(ctx, site, day.year, lang)


@router.delete("/sites/{site}/holidays/{day}", response_model=HolidayCalendarOut)
def open_day(ctx: Ctx, _: AdminRole, site: Site, day: Day, lang: Lang = "id") -> HolidayCalendarOut:
    """The site is open on this day after all (a national holiday it works through, or its own day
    removed). Answers that year's calendar."""
    if not ctx.directory.open_day(site.site, day):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{day.isoformat()} is no closed day of site {site.site!r}")
    return _calendar(ctx, site, day.year, lang)
