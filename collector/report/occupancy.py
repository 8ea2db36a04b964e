"""Zone occupancy resampled to a chosen resolution in site-local time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from collector.storage.base import ZoneInterval

_NAIVE_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class OccupancyPoint:
    site: str
    device: str
    zone: str
    role: str
    gerai: str | None
    start: datetime  # local bucket start
    interval_s: int  # seconds of records in the bucket
    observed_s: float
    mean_count: float | None  # weighted by observed seconds; None when nothing was observed
    max_count: int
    occupied_s: float
    visits: int

    @property
    def occupied_share(self) -> float | None:
        return self.occupied_s / self.observed_s if self.observed_s > 0 else None


def _local_seconds(instant: datetime, tz: ZoneInfo) -> int:
    return int((instant.astimezone(tz).replace(tzinfo=None) - _NAIVE_EPOCH).total_seconds())


def _from_local_seconds(seconds: int, tz: ZoneInfo) -> datetime:
    return (_NAIVE_EPOCH + timedelta(seconds=seconds)).replace(tzinfo=tz)


def bucket_start(instant: datetime, resolution_s: int, tz: ZoneInfo) -> datetime:
    """Floor an instant to a multiple of ``resolution_s`` in local wall time (days: local midnight)."""
    seconds = _local_seconds(instant, tz)
    return _from_local_seconds(seconds - seconds % resolution_s, tz)


def resample(intervals: Iterable[ZoneInterval], resolution_s: int, tz: ZoneInfo) -> list[OccupancyPoint]:
    # Keys use integer local seconds: hashing and comparing zone-aware datetimes is slow.
    acc: dict[tuple[str, str, str, int], list[float]] = {}
    meta: dict[tuple[str, str, str, int], ZoneInterval] = {}
    buckets: dict[datetime, int] = {}  # zones share interval starts: floor each once
    for rec in intervals:
        bucket = buckets.get(rec.interval_start)
        if bucket is None:
            seconds = _local_seconds(rec.interval_start, tz)
            bucket = buckets[rec.interval_start] = seconds - seconds % resolution_s
        key = (rec.site, rec.device, rec.zone, bucket)
        a = acc.get(key)
        if a is None:
            a = acc[key] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
            meta[key] = rec
        a[0] += rec.interval_s
        a[1] += rec.observed_s
        a[2] += rec.mean_count * rec.observed_s
        if rec.max_count > a[3]:
            a[3] = rec.max_count
        a[4] += rec.occupied_s
        a[5] += rec.visits
    starts: dict[int, datetime] = {}
    points = []
    for key in sorted(acc):
        a, rec = acc[key], meta[key]
        start = starts.get(key[3])
        if start is None:
            start = starts[key[3]] = _from_local_seconds(key[3], tz)
        points.append(
            OccupancyPoint(
                site=rec.site,
                device=rec.device,
                zone=rec.zone,
                role=rec.role,
                gerai=rec.gerai,
                start=start,
                interval_s=int(a[0]),
                observed_s=a[1],
                mean_count=a[2] / a[1] if a[1] > 0 else None,
                max_count=int(a[3]),
                occupied_s=a[4],
                visits=int(a[5]),
            )
        )
    return points


def latest_per_zone(intervals: Iterable[ZoneInterval]) -> list[ZoneInterval]:
    latest: dict[tuple[str, str], ZoneInterval] = {}
    for rec in intervals:
        key = (rec.device, rec.zone)
        if key not in latest or rec.interval_start > latest[key].interval_start:
            latest[key] = rec
    return [latest[k] for k in sorted(latest)]
