"""Configuration an admin edits through the API; validated on the way in and out of the db."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from wire.vocabulary import Identifier, Name, check_timezone

Label = Annotated[str, Field(min_length=1, max_length=120)]
TimezoneName = Annotated[str, Field(max_length=64), AfterValidator(check_timezone)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SiteSettings(_Strict):
    name: Label | None = None
    timezone: TimezoneName | None = None
    coverage_threshold: float | None = Field(
        default=None, gt=0, le=1, description="coverage a period needs to count as complete; null: 0.95"
    )


class GeraiZoneRef(_Strict):
    device: Identifier
    zone: Name
    role: Name = Field(description="staff: staffing; queue or visitor: waiting")


class GeraiSettings(_Strict):
    name: Label | None = None
    zones: list[GeraiZoneRef] = Field(min_length=1, max_length=64)


# Local wall-clock time of the site, HH:MM ("24:00" closes at midnight).
ClockTime = Annotated[str, Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", examples=["08:00"])]


def wall_time(value: str) -> time:
    return time.max if value == "24:00" else time.fromisoformat(value)


class OpeningDay(_Strict):
    weekday: int = Field(ge=0, le=6, description="0 = Monday (Senin) ... 6 = Sunday (Minggu)")
    opens: ClockTime
    closes: ClockTime

    @model_validator(mode="after")
    def _order(self) -> OpeningDay:
        if wall_time(self.closes) <= wall_time(self.opens):
            raise ValueError(f"closes ({self.closes}) must be after opens ({self.opens})")
        return self


class Holiday(_Strict):
    date: date
    name: Annotated[str, Field(max_length=120)] = ""


class SiteDay(_Strict):
    """An admin's decision for one date at one site: closed (a local holiday, a cuti bersama day the
    MPP observes) or open (a national holiday the MPP works through)."""

    date: date
    closed: bool
    name: Annotated[str, Field(max_length=120)] = ""


class OpeningHoursSettings(_Strict):
    days: list[OpeningDay] = Field(max_length=7 * 4)
    holidays: list[Holiday] = Field(default=[], max_length=1000)


class Role(StrEnum):
    VIEWER = "viewer"
    ADMIN = "admin"


SiteList = Annotated[list[Identifier], Field(min_length=1, max_length=200)]


class TokenInfo(_Strict):
    id: int
    role: Role
    label: str
    created_at: datetime
    expires_at: datetime | None = Field(default=None, description="refused from this time on; null: never")
    sites: SiteList | None = Field(default=None, description="the only sites it may read; null: every site")


class Principal(_Strict):
    """Who presented a valid token: its role and, for a site-scoped token, the sites it may read."""

    role: Role
    sites: frozenset[str] | None = None

    def may_read(self, site: str) -> bool:
        return self.sites is None or site in self.sites
