"""Monthly report: printable HTML page or PDF."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from collector.admin import Principal
from collector.api.deps import Ctx, Reader, Site, invalid_query
from collector.api.directory import SiteInfo
from collector.api.routes.staffing import compute_staffing
from collector.report.monthly import GeraiMonth, Language, MonthlyReport, SiteMonth, hour_totals, longest, render_html
from collector.report.monthly_pdf import render_pdf
from collector.report.periods import MAX_YEAR, MIN_YEAR, TimeRange, fold_months, month_start, next_month
from collector.report.staffing import Stretch

router = APIRouter(tags=["reports"])

MAX_COMPARED_SITES = 20
MIN_GAP_MIN = 15.0
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _months_back(start: datetime, n: int) -> datetime:
    for _ in range(n):
        start = (start - timedelta(days=1)).replace(day=1)
    return start


def build_report(ctx: Ctx, info: SiteInfo, month: str | None, reader: Principal) -> MonthlyReport:
    tz = info.tz
    now = ctx.clock()
    if month is None:
        start = _months_back(month_start(now.astimezone(tz), tz), 1)  # the last complete month
    else:
        m = _MONTH.match(month)
        if not m or not MIN_YEAR <= int(m[1]) <= MAX_YEAR:
            raise invalid_query("month", f"{month!r} is not YYYY-MM (months 01-12, years {MIN_YEAR}-{MAX_YEAR})")
        start = datetime(int(m[1]), int(m[2]), 1, tzinfo=tz)
    end = next_month(start)
    first = _months_back(start, 11)
    days = ctx.store.footfall([info.site], first, end, "day", info.timezone)
    months = tuple(fold_months(days, tz))
    hours = hour_totals(ctx.store.footfall([info.site], start, end, "hour", info.timezone), tz)
    compared = []
    readable = [s for s in ctx.directory.sites() if reader.may_read(s.site)]
    for other in readable[:MAX_COMPARED_SITES]:
        otz = other.tz
        ostart = start.replace(tzinfo=otz)
        oprev = _months_back(ostart, 1)
        totals = {
            p.start.replace(tzinfo=None): p.in_count
            for p in fold_months(
                ctx.store.footfall([other.site], oprev, next_month(ostart), "day", other.timezone), otz
            )
        }
        compared.append(
            SiteMonth(
                other.site,
                other.name,
                totals.get(ostart.replace(tzinfo=None), 0),
                totals.get(oprev.replace(tzinfo=None), 0),
            )
        )
    staffing = compute_staffing(ctx, info, TimeRange(start, end), MIN_GAP_MIN)
    gerai = tuple(
        GeraiMonth(
            g.gerai,
            g.name,
            g.staffed_share,
            g.observed_share,
            longest([Stretch(s.start, s.end) for s in g.unstaffed]),
        )
        for g in staffing.gerai
    )
    return MonthlyReport(
        site=info.site,
        name=info.name,
        timezone=info.timezone,
        month=start,
        generated_at=now.astimezone(tz),
        months=months,
        sites=tuple(compared),
        hours=hours,
        gerai=gerai,
    )


@router.get(
    "/sites/{site}/reports/monthly",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}, "description": "HTML page or PDF"}},
)
def monthly_report(
    ctx: Ctx,
    reader: Reader,
    site: Site,
    month: Annotated[str | None, Query(max_length=7, description="YYYY-MM; default: the last complete month")] = None,
    fmt: Annotated[Literal["html", "pdf"], Query(alias="format")] = "html",
    lang: Annotated[Language, Query(description="id (Bahasa Indonesia) or en")] = "id",
) -> Response:
    """Visitors per month against earlier months and other sites, busiest hours, and each gerai's
    staffing share with its longest empty stretches."""
    report = build_report(ctx, site, month, reader)
    if fmt == "pdf":
        name = f"laporan-{site.site}-{report.month:%Y-%m}.pdf"
        return Response(
            render_pdf(report, lang),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )
    return HTMLResponse(render_html(report, lang))
