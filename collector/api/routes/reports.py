"""Monthly report: printable HTML page or PDF."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from collector.api.deps import Ctx, Reader, Site
from collector.report.monthly import Language, render_html
from collector.report.monthly_pdf import render_pdf
from collector.report.monthly_query import gather_monthly_report

router = APIRouter(tags=["reports"])


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
    report = gather_monthly_report(ctx.store, ctx.directory, site, month, ctx.clock(), reader.may_read)
    if fmt == "pdf":
        name = f"laporan-{site.site}-{report.month:%Y-%m}.pdf"
        return Response(
            render_pdf(report, lang),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )
    return HTMLResponse(render_html(report, lang))
