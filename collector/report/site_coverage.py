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
from datetime import UTC, date, datetime, timedelta
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
    epochs,
    expected_watches,
    observed_per_period,
    opening_pieces,
    periods,
)
from collector.report.gerai import Gerai
from collector.report.periods import Granularity, TimeRange
from collector.report.schedule import DayHours, open_windows
from collector.storage.base import Bucket, DeviceRecord, ObservationInterval, Store
from collector.storage.observed import ceil_slot, floor_slot, trimmed_spans

RETIRED_AFTER = timedelta(days=92)  # silent this long before the range: removed, not broken
LAST_DAY = timedelta(days=1)  # where a silent device's entrance lines are looked up
DAY_S = 86400  # the longest range the observed-time rollup sums in one go
EDGE_LOOKBACK_S = 3600  # raw records this far before a ragged opening edge can reach into it (edge interval_s <= 1 h)


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
        out += [r for r in store.observation_intervals(site, last - LAST_DAY, last, "counts") if r.device == d.device]
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
    now: datetime | None = None,
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
        open_windows(hours, holidays, span, tz, now),
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
    now: datetime | None = None,
) -> list[FootfallWithCoverage]:
    """Every period of ``span`` (none left out), with the entrance counts and the entrance cameras'
    coverage. Counts come from the store's footfall read (all entrance records, also outside opening
    hours); coverage is over opening hours, from the stores' observed-time rollup (``entrance_coverage``)."""
    tz = ZoneInfo(timezone)
    spans = periods(span, granularity, tz)
    cover = entrance_coverage(store, site, span, spans, open_windows(hours, holidays, span, tz, now), complete_at)
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


def entrance_coverage(
    store: Store,
    site: str,
    span: TimeRange,
    spans: Sequence[TimeRange],
    windows: Sequence[TimeRange],
    complete_at: float = DEFAULT_COMPLETE_AT,
) -> list[PeriodCoverage]:
    """The entrance cameras as one, per period of ``spans``: opening time times the entrance devices,
    and their observed opening time, read from the observed-time rollup instead of the raw records.

    Opening time is cut into whole UTC quarter hours (local ones: every real offset is a multiple of
    15 minutes), each range within a day, and the store sums the rollup per range and device in one
    query. Opening hours off the quarter hour (07:50) leave ragged pieces, read from the raw records
    (with an hour before them: the edge's longest interval). The entrance devices are those with an
    entrance line record in opening time of the range, plus, as for ``site_coverage``, the site's
    devices not heard there whose last day held an entrance line (silent, not removed); a device heard
    only outside opening hours is judged by its last day too."""
    if not spans:
        return []
    pieces = opening_pieces(epochs(windows), epochs(spans))
    expected = [0.0] * len(spans)
    ranges: list[tuple[int, int]] = []
    owners: list[int] = []  # period index of each range
    ragged: list[tuple[float, float, int]] = []
    for begin, finish, index in pieces:
        expected[index] += finish - begin
        first, last = ceil_slot(begin), floor_slot(finish)
        if first >= last:
            ragged.append((begin, finish, index))
            continue
        ragged += [(a, b, index) for a, b in ((begin, first), (last, finish)) if a < b]
        for day_range in _utc_days(first, last):
            ranges.append(day_range)
            owners.append(index)
    answered = store.observed_time(site, [(_utc(a), _utc(b)) for a, b in ranges])
    entrance = {o.device for o in answered if o.entrance}
    # The site's devices not heard in opening time: their last day says whether they watch an entrance
    # (silent, so a gap) unless they were retired before the range.
    heard = {o.device for o in answered}
    last_days: list[tuple[int, int]] = []
    for d in store.devices():
        if d.site != site or d.device in heard or d.last_seen is None or d.last_seen < span.start - RETIRED_AFTER:
            continue
        until = (d.last_seen + timedelta(minutes=1)).timestamp()
        last_days += _utc_days(floor_slot(until - LAST_DAY.total_seconds()), ceil_slot(until))
    if last_days:
        extra = store.observed_time(site, [(_utc(a), _utc(b)) for a, b in last_days])
        entrance |= {o.device for o in extra if o.entrance and o.device not in heard}
    observed_ms = [0] * len(spans)
    for o in answered:
        if o.device in entrance:
            observed_ms[owners[o.index]] += o.observed_ms
    observed = [ms / 1000 for ms in observed_ms]
    for begin, finish, index in ragged if entrance else ():
        records = store.observation_intervals(site, _utc(begin - EDGE_LOOKBACK_S), _utc(finish), "counts")
        spans_of = trimmed_spans((r.device, r.interval_start.timestamp(), r.interval_s, r.observed_s)
                                 for r in records if r.device in entrance)  # fmt: skip
        for slots in spans_of.values():
            observed[index] += observed_per_period(slots, [(begin, finish, 0)], 1)[0]
    n = len(entrance)
    return [
        PeriodCoverage.of(p.start, p.end, e * n, o, complete_at)
        for p, e, o in zip(spans, expected, observed, strict=True)
    ]


def _utc_days(lo: int, hi: int) -> list[tuple[int, int]]:
    """[lo, hi) cut at UTC midnights: the rollup sums ranges within one UTC day."""
    out = []
    while lo < hi:
        end = min(hi, (lo // DAY_S + 1) * DAY_S)
        out.append((lo, end))
        lo = end
    return out


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
