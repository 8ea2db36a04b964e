"""Liveness, the only anonymous endpoint: 503 once ingest stopped storing."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from collector.api.schemas import Healthz

router = APIRouter(tags=["health"])


STOPPED = {503: {"model": Healthz, "description": "ingest stopped; the collector is exiting for a restart"}}


@router.get("/healthz", response_model=Healthz, responses=STOPPED)  # type: ignore[arg-type]
def healthz(request: Request) -> Healthz | JSONResponse:
    if not request.app.state.ingest_alive():
        return JSONResponse(Healthz(status="ingest stopped").model_dump(), status_code=503)
    return Healthz()
