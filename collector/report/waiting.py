"""Visitor waiting per gerai: people in its queue zones over time and completed visit durations."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from collector.report.dwell import DwellStats, dwell_stats
from collector.report.gerai import WAITING_ROLES, Gerai
from collector.report.occupancy import RESOLUTION_S, Resolution, bucket_start, resample
from collector.report.periods import TimeRange, resolve_view_range
from collector.report.schedule import open_windows
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
    queue: tuple[QueuePoint, ...]  # the whole range, closed hours too
    # People in its queue zones, time-weighted over the observed opening time of the range (as in the
    # monthly report: a closed gerai's empty queue is no queue), and the observed share of that time.
    mean_queue: float | None
    observed_share: float | None

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
    """Several queue zones of one gerai add up (people), per bucket: the mean, and the maximum as the
    largest sum of the zones' maxima in one interval (the most that can have waited at once; the
    largest single zone's would fall below the mean)."""
    buckets: dict[datetime, list[float]] = {}  # mean sum, max, observed seconds
    for p in resample(intervals, resolution_s, info.tz):
        b = buckets.setdefault(p.start, [0.0, 0.0, 0.0])
        b[0] += p.mean_count or 0.0
        b[2] += p.observed_s
    at_once: dict[datetime, int] = {}
    for r in intervals:
        at_once[r.interval_start] = at_once.get(r.interval_start, 0) + r.max_count
    for start, most in at_once.items():
        b = buckets[bucket_start(start, resolution_s, info.tz)]
        b[1] = max(b[1], most)
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
    out = [
        GeraiWaiting(
            gerai=w.gerai.gerai,
            name=w.gerai.name,
            queue_zones=tuple(sorted(f"{d}/{z}" for d, z in w.zones)),
            visits=w.visits,
            dwell=w.dwell,
            queue=queue_points(w.records, RESOLUTION_S[resolution], info),
            mean_queue=w.mean_queue,
            observed_share=w.observed_share,
        )
        for w in _waiting_by_gerai(store, sites, info, span, now)
    ]
    return SiteWaiting(info.site, info.timezone, span.start, span.end, resolution, tuple(out))


@dataclass(frozen=True, slots=True)
class GeraiQueueMonth:
    """One gerai's waiting over a month, for the monthly report: visits and waiting times over the
    whole month, queue length over opening hours only (a closed gerai's empty queue is no queue)."""

    gerai: str
    name: str
    visits: int
    dwell: DwellStats
    mean_queue: float | None  # people in its queue zones, time-weighted over the observed opening time
    observed_share: float | None  # of the opening time, averaged over its queue zones; None: never open


def _overlap_s(start: datetime, length_s: int, windows: Sequence[TimeRange]) -> float:
    """Seconds of [start, start + length_s) inside the (ordered) open windows."""
    end = start + timedelta(seconds=length_s)
    first = bisect_right(windows, start, key=lambda w: w.end)
    total = 0.0
    for window in windows[first:]:
        if window.start >= end:
            break
        total += (min(end, window.end) - max(start, window.start)).total_seconds()
    return total


def open_queue(
    records: Iterable[ZoneInterval], zones: set[tuple[str, str]], windows: Sequence[TimeRange]
) -> tuple[float | None, float | None]:
    """(mean queue length, observed share) over the open windows. Each record counts for the part of
    its observed time that lies in opening hours (its observed time spread evenly over it); several
    queue zones of one gerai add up (people), and their observed shares average."""
    open_s = sum((w.end - w.start).total_seconds() for w in windows)
    if open_s <= 0 or not zones:
        return None, None
    weighted: dict[tuple[str, str], float] = dict.fromkeys(zones, 0.0)
    observed: dict[tuple[str, str], float] = dict.fromkeys(zones, 0.0)
    for r in records:
        key = (r.device, r.zone)
        if key not in weighted or r.interval_s <= 0:
            continue
        inside = _overlap_s(r.interval_start, r.interval_s, windows)
        if inside <= 0:
            continue
        seen = r.observed_s * inside / r.interval_s
        weighted[key] += r.mean_count * seen
        observed[key] += seen
    share = sum(min(o / open_s, 1.0) for o in observed.values()) / len(zones)
    means = [weighted[k] / observed[k] for k in zones if observed[k] > 0]
    return (sum(means) if means else None), share


def monthly_waiting(store: Store, sites: Sites, info: SiteInfo, span: TimeRange) -> tuple[GeraiQueueMonth, ...]:
    """Each gerai with a queue zone: visits, waiting times and its queue over the opening hours of ``span``."""
    return tuple(
        GeraiQueueMonth(w.gerai.gerai, w.gerai.name, w.visits, w.dwell, w.mean_queue, w.observed_share)
        for w in _waiting_by_gerai(store, sites, info, span)
    )


@dataclass(frozen=True, slots=True)
class _GeraiWait:
    gerai: Gerai
    zones: set[tuple[str, str]]  # its queue zones, (device, zone)
    records: list[ZoneInterval]  # of those zones
    visits: int
    dwell: DwellStats
    mean_queue: float | None  # over the observed opening time
    observed_share: float | None


def _waiting_by_gerai(
    store: Store, sites: Sites, info: SiteInfo, span: TimeRange, now: datetime | None = None
) -> Iterator[_GeraiWait]:
    """Each gerai with a queue zone, over ``span``: its records, visits, waiting times, and its queue
    over the opening hours (the dashboard's waiting card and the monthly report alike)."""
    records = store.zone_intervals(info.site, span.start, span.end)
    dwells = store.dwell_samples(info.site, span.start, span.end)
    schedule = sites.schedule(info.site)
    windows = open_windows(schedule.days, schedule.holidays, span, info.tz, now)
    for gerai in sites.gerai(info.site, records):
        zones = gerai.zone_names(WAITING_ROLES)
        if not zones:
            continue
        mine = [r for r in records if (r.device, r.zone) in zones]
        mean_queue, observed_share = open_queue(mine, zones, windows)
        dwell = dwell_stats([d.dwell_s for d in dwells if (d.device, d.zone) in zones])
        yield _GeraiWait(gerai, zones, mine, sum(r.visits for r in mine), dwell, mean_queue, observed_share)
