"""Calendar periods in a site's timezone: parsing range bounds and folding days into months."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Granularity = Literal["month", "day", "hour"]

DEFAULT_TIMEZONE = "Asia/Jakarta"  # WIB
MIN_YEAR = 2000
MAX_YEAR = 2100

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

# Longest range one request may ask for, per granularity (keeps answers and queries bounded).
MAX_RANGE = {"hour": timedelta(days=62), "day": timedelta(days=800), "month": timedelta(days=3700)}
MAX_VIEW_SPAN = timedelta(days=93)  # occupancy, staffing and waiting views


class PeriodError(ValueError):
    """A range bound or range that cannot be used; the message says why, ``field`` names the parameter."""

    def __init__(self, message: str, field: str = "start") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive


def _check_year(year: int, text: str, field: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"{text!r}: year must be between {MIN_YEAR} and {MAX_YEAR}", field)


def month_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, 1, tzinfo=tz)


def next_month(start: datetime) -> datetime:
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start.replace(year=year, month=month, day=1)


def parse_bound(text: str, tz: ZoneInfo, *, is_end: bool) -> datetime:
    """``YYYY-MM`` and ``YYYY-MM-DD`` name whole local periods (an end includes it);
    an ISO datetime is an instant (naive means site-local; an end excludes it)."""
    text = text.strip()
    field = "end" if is_end else "start"
    try:
        if m := _MONTH.match(text):
            _check_year(int(m[1]), text, field)
            start = datetime(int(m[1]), int(m[2]), 1, tzinfo=tz)
            return next_month(start) if is_end else start
        if m := _DAY.match(text):
            _check_year(int(m[1]), text, field)
            start = datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=tz)
            return start + timedelta(days=1) if is_end else start
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise PeriodError(f"{text!r} is not YYYY-MM, YYYY-MM-DD or an ISO datetime ({exc})", field) from None
    _check_year(value.year, text, field)
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def default_range(granularity: Granularity, now: datetime, tz: ZoneInfo) -> TimeRange:
    """Last 12 months, last 30 days, or today, each up to the end of the current period."""
    local = now.astimezone(tz)
    today = datetime(local.year, local.month, local.day, tzinfo=tz)
    if granularity == "month":
        end = next_month(month_start(local, tz))
        start = end
        for _ in range(12):
            start = (start - timedelta(days=1)).replace(day=1)
        return TimeRange(start, end)
    if granularity == "day":
        return TimeRange(today - timedelta(days=29), today + timedelta(days=1))
    return TimeRange(today, today + timedelta(days=1))


def resolve_range(
    start: str | None,
    end: str | None,
    tz: ZoneInfo,
    now: datetime,
    default: TimeRange,
    max_span: timedelta,
) -> TimeRange:
    begin = parse_bound(start, tz, is_end=False) if start else None
    finish = parse_bound(end, tz, is_end=True) if end else None
    if begin is None and finish is None:
        begin, finish = default.start, default.end
    elif begin is None:
        assert finish is not None
        begin = finish - (default.end - default.start)
    elif finish is None:
        finish = min(begin + (default.end - default.start), begin + max_span)
    if finish <= begin:
        raise PeriodError(f"end ({finish.isoformat()}) must be after start ({begin.isoformat()})", "end")
    if finish - begin > max_span:
        raise PeriodError(f"range of {(finish - begin).days} days exceeds the limit of {max_span.days} days", "end")
    return TimeRange(begin, finish)


def resolve_view_range(start: str | None, end: str | None, tz: ZoneInfo, now: datetime) -> TimeRange:
    """Range of the occupancy, staffing and waiting views: today by default, at most 93 days."""
    return resolve_range(start, end, tz, now, default_range("hour", now, tz), MAX_VIEW_SPAN)
