"""Stores behind one seam (``Store``): embedded SQLite or InfluxDB."""

from __future__ import annotations

from collector.config import InfluxStoreSettings, SqliteStoreSettings, parse_store_url
from collector.storage.base import (
    Batch,
    Bucket,
    Conflict,
    DeadLetter,
    DeviceRecord,
    DwellSample,
    FootfallBucket,
    HealthSample,
    ObservationInterval,
    ObservedTime,
    SiteSeen,
    Store,
    StoreError,
    StoreUnavailable,
    ZoneInterval,
)

__all__ = [
    "Batch",
    "Bucket",
    "Conflict",
    "DeadLetter",
    "DeviceRecord",
    "DwellSample",
    "FootfallBucket",
    "HealthSample",
    "ObservationInterval",
    "ObservedTime",
    "SiteSeen",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "ZoneInterval",
    "open_store",
]


def open_store(settings: SqliteStoreSettings | InfluxStoreSettings | str, *, influx_token: str | None = None) -> Store:
    """Open the store a URL (``sqlite:///var/mpp.db``, ``influxdb://host:8086/mpp``) or settings name."""
    if isinstance(settings, str):
        settings = parse_store_url(settings, influx_token)
    if isinstance(settings, SqliteStoreSettings):
        from collector.storage.sqlite import SqliteStore

        return SqliteStore(settings.path)
    # Imported here so a SQLite-only collector never loads httpx or influxdb_client.
    from collector.storage.influx import InfluxStore

    return InfluxStore(settings)
