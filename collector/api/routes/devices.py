"""Devices: status, last message, latest health, and whether they went silent."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response

from collector.api.deps import CSV_RESPONSE, AdminRole, Ctx, Format, csv_response
from collector.api.schemas import DeadLetterOut, DeviceOut, DeviceRow, HealthOut
from wire.topics import IDENTIFIER_PATTERN

router = APIRouter(tags=["devices"])


@router.get("/devices", response_model=list[DeviceOut], responses=CSV_RESPONSE)
def list_devices(
    ctx: Ctx, site: Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN)] = None, fmt: Format = "json"
) -> list[DeviceOut] | Response:
    now = ctx.clock()
    silent_after = timedelta(seconds=ctx.settings.silent_after_s)
    out = []
    for d in ctx.store.devices():
        if site is not None and d.site != site:
            continue
        h = d.health
        out.append(
            DeviceOut(
                site=d.site,
                device=d.device,
                timezone=d.timezone,
                state=d.state,
                state_at=d.state_at,
                last_seen=d.last_seen,
                silent=d.last_seen is None or now - d.last_seen > silent_after,
                health=None
                if h is None
                else HealthOut(
                    ts=h.ts,
                    fps=h.fps,
                    effective_fps=h.effective_fps,
                    gating_share=h.gating_share,
                    last_frame_age_s=h.last_frame_age_s,
                    camera_state=h.camera_state,
                    outbox_depth=h.outbox_depth,
                    dropped_records=h.dropped_records,
                    reconnects=h.reconnects,
                    cpu_temp_c=h.cpu_temp_c,
                    model=h.model,
                    software_version=h.software_version,
                    uptime_s=h.uptime_s,
                    idle_share=h.idle_share,
                    cpu_s=h.cpu_s,
                ),
            )
        )
    out.sort(key=lambda d: (d.site, d.device))
    if fmt == "csv":
        rows = [
            DeviceRow(
                site=d.site,
                device=d.device,
                timezone=d.timezone,
                state=d.state,
                state_at=d.state_at,
                last_seen=d.last_seen,
                silent=d.silent,
                health_ts=d.health.ts if d.health else None,
                fps=d.health.fps if d.health else None,
                camera_state=d.health.camera_state if d.health else None,
                outbox_depth=d.health.outbox_depth if d.health else None,
                dropped_records=d.health.dropped_records if d.health else None,
                cpu_temp_c=d.health.cpu_temp_c if d.health else None,
                software_version=d.health.software_version if d.health else None,
            )
            for d in out
        ]
        return csv_response(DeviceRow, rows, "devices")
    return out


@router.get("/dead-letters", response_model=list[DeadLetterOut])
def list_dead_letters(ctx: Ctx, _: AdminRole, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[DeadLetterOut]:
    """Rejected messages, newest first (admin: excerpts may reveal device details)."""
    return [
        DeadLetterOut(received_at=d.received_at, topic=d.topic, reason=d.reason, payload_excerpt=d.payload_excerpt)
        for d in ctx.store.dead_letters(limit)
    ]
