"""Range bounds in a site's timezone and month folding (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from collector.report.periods import (
    MAX_RANGE,
    PeriodError,
    TimeRange,
    default_range,
    parse_bound,
    resolve_range,
)
from collector.report.schedule import DEFAULT_HOURS, DayHours, open_windows

WIB = ZoneInfo("Asia/Jakarta")
WIT = ZoneInfo("Asia/Jayapura")


def test_date_forms_name_whole_local_periods() -> None:
    assert parse_bound("2025-05", WIB, is_end=False) == datetime(2025, 5, 1, tzinfo=WIB)
    assert parse_bound("2025-05", WIB, is_end=True) == datetime(2025, 6, 1, tzinfo=WIB)
    assert parse_bound("2025-12", WIB, is_end=True) == datetime(2026, 1, 1, tzinfo=WIB)
    assert parse_bound("2025-05-31", WIT, is_end=True) == datetime(2025, 6, 1, tzinfo=WIT)
    assert parse_bound("2025-05-31", WIT, is_end=True).astimezone(UTC) == datetime(2025, 5, 31, 15, tzinfo=UTC)


def test_datetimes_are_instants_and_naive_ones_are_site_local() -> None:
    assert parse_bound("2025-05-31T23:30", WIB, is_end=False) == datetime(2025, 5, 31, 16, 30, tzinfo=UTC)
    assert parse_bound("2025-05-31T23:30:00+08:00", WIB, is_end=True) == datetime(2025, 5, 31, 15, 30, tzinfo=UTC)
    assert parse_bound("2025-05-31T16:30:00Z", WIB, is_end=False) == datetime(2025, 5, 31, 23, 30, tzinfo=WIB)


@pytest.mark.parametrize("text", ["2025-13", "2025-02-30", "31/05/2025", "", "1899-01", "2025-05-31T25:00"])
def test_bad_bounds_say_why(text: str) -> None:
    with pytest.raises(PeriodError, match=r"2025|year|YYYY"):
        parse_bound(text, WIB, is_end=False)


def test_resolve_range_defaults_and_limits() -> None:
    now = datetime(2025, 6, 2, 9, tzinfo=UTC)
    months = default_range("month", now, WIB)
    assert (months.start, months.end) == (datetime(2024, 7, 1, tzinfo=WIB), datetime(2025, 7, 1, tzinfo=WIB))
    assert resolve_range(None, None, WIB, now, months, MAX_RANGE["month"]) == months
    only_start = resolve_range("2025-05-01", None, WIB, now, default_range("day", now, WIB), MAX_RANGE["day"])
    assert only_start.end - only_start.start == timedelta(days=30)
    with pytest.raises(PeriodError, match="must be after"):
        resolve_range("2025-06-02", "2025-06-01", WIB, now, months, MAX_RANGE["day"])
    with pytest.raises(PeriodError, match="exceeds the limit of 62 days"):
        resolve_range("2025-01", "2025-06", WIB, now, months, MAX_RANGE["hour"])


def test_open_windows_skip_holidays_and_clip_to_the_range() -> None:
    span = TimeRange(datetime(2025, 6, 6, 12, tzinfo=WIB), datetime(2025, 6, 10, tzinfo=WIB))  # Fri noon .. Tue
    windows = open_windows(DEFAULT_HOURS, {date(2025, 6, 9)}, span, WIB)
    assert [(w.start, w.end) for w in windows] == [
        (datetime(2025, 6, 6, 12, tzinfo=WIB), datetime(2025, 6, 6, 16, tzinfo=WIB)),
    ]
    split = (DayHours(5, time(8), time(12)), DayHours(5, time(13), time(15)))
    saturday = TimeRange(datetime(2025, 6, 7, tzinfo=WIB), datetime(2025, 6, 8, tzinfo=WIB))
    assert [w.end - w.start for w in open_windows(split, set(), saturday, WIB)] == [
        timedelta(hours=4),
        timedelta(hours=2),
    ]
