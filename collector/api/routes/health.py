"""Liveness, the only anonymous endpoint: 503 once ingest stopped storing."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from collector.api.schemas import Healthz

router = APIRouter(tags=["health"])


STOPPED = {503: {"model": Healthz, "description": "ingest stopped; the collector is exiting for a restart"}}


@router.get("/healthz", response_model=Healthz, responses=STOPPED)  # type: ignore[arg-type]
async def healthz(request: Request) -> Healthz | JSONResponse:
    # On the event loop, not in the threadpool: a `def` route waits for a free worker thread, and
    # under load every one of them runs a report query (a liveness probe must not queue behind them).
    if not request.app.state.ingest_alive():
        return JSONResponse(Healthz(status="ingest stopped").model_dump(), status_code=503)
    return Healthz()
