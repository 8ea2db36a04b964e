"""Every answer a store gives over a time range, in one comparable value: two
stores that were fed the same stream must return equal answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from collector.report.periods import TimeRange
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
    out["sites"] = store.sites()
    out["devices"] = store.devices()
    return out


def differences(left: dict[str, Any], right: dict[str, Any]) -> list[str]:
    return [f"{key}:\n  {left.get(key)!r}\n  {right.get(key)!r}" for key in left if left.get(key) != right.get(key)]
