"""create_app: the HTTP API under /api/v1, /healthz and the static dashboard."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from collector import __version__
from collector.admin import AdminDb, AdminDbError
from collector.alerts.history import AlertDb, AlertDbError
from collector.api.deps import ApiContext, ApiSettings, invalid_query, require_viewer
from collector.api.directory import SiteDirectory, UnknownSite
from collector.api.guard import RequestGuard
from collector.api.routes import (
    alerts,
    analytics,
    coverage,
    devices,
    footfall,
    health,
    holidays,
    occupancy,
    reports,
    sites,
    staffing,
    tokens,
)
from collector.liveness import BEAT_INTERVAL_S
from collector.report.cache import ReportCache
from collector.report.periods import PeriodError
from collector.report.report_links import ReportLinks
from collector.state_files import private_secret
from collector.storage.base import Store, StoreError, StoreUnavailable

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"
ADMIN_DB_NAME = "admin.db"
LINK_SECRET_NAME = "link-secret"  # noqa: S105 - a file name, not a secret


def utc_now() -> datetime:
    return datetime.now(UTC)


async def _beat_every_second(heartbeat: Callable[[], None]) -> None:
    while True:
        heartbeat()
        await asyncio.sleep(BEAT_INTERVAL_S)


def create_app(
    settings: ApiSettings,
    store: Store,
    *,
    clock: Callable[[], datetime] = utc_now,
    admin: AdminDb | None = None,
    ingest_alive: Callable[[], bool] = lambda: True,
    heartbeat: Callable[[], None] | None = None,
) -> FastAPI:
    """Build the app; the caller owns ``store``, the app owns its admin db (closed at shutdown).
    ``ingest_alive`` turns /healthz to 503 once the collector's ingest stopped; ``heartbeat`` is
    called every second from the event loop while it serves (the liveness listener watches it)."""
    admin_db = admin or AdminDb(settings.data_dir / ADMIN_DB_NAME, clock)
    if settings.api_token is not None:
        admin_db.ensure_env_token(settings.api_token.get_secret_value())
    elif admin_db.drop_env_token():
        log.warning("MPP_API_TOKEN is no longer set: the admin token it made is revoked")
    if not admin_db.tokens():
        log.warning("no API token configured: set MPP_API_TOKEN to create an admin token")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        beats = asyncio.create_task(_beat_every_second(heartbeat)) if heartbeat else None
        yield
        if beats is not None:
            beats.cancel()
        alert_db.close()
        admin_db.close()

    # Swagger UI served from the package's own copy, not a CDN (offline LANs). No ReDoc:
    # it fetches its logo from cdn.redoc.ly.
    app = FastAPIOffline(
        redoc_url=None,
        title="MPP Counter API",
        version=__version__,
        description="Footfall, gerai occupancy and staffing, and device health for Mal Pelayanan Publik. "
        "Every /api/v1 call needs a bearer token (viewer or admin).",
        lifespan=lifespan,
    )
    alert_db = AlertDb(admin_db.path)
    app.state.alerts = alert_db
    # The report links' secret: from MPP_LINK_SECRET(_FILE), else made once and kept in the data dir.
    secret = settings.link_secret
    links = ReportLinks(
        secret.get_secret_value().encode() if secret else private_secret(settings.data_dir / LINK_SECRET_NAME), clock
    )
    cache = ReportCache()
    store.add_write_listener(cache.written)
    app.state.ctx = ApiContext(settings, store, admin_db, SiteDirectory(store, admin_db, clock), clock, links, cache)
    app.state.ingest_alive = ingest_alive

    api = APIRouter(prefix="/api/v1", dependencies=[require_viewer])
    routes = (footfall, coverage, occupancy, staffing, analytics, sites, holidays, devices, reports, tokens, alerts)
    for module in routes:
        api.include_router(module.router)
    app.include_router(health.router)
    app.include_router(reports.public)
    app.include_router(api)

    @app.exception_handler(PeriodError)
    async def _period(request: Request, exc: PeriodError) -> JSONResponse:
        return await request_validation_exception_handler(request, invalid_query(exc.field, str(exc)))

    @app.exception_handler(UnknownSite)
    async def _unknown_site(_: Request, exc: UnknownSite) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status.HTTP_404_NOT_FOUND)

    @app.exception_handler(StoreUnavailable)
    async def _unavailable(_: Request, exc: StoreUnavailable) -> JSONResponse:
        log.warning("store unavailable: %s", exc)
        return JSONResponse({"detail": "the store is unavailable; retry shortly"}, 503, headers={"Retry-After": "5"})

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> JSONResponse:
        log.error("store query failed: %s", exc)
        return JSONResponse({"detail": "the store failed to answer"}, status.HTTP_502_BAD_GATEWAY)

    @app.exception_handler(AdminDbError)
    @app.exception_handler(AlertDbError)
    async def _admin_db(_: Request, exc: Exception) -> JSONResponse:
        log.error("admin db: %s", exc)
        return JSONResponse({"detail": "configuration database error"}, status.HTTP_500_INTERNAL_SERVER_ERROR)

    # The dashboard shell is public; every data call it makes carries the token.
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="dashboard")
    app.add_middleware(RequestGuard, token_valid=lambda token: admin_db.principal_for(token) is not None)
    return app
