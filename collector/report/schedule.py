"""Opening hours: weekly hours plus holidays -> concrete open windows in a range."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
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


HolidaySource = Literal["national", "cuti_bersama", "site"]


@dataclass(frozen=True, slots=True)
class HolidayDay:
    """One day of a site's holiday calendar. ``closed``: no opening time that day (coverage expects
    nothing, so it is no gap). National holidays start closed and cuti bersama open; an admin's
    entry for the site (``overridden``) decides either way, and ``site`` days are the site's own."""

    date: date
    name: str
    source: HolidaySource
    closed: bool
    overridden: bool


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """One year of a site's holiday calendar, by date."""

    site: str
    year: int
    holidays: tuple[HolidayDay, ...]


def holiday_calendar(
    preloaded: Iterable[tuple[date, str, Literal["national", "cuti_bersama"]]],
    site_days: Iterable[tuple[date, bool, str]],
) -> list[HolidayDay]:
    """The preloaded national calendar with a site's own decisions (date, closed, name) laid over it."""
    days = {d: HolidayDay(d, name, kind, kind == "national", False) for d, name, kind in preloaded}
    for day, closed, name in site_days:
        base = days.get(day)
        if base is None:
            days[day] = HolidayDay(day, name, "site", closed, True)
        else:
            days[day] = HolidayDay(day, name or base.name, base.source, closed, True)
    return [days[d] for d in sorted(days)]


# Typical MPP service hours when an admin has not set any: Monday to Friday 08:00-16:00.
DEFAULT_HOURS: tuple[DayHours, ...] = tuple(DayHours(d, time(8), time(16)) for d in range(5))


def open_windows(
    hours: Sequence[DayHours], holidays: Collection[date], span: TimeRange, tz: ZoneInfo, until: datetime | None = None
) -> list[TimeRange]:
    """Open windows of each local day overlapping ``span``, clipped to it, in order. Opening time after
    ``until`` (now) has not come yet: it is not expected, so never reads as unobserved."""
    if until is not None:
        span = TimeRange(span.start, max(span.start, min(span.end, until)))
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
