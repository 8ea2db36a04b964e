"""Devices as the API lists them: the store's record plus whether the device went silent."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from collector.storage.base import DeviceRecord, Store
from wire import Audit


@dataclass(frozen=True, slots=True)
class DeviceStatus(DeviceRecord):
    silent: bool  # no message for longer than the collector's silent_after_s (or none yet)
    audit: Audit | None = None  # the latest on-site accuracy audit


def device_statuses(store: Store, now: datetime, silent_after_s: float, site: str | None = None) -> list[DeviceStatus]:
    """Every device (of ``site``), sorted by site and device."""
    silent_after = timedelta(seconds=silent_after_s)
    audits = {(a.site, a.device): a for a in store.latest_audits()}
    return sorted(
        (
            DeviceStatus(
                **{f.name: getattr(d, f.name) for f in fields(DeviceRecord)},
                silent=d.last_seen is None or now - d.last_seen > silent_after,
                audit=audits.get((d.site, d.device)),
            )
            for d in store.devices()
            if site is None or d.site == site
        ),
        key=lambda d: (d.site, d.device),
    )
