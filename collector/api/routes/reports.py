"""Monthly report: printable HTML page or PDF, by token or through a signed link that expires."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import HTMLResponse

from collector.api.deps import Ctx, Reader, Site
from collector.api.schemas import NewReportLink, ReportLinkOut
from collector.report.monthly import Language, render_html
from collector.report.monthly_pdf import render_pdf
from collector.report.monthly_query import gather_monthly_report, report_month
from collector.report.report_links import LinkRefused, refusal_page
from collector.report.sites import SiteInfo

router = APIRouter(tags=["reports"])
public = APIRouter(tags=["reports"])  # outside /api/v1: the signature is the credential

Fmt = Annotated[Literal["html", "pdf"], Query(alias="format")]
Lang = Annotated[Language, Query(description="id (Bahasa Indonesia) or en")]
_RENDERED: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/html": {}, "application/pdf": {}}, "description": "HTML page or PDF"}
}


def _rendered(ctx: Ctx, info: SiteInfo, month: str | None, may_read: Callable[[str], bool],
              fmt: str, lang: Language) -> Response:  # fmt: skip
    report = gather_monthly_report(ctx.store, ctx.directory, info, month, ctx.clock(), may_read)
    if fmt == "pdf":
        name = f"laporan-{info.site}-{report.month:%Y-%m}.pdf"
        return Response(render_pdf(report, lang), media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"'})  # fmt: skip
    return HTMLResponse(render_html(report, lang))


@router.get("/sites/{site}/reports/monthly", response_class=HTMLResponse, responses=_RENDERED)
def monthly_report(
    ctx: Ctx,
    reader: Reader,
    site: Site,
    month: Annotated[str | None, Query(max_length=7, description="YYYY-MM; default: the last complete month")] = None,
    fmt: Fmt = "html",
    lang: Lang = "id",
) -> Response:
    """Visitors per month against earlier months and other sites, busiest hours, and each gerai's
    staffing share with its longest empty stretches."""
    return _rendered(ctx, site, month, reader.may_read, fmt, lang)


@router.post("/sites/{site}/reports/monthly/links", response_model=ReportLinkOut, status_code=status.HTTP_201_CREATED)
def create_report_link(ctx: Ctx, reader: Reader, site: Site, body: NewReportLink) -> ReportLinkOut:
    """A link that opens this month's report without a token until it expires (the comparison lists
    only the sites this token may read). Anyone holding the link can read that report."""
    month = f"{report_month(body.month, ctx.clock(), site.tz):%Y-%m}"
    return ReportLinkOut.model_validate(ctx.links.issue(site.site, month, body.valid_days, reader.sites))


@public.get("/reports/monthly", response_class=HTMLResponse, responses={**_RENDERED, 403: {"description": "refused"}})
def shared_monthly_report(
    ctx: Ctx,
    site: Annotated[str, Query(max_length=64)] = "",
    month: Annotated[str, Query(max_length=7)] = "",
    exp: Annotated[str, Query(max_length=12)] = "",
    sig: Annotated[str, Query(max_length=64)] = "",
    scope: Annotated[str | None, Query(max_length=4000)] = None,
    fmt: Fmt = "html",
    lang: Lang = "id",
) -> Response:
    """The monthly report a signed link names, with no token; 403 with a page saying why for a changed,
    incomplete or expired link."""
    try:
        link = ctx.links.open({"site": site, "month": month, "exp": exp, "sig": sig, "scope": scope})
    except LinkRefused as refused:
        return HTMLResponse(refusal_page(refused), status.HTTP_403_FORBIDDEN)
    info = ctx.directory.site(link.site)
    return _rendered(ctx, info, link.month, lambda s: link.scope is None or s in link.scope, fmt, lang)
