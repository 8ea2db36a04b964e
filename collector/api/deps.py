"""Annotated dependencies shared by the routers: context, auth, site, range and format."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Protocol, TypeVar, cast

from fastapi import Depends, HTTPException, Query, Request, Response, status
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, SecretStr
from starlette.concurrency import run_in_threadpool

from collector.admin import AdminDb, Principal, Role
from collector.api.directory import SiteDirectory, SiteInfo
from collector.api.schemas import OutputFormat
from collector.report.cache import Memo, ReportCache
from collector.report.periods import TimeRange
from collector.report.report_links import ReportLinks
from collector.storage.base import Store
from wire.topics import IDENTIFIER_PATTERN


class ApiSettings(Protocol):
    """What the API reads from the collector's settings (CollectorSettings fits)."""

    @property
    def api_token(self) -> SecretStr | None: ...

    @property
    def data_dir(self) -> Path: ...

    @property
    def silent_after_s(self) -> float: ...

    @property
    def link_secret(self) -> SecretStr | None: ...


@dataclass(frozen=True, slots=True)
class ApiContext:
    settings: ApiSettings
    store: Store
    admin: AdminDb
    directory: SiteDirectory
    clock: Callable[[], datetime]
    links: ReportLinks
    cache: ReportCache


T = TypeVar("T")


def _key(ctx: ApiContext, what: Hashable, sites: Sequence[SiteInfo], span: TimeRange) -> tuple[Hashable, datetime]:
    now = ctx.clock()
    minute = now.replace(second=0, microsecond=0)
    live = minute if span.end > minute else None
    return (what, tuple(sites), span.start, span.end, live, ctx.admin.version()), now


def cached(ctx: ApiContext, what: Hashable, sites: Sequence[SiteInfo], span: TimeRange, compute: Callable[[], T]) -> T:
    """``compute()``, or its answer kept from an earlier ask with the same ``what`` (every parameter
    that is not a site or the span), sites, span and site settings, while no write touched the span
    (``collector.report.cache``). A span reaching into the current minute is answered as of that
    minute's first ask."""
    key, now = _key(ctx, what, sites, span)
    return ctx.cache.get(key, [s.site for s in sites], span, now, compute)


async def kept(ctx: ApiContext, what: Hashable, sites: Sequence[SiteInfo], span: TimeRange,
               compute: Callable[[], T]) -> T:  # fmt: skip
    """``cached`` for a coroutine route: a kept answer straight from the event loop, a computation in the
    threadpool (twenty dashboards at once are mostly kept answers: a thread hop each would cost more)."""
    key, now = _key(ctx, what, sites, span)
    return await kept_answer(ctx, key, [s.site for s in sites], span, now, compute)


async def kept_answer(ctx: ApiContext, key: Hashable, sites: list[str], span: TimeRange, now: datetime,
                      compute: Callable[[], T]) -> T:  # fmt: skip
    hit, value = ctx.cache.peek(key)
    if hit:
        return cast(T, value)
    return await run_in_threadpool(ctx.cache.get, key, sites, span, now, compute)


def memo_for(ctx: ApiContext, site: SiteInfo) -> Memo:
    """``cached`` for one site, as the report services take it."""

    def memo(what: Hashable, span: TimeRange, compute: Callable[[], T]) -> T:
        return cached(ctx, what, [site], span, compute)

    return memo


async def kept_json(ctx: ApiContext, what: Hashable, sites: Sequence[SiteInfo], span: TimeRange,
                    compute: Callable[[], BaseModel]) -> Response:  # fmt: skip
    """``kept`` for a JSON answer: serialised once, in the threadpool with its computation, and a kept answer
    sent as the bytes kept (serialising each kept answer again, on the event loop, was a fifth of the API's
    CPU under twenty dashboards at once)."""
    body = await kept(ctx, ("json", what), sites, span, lambda: compute().model_dump_json(by_alias=True).encode())
    return Response(body, media_type="application/json")


SINCE_EVER = datetime(2000, 1, 1, tzinfo=UTC)  # the span of a "latest" answer: a write of any time drops it


def up_to_this_minute(start: datetime, now: datetime) -> TimeRange:
    """[start, the end of now's minute): the span of an answer that runs up to now."""
    return TimeRange(start, now.replace(second=0, microsecond=0) + timedelta(minutes=1))


# The cheap dependencies are coroutines: FastAPI runs a plain ``def`` dependency in the threadpool, a
# thread hop per dependency and request, which under twenty dashboards at once costs more than the
# answers kept in the report cache. ``_site`` asks the store (a query on InfluxDB) in the threadpool, and
# only when the directory's list of the sites seen is not at hand.
async def _context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ApiContext, Depends(_context)]

_bearer = HTTPBearer(auto_error=False, description="API token (viewer or admin)")


async def _principal(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    unauthorized = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token", headers=unauthorized)
    principal = ctx.admin.principal_for(credentials.credentials)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid, expired or revoked token", headers=unauthorized)
    return principal


Reader = Annotated[Principal, Depends(_principal)]


async def _role(principal: Reader) -> Role:
    return principal.role


async def _admin(role: Annotated[Role, Depends(_role)]) -> Role:
    if role is not Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs an admin token")
    return role


AdminRole = Annotated[Role, Depends(_admin)]
require_viewer = Depends(_principal)

SiteId = Annotated[str, PathParam(pattern=IDENTIFIER_PATTERN, description="site identifier")]


def forbid_other_sites(reader: Principal, sites: Sequence[str]) -> None:
    """403 for a site-scoped token asking for a site outside its scope (before any 404: no probing)."""
    for site in sites:
        if not reader.may_read(site):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this token may not read site {site!r}")


async def site_info(ctx: ApiContext, site: str) -> SiteInfo:
    """The directory's entry of ``site`` (404 when unknown); the store is asked off the event loop."""
    if ctx.directory.sites_at_hand():
        return ctx.directory.site(site)
    return await run_in_threadpool(ctx.directory.site, site)


async def _site(ctx: Ctx, site: SiteId, reader: Reader) -> SiteInfo:
    forbid_other_sites(reader, [site])
    return await site_info(ctx, site)


Site = Annotated[SiteInfo, Depends(_site)]

RangeStart = Annotated[
    str | None,
    Query(max_length=40, description="YYYY-MM, YYYY-MM-DD or ISO datetime (naive: site-local); inclusive"),
]
RangeEnd = Annotated[
    str | None,
    Query(
        max_length=40,
        description="YYYY-MM or YYYY-MM-DD (that whole period included) or ISO datetime (excluded)",
    ),
]
Format = Annotated[OutputFormat, Query(alias="format", description="json (default) or csv")]


def invalid_query(field: str, message: str) -> RequestValidationError:
    """A 422 shaped like FastAPI's own (the documented HTTPValidationError), for checks made in code."""
    return RequestValidationError([{"type": "value_error", "loc": ("query", field), "msg": message, "input": None}])


CSV_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV with format=csv"}
}


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> object:
    """Text that a spreadsheet would run is kept as text behind a quote; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(model: type[BaseModel], rows: Sequence[BaseModel], filename: str) -> Response:
    """One CSV table; columns are the row model's fields (by alias), in order."""
    columns = [field.alias or name for name, field in model.model_fields.items()]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(v) for k, v in row.model_dump(mode="json", by_alias=True).items()})
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )
