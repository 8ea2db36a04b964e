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


def bucket_start(instant: datetime, resolution_s: int, tz: ZoneInfo) -> datetime:
    """Floor an instant to a multiple of ``resolution_s`` in local wall time (days: local midnight)."""
    local = instant.astimezone(tz).replace(tzinfo=None)
    seconds = int((local - _NAIVE_EPOCH).total_seconds())
    return (_NAIVE_EPOCH + timedelta(seconds=seconds - seconds % resolution_s)).replace(tzinfo=tz)


def resample(intervals: Iterable[ZoneInterval], resolution_s: int, tz: ZoneInfo) -> list[OccupancyPoint]:
    acc: dict[tuple[str, str, str, datetime], list[float]] = {}
    meta: dict[tuple[str, str, str, datetime], ZoneInterval] = {}
    starts: dict[datetime, datetime] = {}  # zones share interval starts: floor each once
    for rec in intervals:
        start = starts.get(rec.interval_start)
        if start is None:
            start = starts[rec.interval_start] = bucket_start(rec.interval_start, resolution_s, tz)
        key = (rec.site, rec.device, rec.zone, start)
        a = acc.get(key)
        if a is None:
            a = acc[key] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
            meta[key] = rec
        a[0] += rec.interval_s
        a[1] += rec.observed_s
        a[2] += rec.mean_count * rec.observed_s
        a[3] = max(a[3], rec.max_count)
        a[4] += rec.occupied_s
        a[5] += rec.visits
    points = []
    for key in sorted(acc, key=lambda k: (k[0], k[1], k[2], k[3])):
        a, rec = acc[key], meta[key]
        points.append(
            OccupancyPoint(
                site=rec.site,
                device=rec.device,
                zone=rec.zone,
                role=rec.role,
                gerai=rec.gerai,
                start=key[3],
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
