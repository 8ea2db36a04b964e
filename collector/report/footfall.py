"""Visitors through entrance lines, per calendar period in the site's timezone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collector.report.periods import (
    MAX_RANGE,
    FootfallPeriod,
    Granularity,
    as_periods,
    default_range,
    fold_months,
    resolve_range,
)
from collector.report.sites import SiteInfo
from collector.storage.base import Bucket, Store

MAX_COMPARED_SITES = 20  # sites one comparison shows: the footfall comparison, the monthly report


@dataclass(frozen=True, slots=True)
class FootfallSeries:
    site: str
    timezone: str
    granularity: Granularity
    start: datetime
    end: datetime
    periods: tuple[FootfallPeriod, ...]


def footfall_series(
    store: Store, info: SiteInfo, granularity: Granularity, start: str | None, end: str | None, now: datetime
) -> FootfallSeries:
    """``start``/``end`` as the API takes them (see ``resolve_range``); months fold local days."""
    tz = info.tz
    span = resolve_range(start, end, tz, now, default_range(granularity, now, tz), MAX_RANGE[granularity])
    bucket: Bucket = "hour" if granularity == "hour" else "day"
    rows = store.footfall([info.site], span.start, span.end, bucket, info.timezone)
    periods = fold_months(rows, tz) if granularity == "month" else as_periods(rows, tz)
    return FootfallSeries(info.site, info.timezone, granularity, span.start, span.end, tuple(periods))
