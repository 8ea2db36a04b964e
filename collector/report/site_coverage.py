"""Coverage services: what a route or the monthly report calls to get a site's coverage and its
footfall with coverage, from the store and the site's calendar.

The calendar (weekly hours, holidays and closure days) and the gerai come from the caller (the
site directory), so this module depends on the Store seam only. Which devices are expected:
- every gerai staff and queue zone the caller passes;
- every entrance line seen in the range, plus those of devices silent through the whole range
  (read from the day before each one's last message), so a device that went quiet is a gap and
  not a device that never existed. A device silent for more than ``RETIRED_AFTER`` before the
  range is taken as removed and no longer expected.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from collector.report.coverage import (
    DEFAULT_COMPLETE_AT,
    DEFAULT_MIN_GAP_S,
    DeviceCoverage,
    Gap,
    PeriodCoverage,
    StatusChange,
    Use,
    combined,
    device_coverage,
    expected_watches,
    periods,
)
from collector.report.gerai import Gerai
from collector.report.periods import Granularity, TimeRange
from collector.report.schedule import DayHours, open_windows
from collector.storage.base import Bucket, DeviceRecord, ObservationInterval, Store

RETIRED_AFTER = timedelta(days=92)  # silent this long before the range: removed, not broken
LAST_DAY = timedelta(days=1)  # where a silent device's entrance lines are looked up


@dataclass(frozen=True, slots=True)
class SiteCoverage:
    site: str
    timezone: str
    span: TimeRange  # the range asked for
    granularity: Granularity
    complete_at: float  # the site's threshold for ``complete``
    min_gap_s: float
    devices: tuple[DeviceCoverage, ...]  # every expected device, by name; each with every period
    entrance: tuple[PeriodCoverage, ...]  # the entrance devices as one: footfall's coverage, every period
    gaps: tuple[Gap, ...]  # of all devices, by start then device


@dataclass(frozen=True, slots=True)
class FootfallWithCoverage:
    start: datetime  # local start of the period (clipped to the range)
    end: datetime
    in_count: int  # counted, never estimated
    out_count: int
    expected_s: float  # opening time x entrance devices
    observed_s: float
    coverage: float | None  # None: closed (nothing expected)
    complete: bool


def _entrance_records(
    store: Store, site: str, span: TimeRange, in_range: Sequence[ObservationInterval], devices: Sequence[DeviceRecord]
) -> list[ObservationInterval]:
    """Entrance lines of the devices silent through ``span``, from the last day each was heard."""
    heard = {r.device for r in in_range}
    out: list[ObservationInterval] = []
    for d in devices:
        if d.site != site or d.device in heard or d.last_seen is None:
            continue
        if d.last_seen < span.start - RETIRED_AFTER:
            continue
        last = d.last_seen + timedelta(minutes=1)
        out += [
            r for r in store.observation_intervals(site, last - LAST_DAY, last, "counts") if r.device == d.device
        ]
    return out


def site_coverage(
    store: Store,
    site: str,
    span: TimeRange,
    timezone: str,
    granularity: Granularity,
    hours: Sequence[DayHours],
    holidays: Collection[date],
    gerai: Sequence[Gerai],
    *,
    complete_at: float = DEFAULT_COMPLETE_AT,
    min_gap_s: float = DEFAULT_MIN_GAP_S,
) -> SiteCoverage:
    """Per expected device and period of ``span``: expected and observed opening time, coverage,
    completeness, and the gaps of at least ``min_gap_s`` with their causes."""
    tz = ZoneInfo(timezone)
    records = store.observation_intervals(site, span.start, span.end)
    mine = [d for d in store.devices() if d.site == site]
    watches = expected_watches([*records, *_entrance_records(store, site, span, records, mine)], gerai)
    statuses = [StatusChange(d.device, d.state, d.state_at) for d in mine if d.state and d.state_at]
    # Health reports just before the range can explain a gap at its start.
    health = store.health_samples(site, span.start - timedelta(minutes=5), span.end)
    devices = device_coverage(
        records,
        watches,
        open_windows(hours, holidays, span, tz),
        periods(span, granularity, tz),
        health=health,
        statuses=statuses,
        complete_at=complete_at,
        min_gap_s=min_gap_s,
    )
    entrance = [d for d in devices if any(w.use is Use.ENTRANCE for w in d.uses)]
    gaps = sorted((g for d in devices for g in d.gaps), key=lambda g: (g.start, g.device))
    return SiteCoverage(
        site=site,
        timezone=timezone,
        span=span,
        granularity=granularity,
        complete_at=complete_at,
        min_gap_s=min_gap_s,
        devices=tuple(devices),
        entrance=tuple(combined(entrance, complete_at) if entrance else _nothing_expected(span, granularity, tz)),
        gaps=tuple(gaps),
    )


def _nothing_expected(span: TimeRange, granularity: Granularity, tz: ZoneInfo) -> list[PeriodCoverage]:
    return [PeriodCoverage.of(p.start, p.end, 0.0, 0.0, 1.0) for p in periods(span, granularity, tz)]


def footfall_with_coverage(
    store: Store,
    site: str,
    span: TimeRange,
    timezone: str,
    granularity: Granularity,
    hours: Sequence[DayHours],
    holidays: Collection[date],
    *,
    complete_at: float = DEFAULT_COMPLETE_AT,
) -> list[FootfallWithCoverage]:
    """Every period of ``span`` (none left out), with the entrance counts and the entrance cameras'
    coverage. Counts come from the store's footfall read (all entrance records, also outside opening
    hours); coverage is over opening hours."""
    tz = ZoneInfo(timezone)
    records = store.observation_intervals(site, span.start, span.end, "counts")
    watches = [
        w for w in expected_watches([*records, *_entrance_records(store, site, span, records, store.devices())], ())
        if w.use is Use.ENTRANCE
    ]  # fmt: skip
    spans = periods(span, granularity, tz)
    devices = device_coverage(records, watches, open_windows(hours, holidays, span, tz), spans,
                              complete_at=complete_at, min_gap_s=float("inf"))  # fmt: skip
    cover = combined(devices, complete_at) if devices else _nothing_expected(span, granularity, tz)
    totals = [[0, 0] for _ in spans]
    starts = [p.start for p in spans]
    bucket: Bucket = "hour" if granularity == "hour" else "day"
    for b in store.footfall([site], span.start, span.end, bucket, timezone):
        # A bucket is keyed by its local start, which may precede a range starting mid-bucket.
        index = max(bisect_right(starts, b.start) - 1, 0)
        totals[index][0] += b.in_count
        totals[index][1] += b.out_count
    return [
        FootfallWithCoverage(p.start, p.end, t[0], t[1], c.expected_s, c.observed_s, c.coverage, c.complete)
        for p, t, c in zip(spans, totals, cover, strict=True)
    ]
