"""Opening hours: weekly hours plus holidays -> concrete open windows in a range."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from collector.report.periods import TimeRange


@dataclass(frozen=True, slots=True)
class DayHours:
    weekday: int  # 0 = Monday
    opens: time
    closes: time


@dataclass(frozen=True, slots=True)
class Schedule:
    """A site's weekly hours and holidays; ``configured`` False means the defaults below."""

    days: tuple[DayHours, ...]
    holidays: frozenset[date]
    configured: bool


# Typical MPP service hours when an admin has not set any: Monday to Friday 08:00-16:00.
DEFAULT_HOURS: tuple[DayHours, ...] = tuple(DayHours(d, time(8), time(16)) for d in range(5))


def open_windows(
    hours: Sequence[DayHours], holidays: Collection[date], span: TimeRange, tz: ZoneInfo
) -> list[TimeRange]:
    """Open windows of each local day overlapping ``span``, clipped to it, in order."""
    by_day: dict[int, list[DayHours]] = {}
    for entry in hours:
        by_day.setdefault(entry.weekday, []).append(entry)
    windows: list[TimeRange] = []
    day = span.start.astimezone(tz).date() - timedelta(days=1)
    last = span.end.astimezone(tz).date()
    while day <= last:
        if day not in holidays:
            for entry in sorted(by_day.get(day.weekday(), []), key=lambda e: e.opens):
                start = datetime.combine(day, entry.opens, tz)
                end = datetime.combine(day, entry.closes, tz)
                start, end = max(start, span.start), min(end, span.end)
                if end > start:
                    windows.append(TimeRange(start, end))
        day += timedelta(days=1)
    return windows
