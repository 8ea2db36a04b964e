"""Liveness, the only anonymous endpoint."""

from __future__ import annotations

from fastapi import APIRouter

from collector.api.schemas import Healthz

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Healthz)
def healthz() -> Healthz:
    return Healthz()
