"""SiteDirectory: sites, their timezones, gerai and opening hours, from telemetry plus admin config.

A site first seen in telemetry appears on its own with the timezone its devices
report; an admin setting overrides. Gerai default to the zones' ``gerai`` tag seen
in telemetry; an admin entry for a gerai replaces its zone list.
"""

from __future__ import annotations

import dataclasses
import threading
import time as monotonic_time
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal

from collector.admin import AdminDb, OpeningDay, OpeningHoursSettings, SiteDay
from collector.admin.models import wall_time
from collector.admin.national_holidays import national_days
from collector.report.gerai import Gerai, GeraiZone, gerai_from_telemetry
from collector.report.periods import DEFAULT_TIMEZONE
from collector.report.schedule import (
    DEFAULT_HOURS,
    DayHours,
    HolidayCalendar,
    HolidayDay,
    Schedule,
    holiday_calendar,
)
from collector.report.sites import SiteInfo as SiteInfo  # re-exported: deps.py and routes name it here
from collector.storage.base import Batch, SiteSeen, Store, ZoneInterval

GERAI_LOOKBACK = timedelta(days=1)  # telemetry window a site's gerai are derived from
CACHE_TTL_S = 30.0
# The calendar coverage uses holds the national holidays of these years around the clock's.
CALENDAR_YEARS_BACK = 10
CALENDAR_YEARS_AHEAD = 1


def _hhmm(value: time) -> str:
    return "24:00" if value == time.max else value.isoformat("minutes")


@lru_cache(maxsize=8)
def _national_closed(first_year: int, last_year: int) -> frozenset[date]:
    """National holidays of the years (cuti bersama stays open unless a site closes it)."""
    years = range(first_year, last_year + 1)
    return frozenset(d for y in years for d, _, kind in national_days(y) if kind == "national")


class UnknownSite(LookupError):
    def __init__(self, site: str) -> None:
        super().__init__(f"unknown site {site!r}: not seen in telemetry and not configured")
        self.site = site


class SiteDirectory:
    def __init__(self, store: Store, admin: AdminDb, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._admin = admin
        self._clock = clock
        self._lock = threading.Lock()
        self._gerai_cache: dict[str, tuple[float, dict[str, Gerai]]] = {}
        # The sites seen in telemetry, asked on every request (on InfluxDB a query each): kept until a
        # write brings a site or timezone it does not hold, or CACHE_TTL_S (another process's writes).
        self._seen: tuple[float, list[SiteSeen]] | None = None
        store.add_write_listener(self._written)
        year = clock().year  # the national calendar is computed once, before the first request needs it
        _national_closed(year - CALENDAR_YEARS_BACK, year + CALENDAR_YEARS_AHEAD)

    def sites_at_hand(self) -> bool:
        """Whether ``sites()`` answers without asking the store."""
        with self._lock:
            kept = self._seen
        return kept is not None and monotonic_time.monotonic() - kept[0] < CACHE_TTL_S

    def _seen_sites(self) -> list[SiteSeen]:
        with self._lock:
            kept = self._seen
        if kept is not None and monotonic_time.monotonic() - kept[0] < CACHE_TTL_S:
            return kept[1]
        seen = self._store.sites()
        with self._lock:
            self._seen = (monotonic_time.monotonic(), seen)
        return seen

    def _written(self, batch: Batch) -> None:
        with self._lock:
            if self._seen is None:
                return
            known = {(s.site, s.timezone) for s in self._seen[1]}
            told = [(r.site, r.timezone) for r in batch.counts] + [(r.site, r.timezone) for r in batch.occupancy]
            if any(pair not in known for pair in told + [(h.site, h.timezone) for h in batch.health]):
                self._seen = None

    def sites(self) -> list[SiteInfo]:
        seen = {s.site: s.timezone for s in self._seen_sites()}
        configured = self._admin.sites()
        out = []
        for site in sorted(set(seen) | set(configured)):
            settings = configured.get(site)
            source: Literal["config", "telemetry", "default"]
            if settings is not None and settings.timezone:
                tz, source = settings.timezone, "config"
            elif site in seen:
                tz, source = seen[site], "telemetry"
            else:
                tz, source = DEFAULT_TIMEZONE, "default"
            name = settings.name if settings is not None and settings.name else site
            threshold = settings.coverage_threshold if settings is not None else None
            info = SiteInfo(site, name, tz, source, settings is not None, site in seen)
            out.append(info if threshold is None else dataclasses.replace(info, complete_at=threshold))
        return out

    def site(self, site: str) -> SiteInfo:
        for info in self.sites():
            if info.site == site:
                return info
        raise UnknownSite(site)

    def schedule(self, site: str) -> Schedule:
        """Weekly hours and every closed day: national holidays, unless the site works through one,
        and the site's own (cuti bersama it observes, local days)."""
        year = self._clock().year
        closed = set(_national_closed(year - CALENDAR_YEARS_BACK, year + CALENDAR_YEARS_AHEAD))
        settings = self._admin.opening_hours(site)
        for day, is_closed, _ in self._own_days(site, settings):
            (closed.add if is_closed else closed.discard)(day)
        if settings is None:
            return Schedule(DEFAULT_HOURS, frozenset(closed), configured=False)
        return Schedule(
            tuple(DayHours(d.weekday, wall_time(d.opens), wall_time(d.closes)) for d in settings.days),
            frozenset(closed),
            configured=True,
        )

    def holidays(self, site: str, years: Iterable[int], lang: Literal["id", "en"] = "id") -> list[HolidayDay]:
        """The national calendar of ``years`` with the site's own days (of any year) laid over it."""
        preloaded = [day for year in years for day in national_days(year, lang)]
        return holiday_calendar(preloaded, self._own_days(site, self._admin.opening_hours(site)))

    def calendar(self, site: str, year: int, lang: Literal["id", "en"] = "id") -> HolidayCalendar:
        days = tuple(d for d in self.holidays(site, [year], lang) if d.date.year == year)
        return HolidayCalendar(site, year, days)

    def _own_days(self, site: str, hours: OpeningHoursSettings | None) -> list[tuple[date, bool, str]]:
        # Holidays entered with the opening hours (the older way) are the site's own closed days.
        own = [(h.date, True, h.name) for h in hours.holidays] if hours else []
        return own + [(d.date, d.closed, d.name) for d in self._admin.site_days(site)]

    def close_day(self, site: str, day: date, name: str) -> None:
        """The site is closed on ``day``: a local holiday, a cuti bersama day, or a national one restored."""
        self._admin.put_site_day(site, SiteDay(date=day, closed=True, name=name))

    def open_day(self, site: str, day: date) -> bool:
        """The site is open on ``day`` after all; False when it was no closed day of the site."""
        entry = next((d for d in self.holidays(site, [day.year]) if d.date == day), None)
        if entry is None or not entry.closed:
            return False
        if entry.source == "national":
            self._admin.put_site_day(site, SiteDay(date=day, closed=False, name=entry.name))
            return True
        self._admin.delete_site_day(site, day)
        hours = self._admin.opening_hours(site)
        if hours is not None and any(h.date == day for h in hours.holidays):
            kept = [h for h in hours.holidays if h.date != day]
            self._admin.put_opening_hours(site, hours.model_copy(update={"holidays": kept}))
        return True

    @staticmethod
    def as_opening_days(days: Iterable[DayHours]) -> list[OpeningDay]:
        return [OpeningDay(weekday=d.weekday, opens=_hhmm(d.opens), closes=_hhmm(d.closes)) for d in days]

    def gerai(self, site: str, intervals: Iterable[ZoneInterval] | None = None) -> list[Gerai]:
        """Configured gerai, plus those tagged in the site's last day of telemetry and in ``intervals``
        (a range with no data still lists the gerai, as unobserved)."""
        merged = dict(self._recent_gerai(site))
        if intervals is not None:
            merged.update(gerai_from_telemetry(intervals))
        for gerai, settings in self._admin.gerai(site).items():
            merged[gerai] = Gerai(
                gerai,
                settings.name or gerai,
                tuple(GeraiZone(z.device, z.zone, z.role) for z in settings.zones),
                configured=True,
            )
        return [merged[g] for g in sorted(merged)]

    def _recent_gerai(self, site: str) -> dict[str, Gerai]:
        now = self._clock()
        stamp = now.timestamp()
        with self._lock:
            cached = self._gerai_cache.get(site)
        if cached is not None and stamp - cached[0] < CACHE_TTL_S:
            return cached[1]
        last_seen = [d.last_seen for d in self._store.devices() if d.site == site and d.last_seen is not None]
        end = max(last_seen, default=now) + timedelta(minutes=1)
        found = gerai_from_telemetry(self._store.zone_intervals(site, end - GERAI_LOOKBACK, end))
        with self._lock:
            self._gerai_cache[site] = (stamp, found)
        return found
