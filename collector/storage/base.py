"""The store seam: what ingest writes and what the API reads.

Two implementations answer the same questions with the same semantics:
``SqliteStore`` (embedded default) and ``InfluxStore`` (InfluxDB over the v1
HTTP API: line protocol on /write, InfluxQL on /query). All datetimes are
timezone-aware. Each record has one natural key in both stores (site,
device, line or zone, interval start to the second); role and gerai are
attributes, not identity. The first copy of a key wins: a redelivered copy
changes nothing, and a copy with other content is refused and reported as a
``Conflict`` (ingest dead-letters it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from wire import Audit, CameraState, DeviceState, Health, LineCounts, Status, ZoneOccupancy

# Compared between a stored record and a later copy of its natural key, in this order.
COUNTS_CONTENT = ("role", "interval_s", "observed_s", "in_count", "out_count")
OCCUPANCY_CONTENT = ("role", "gerai", "interval_s", "observed_s", "mean_count", "max_count", "occupied_s", "visits",
                     "dwells_s")  # fmt: skip

Bucket = Literal["hour", "day"]


class StoreError(Exception):
    """Root of store failures."""


class StoreUnavailable(StoreError):
    """The store cannot be reached right now; retry later, nothing was lost."""


@dataclass(frozen=True, slots=True)
class FootfallBucket:
    site: str
    start: datetime  # local period start, aware, in the timezone asked for
    in_count: int
    out_count: int


@dataclass(frozen=True, slots=True)
class ZoneInterval:
    site: str
    device: str
    zone: str
    role: str
    gerai: str | None
    interval_start: datetime  # UTC
    interval_s: int
    observed_s: float
    mean_count: float
    max_count: int
    occupied_s: float
    visits: int


@dataclass(frozen=True, slots=True)
class DwellSample:
    site: str
    device: str
    zone: str
    role: str
    gerai: str | None
    interval_start: datetime  # UTC start of the interval in which the visit ended
    dwell_s: float


@dataclass(frozen=True, slots=True)
class SiteSeen:
    site: str
    timezone: str  # as reported by its devices (the most recent report)


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    site: str
    device: str
    timezone: str | None
    last_seen: datetime | None  # last message of any kind
    state: DeviceState | None
    state_at: datetime | None
    health: Health | None  # latest


@dataclass(frozen=True, slots=True)
class DeadLetter:
    received_at: datetime
    topic: str
    reason: str
    payload_excerpt: str  # first bytes, decoded with replacement, for a human to read


@dataclass(frozen=True, slots=True)
class ObservationInterval:
    """How long one device's camera observed during one record's interval: the
    observation part of a line (``kind`` "counts") or zone ("occupancy") record."""

    site: str
    device: str
    kind: Literal["counts", "occupancy"]
    name: str  # the line or the zone
    role: str
    gerai: str | None
    interval_start: datetime  # UTC
    interval_s: int
    observed_s: float


@dataclass(frozen=True, slots=True)
class ObservedTime:
    """Observed time of one device's line records summed over one of the ranges asked for,
    from the observed-time rollup (``storage.observed``)."""

    index: int  # of the range in the request
    device: str
    observed_ms: int
    heard: bool  # a line record of the device starts in the range
    entrance: bool  # an entrance line record of the device starts in the range

    @property
    def observed_s(self) -> float:
        return self.observed_ms / 1000


@dataclass(frozen=True, slots=True)
class HealthSample:
    """The camera-related part of one health report."""

    site: str
    device: str
    ts: datetime  # UTC
    camera_state: CameraState
    fps: float
    last_frame_age_s: float | None


@dataclass(frozen=True, slots=True)
class Conflict:
    """A record whose natural key the store already holds with other content."""

    record: LineCounts | ZoneOccupancy  # the refused copy (the object from the batch)
    differs: tuple[str, ...]  # content fields that differ from the stored copy

    @property
    def reason(self) -> str:
        return (f"conflicting copy of {self.record.message_id}: {', '.join(self.differs)} differ from the stored "
                "copy; the first copy wins")  # fmt: skip


def differing(stored: dict[str, object], record: LineCounts | ZoneOccupancy) -> tuple[str, ...]:
    """Content fields of ``record`` that differ from ``stored`` (a row read back from a store)."""
    names = COUNTS_CONTENT if isinstance(record, LineCounts) else OCCUPANCY_CONTENT
    return tuple(name for name in names if stored[name] != getattr(record, name))


@dataclass(frozen=True, slots=True)
class Batch:
    """One write: validated messages plus the dead letters of the same poll."""

    counts: Sequence[LineCounts] = ()
    occupancy: Sequence[ZoneOccupancy] = ()
    health: Sequence[Health] = ()
    status: Sequence[Status] = ()
    dead_letters: Sequence[DeadLetter] = ()
    audits: Sequence[Audit] = ()


WriteListener = Callable[[Batch], None]


class WriteListeners:
    """Callbacks run after each batch a store wrote (the API's report cache drops what it changed).
    A listener must not raise: the batch is written whatever it does."""

    def __init__(self) -> None:
        self._write_listeners: list[WriteListener] = []

    def add_write_listener(self, listener: WriteListener) -> None:
        self._write_listeners.append(listener)

    def _wrote(self, batch: Batch) -> None:
        for listener in self._write_listeners:
            listener(batch)


class Store(Protocol):
    def add_write_listener(self, listener: WriteListener) -> None:
        """``listener(batch)`` after every batch this store object wrote."""

    def write(self, batch: Batch) -> list[Conflict]:
        """Persist the batch durably and idempotently; raise StoreUnavailable on outage,
        StoreError when the store refuses the batch itself. Returns the records refused
        because their natural key is already stored with other content."""

    def footfall(
        self, sites: Sequence[str], start: datetime, end: datetime, bucket: Bucket, timezone: str
    ) -> list[FootfallBucket]:
        """Sum of in/out over lines with role ``entrance``, per site and local hour or
        calendar day in ``timezone``, for intervals starting in [start, end).
        Buckets with no data are omitted."""

    def zone_intervals(
        self, site: str, start: datetime, end: datetime, zones: Sequence[str] | None = None
    ) -> list[ZoneInterval]:
        """Raw zone interval records of a site starting in [start, end), ordered by time."""

    def dwell_samples(
        self, site: str, start: datetime, end: datetime, zones: Sequence[str] | None = None
    ) -> list[DwellSample]:
        """Completed visit durations of a site's zones, in [start, end)."""

    def sites(self) -> list[SiteSeen]: ...

    def devices(self) -> list[DeviceRecord]: ...

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Newest first."""

    def maintain(self) -> None:
        """Deferred upkeep, called by ingest while idle (InfluxDB's rollup settle pass, and on
        its first call the observed-time rollup of points older than it); a failure loses
        nothing and the next call retries."""

    def close(self) -> None: ...

    def observation_intervals(
        self, site: str, start: datetime, end: datetime, kind: Literal["counts", "occupancy"] | None = None
    ) -> list[ObservationInterval]:
        """Observation time of every line and zone record (only lines or only zones with ``kind``) of a
        site starting in [start, end), ordered by (interval_start, device, kind, name)."""

    def health_samples(self, site: str, start: datetime, end: datetime) -> list[HealthSample]:
        """Health reports of a site's devices with ``ts`` in [start, end), ordered by (ts, device)."""

    def observed_time(self, site: str, ranges: Sequence[tuple[datetime, datetime]]) -> list[ObservedTime]:
        """Observed time of each device's line records per range, from the rollup of UTC quarter hours:
        every range starts and ends on a quarter hour and spans at most a day. One item per range and
        device with a quarter in it, ordered by (index, device)."""

    def latest_audits(self) -> list[Audit]:
        """The most recent accuracy audit (by ``audited_at``) of each device that sent one,
        ordered by (site, device). Writes are idempotent on (site, device, audited_at)."""
