"""Every answer a store gives over a time range, in one comparable value: two
stores that were fed the same stream must return equal answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from collector.report.coverage import Use, combined, device_coverage, expected_watches, periods
from collector.report.periods import Granularity, TimeRange
from collector.report.schedule import DEFAULT_HOURS, open_windows
from collector.report.site_coverage import entrance_coverage, footfall_with_coverage
from collector.report.staffing import staffing
from collector.storage import Store

TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "UTC")


def answers(store: Store, sites: Sequence[str], start: datetime, end: datetime) -> dict[str, Any]:
    """Footfall (day and hour buckets, three timezones, whole and ragged ranges), zone
    intervals (all and filtered), dwell samples, staffing, sites and devices."""
    out: dict[str, Any] = {}
    ragged = (start + timedelta(minutes=7, seconds=30), end - timedelta(minutes=8))
    for lo, hi in ((start, end), ragged):
        for tz in TIMEZONES:
            for bucket in ("day", "hour"):
                out[f"footfall {lo} {hi} {tz} {bucket}"] = store.footfall(list(sites), lo, hi, bucket, tz)
    for site in sites:
        intervals = store.zone_intervals(site, start, end)
        out[f"zone_intervals {site}"] = intervals
        zones = sorted({z.zone for z in intervals})[:1]
        out[f"zone_intervals {site} {zones}"] = store.zone_intervals(site, start, end, zones)
        out[f"dwell_samples {site}"] = store.dwell_samples(site, start, end)
        out[f"dwell_samples {site} {zones}"] = store.dwell_samples(site, start, end, zones)
        out[f"staffing {site}"] = staffing(
            [z for z in intervals if z.role == "staff"], [TimeRange(start, end)], ZoneInfo("Asia/Jakarta"), 60.0
        )
        # The observed-time rollup: quarter-hour ranges of UTC days, and footfall's coverage from it.
        quarters = [(start + timedelta(minutes=15 * k), start + timedelta(minutes=15 * (k + j)))
                    for k in range(0, 8) for j in (1, 3)]  # fmt: skip
        out[f"observed_time {site}"] = store.observed_time(site, quarters)
        for tz in TIMEZONES:
            for granularity in ("hour", "day"):
                out[f"footfall_with_coverage {site} {tz} {granularity}"] = footfall_with_coverage(
                    store, site, TimeRange(start, end), tz, granularity, DEFAULT_HOURS, ()
                )
    out["sites"] = store.sites()
    out["devices"] = store.devices()
    return out


def rollup_against_raw(
    store: Store, site: str, span: TimeRange, timezone: str, granularity: Granularity
) -> tuple[list[float], list[float]]:
    """Footfall's coverage (expected and observed seconds per period) from the observed-time rollup,
    and folded from every raw entrance-line record as before the rollup existed."""
    tz = ZoneInfo(timezone)
    spans = periods(span, granularity, tz)
    windows = open_windows(DEFAULT_HOURS, (), span, tz)
    rolled = entrance_coverage(store, site, span, spans, windows)
    records = store.observation_intervals(site, span.start, span.end, "counts")
    watches = [w for w in expected_watches(records, ()) if w.use is Use.ENTRANCE]
    raw = combined(device_coverage(records, watches, windows, spans, min_gap_s=float("inf")))
    if not raw:  # no entrance device: nothing expected
        raw = [p for p in rolled]
    return [x for p in rolled for x in (p.expected_s, p.observed_s)], [
        x for p in raw for x in (p.expected_s, p.observed_s)
    ]


def differences(left: dict[str, Any], right: dict[str, Any]) -> list[str]:
    return [f"{key}:\n  {left.get(key)!r}\n  {right.get(key)!r}" for key in left if left.get(key) != right.get(key)]
