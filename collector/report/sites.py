"""What the report services know of a site: its identity and timezone, plus the directory they ask.

``collector.api.directory.SiteDirectory`` answers ``Sites`` from telemetry and admin
settings; the services take it as this protocol, so they never depend on the API.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from collector.report.coverage import DEFAULT_COMPLETE_AT
from collector.report.gerai import Gerai
from collector.report.schedule import Schedule
from collector.storage.base import ZoneInterval


@dataclass(frozen=True, slots=True)
class SiteInfo:
    site: str
    name: str
    timezone: str
    timezone_source: Literal["config", "telemetry", "default"]
    configured: bool
    seen_in_telemetry: bool
    complete_at: float = DEFAULT_COMPLETE_AT  # coverage a period needs to count as complete (admin-set or default)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Sites(Protocol):
    def sites(self) -> list[SiteInfo]: ...

    def schedule(self, site: str) -> Schedule: ...

    def gerai(self, site: str, intervals: Iterable[ZoneInterval] | None = None) -> list[Gerai]: ...
