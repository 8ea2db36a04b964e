"""Devices: status, last message, latest health, and whether they went silent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from collector.api.deps import (
    CSV_RESPONSE,
    SINCE_EVER,
    AdminRole,
    Ctx,
    Format,
    Reader,
    csv_response,
    kept_answer,
    up_to_this_minute,
)
from collector.api.schemas import DeadLetterOut, DeviceOut, DeviceRow
from collector.report.devices import device_statuses
from wire.vocabulary import IDENTIFIER_PATTERN

router = APIRouter(tags=["devices"])


@router.get("/devices", response_model=list[DeviceOut], responses=CSV_RESPONSE)
async def list_devices(
    ctx: Ctx,
    reader: Reader,
    site: Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN)] = None,
    fmt: Format = "json",
) -> list[DeviceOut] | Response:
    now = ctx.clock()
    minute = now.replace(second=0, microsecond=0)
    # Any write of the site (or of any site, for all of them) drops it; "silent" follows the minute.
    span = up_to_this_minute(SINCE_EVER, now)
    silent_after_s = ctx.settings.silent_after_s
    statuses = await kept_answer(ctx, ("devices", site, minute), [site] if site else [], span, now,
                                 lambda: device_statuses(ctx.store, now, silent_after_s, site))  # fmt: skip
    out = [DeviceOut.model_validate(d) for d in statuses if reader.may_read(d.site)]
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
                audited_at=d.audit.audited_at if d.audit else None,
                audit_line_accuracy=d.audit.line_accuracy if d.audit else None,
            )
            for d in out
        ]
        return csv_response(DeviceRow, rows, "devices")
    return out


@router.get("/dead-letters", response_model=list[DeadLetterOut])
def list_dead_letters(ctx: Ctx, _: AdminRole, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[DeadLetterOut]:
    """Rejected messages, newest first (admin: excerpts may reveal device details)."""
    return [DeadLetterOut.model_validate(d) for d in ctx.store.dead_letters(limit)]
