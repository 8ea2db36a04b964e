"""Visitor waiting per gerai: people in its queue zones over time and completed visit durations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collector.report.dwell import DwellStats, dwell_stats
from collector.report.gerai import WAITING_ROLES
from collector.report.occupancy import RESOLUTION_S, Resolution, resample
from collector.report.periods import resolve_view_range
from collector.report.sites import SiteInfo, Sites
from collector.storage.base import Store, ZoneInterval


@dataclass(frozen=True, slots=True)
class QueuePoint:
    start: datetime  # local bucket start
    mean_count: float | None  # None when no queue zone was observed in the bucket
    max_count: int


@dataclass(frozen=True, slots=True)
class GeraiWaiting:
    gerai: str
    name: str
    queue_zones: tuple[str, ...]  # "device/zone", sorted
    visits: int
    dwell: DwellStats
    queue: tuple[QueuePoint, ...]

    @property
    def mean_queue(self) -> float | None:
        """Mean of the observed buckets' means."""
        means = [q.mean_count for q in self.queue if q.mean_count is not None]
        return sum(means) / len(means) if means else None

    @property
    def max_queue(self) -> int:
        return max((q.max_count for q in self.queue), default=0)


@dataclass(frozen=True, slots=True)
class SiteWaiting:
    site: str
    timezone: str
    start: datetime
    end: datetime
    resolution: Resolution
    gerai: tuple[GeraiWaiting, ...]


def queue_points(intervals: list[ZoneInterval], resolution_s: int, info: SiteInfo) -> tuple[QueuePoint, ...]:
    """Several queue zones of one gerai add up (people), per bucket."""
    buckets: dict[datetime, list[float]] = {}  # mean sum, max, observed seconds
    for p in resample(intervals, resolution_s, info.tz):
        b = buckets.setdefault(p.start, [0.0, 0.0, 0.0])
        b[0] += p.mean_count or 0.0
        b[1] = max(b[1], p.max_count)
        b[2] += p.observed_s
    return tuple(QueuePoint(k, v[0] if v[2] > 0 else None, int(v[1])) for k, v in sorted(buckets.items()))


def waiting_report(
    store: Store,
    sites: Sites,
    info: SiteInfo,
    start: str | None,
    end: str | None,
    now: datetime,
    resolution: Resolution,
) -> SiteWaiting:
    span = resolve_view_range(start, end, info.tz, now)
    records = store.zone_intervals(info.site, span.start, span.end)
    dwells = store.dwell_samples(info.site, span.start, span.end)
    out = []
    for gerai in sites.gerai(info.site, records):
        zones = gerai.zone_names(WAITING_ROLES)
        if not zones:
            continue
        mine = [r for r in records if (r.device, r.zone) in zones]
        out.append(
            GeraiWaiting(
                gerai=gerai.gerai,
                name=gerai.name,
                queue_zones=tuple(sorted(f"{d}/{z}" for d, z in zones)),
                visits=sum(r.visits for r in mine),
                dwell=dwell_stats([d.dwell_s for d in dwells if (d.device, d.zone) in zones]),
                queue=queue_points(mine, RESOLUTION_S[resolution], info),
            )
        )
    return SiteWaiting(info.site, info.timezone, span.start, span.end, resolution, tuple(out))
