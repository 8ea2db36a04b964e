"""Zone occupancy resampled to a chosen resolution in site-local time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from collector.report.periods import PeriodError, resolve_view_range
from collector.report.sites import SiteInfo
from collector.storage.base import Store, ZoneInterval

_NAIVE_EPOCH = datetime(1970, 1, 1)

Resolution = Literal["1m", "5m", "15m", "1h", "1d"]
RESOLUTION_S: dict[Resolution, int] = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "1d": 86400}
MAX_POINTS_PER_ZONE = 20_000
LIVE_WINDOW = timedelta(minutes=15)


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


@dataclass(frozen=True, slots=True)
class ZoneSeries:
    site: str
    timezone: str
    resolution: Resolution
    start: datetime
    end: datetime
    points: list[OccupancyPoint]


def zone_series(
    store: Store,
    info: SiteInfo,
    start: str | None,
    end: str | None,
    now: datetime,
    resolution: Resolution,
    *,
    zone: str | None = None,
    gerai: str | None = None,
    role: str | None = None,
) -> ZoneSeries:
    """Each zone's occupancy per bucket (default range: today), optionally one zone, gerai or role."""
    tz = info.tz
    span = resolve_view_range(start, end, tz, now)
    step = RESOLUTION_S[resolution]
    if (span.end - span.start).total_seconds() / step > MAX_POINTS_PER_ZONE:
        raise PeriodError(
            f": {resolution} over this range gives more than {MAX_POINTS_PER_ZONE} points; pick a coarser one",
            "resolution",
        )
    records = store.zone_intervals(info.site, span.start, span.end, [zone] if zone else None)
    records = [r for r in records if (gerai is None or r.gerai == gerai) and (role is None or r.role == role)]
    return ZoneSeries(info.site, info.timezone, resolution, span.start, span.end, resample(records, step, tz))


def live_zones(store: Store, info: SiteInfo, now: datetime, silent_after_s: float) -> list[ZoneInterval]:
    """The latest interval of each zone reported in the last 15 minutes (or ``silent_after_s``),
    its start in site-local time."""
    window = max(LIVE_WINDOW, timedelta(seconds=silent_after_s))
    latest = latest_per_zone(store.zone_intervals(info.site, now - window, now + timedelta(minutes=1)))
    return [replace(r, interval_start=r.interval_start.astimezone(info.tz)) for r in latest]
