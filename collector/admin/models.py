"""Configuration an admin edits through the API; validated on the way in and out of the db."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from wire.topics import IDENTIFIER_PATTERN

Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Label = Annotated[str, Field(min_length=1, max_length=120)]


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r} (e.g. Asia/Jakarta, Asia/Makassar, Asia/Jayapura)") from None
    return value


TimezoneName = Annotated[str, Field(max_length=64), AfterValidator(_timezone)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SiteSettings(_Strict):
    name: Label | None = None
    timezone: TimezoneName | None = None


class GeraiZoneRef(_Strict):
    device: Identifier
    zone: Name
    role: Name = Field(description="staff: staffing; queue or visitor: waiting")


class GeraiSettings(_Strict):
    name: Label | None = None
    zones: list[GeraiZoneRef] = Field(min_length=1, max_length=64)


class OpeningDay(_Strict):
    weekday: int = Field(ge=0, le=6, description="0 = Monday (Senin) ... 6 = Sunday (Minggu)")
    opens: time
    closes: time

    @model_validator(mode="after")
    def _order(self) -> OpeningDay:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opening times are local wall-clock times without an offset")
        if self.closes <= self.opens:
            raise ValueError(f"closes ({self.closes}) must be after opens ({self.opens})")
        return self


class Holiday(_Strict):
    date: date
    name: Annotated[str, Field(max_length=120)] = ""


class OpeningHoursSettings(_Strict):
    days: list[OpeningDay] = Field(max_length=7 * 4)
    holidays: list[Holiday] = Field(default=[], max_length=1000)


class Role(StrEnum):
    VIEWER = "viewer"
    ADMIN = "admin"


class TokenInfo(_Strict):
    id: int
    role: Role
    label: str
    created_at: datetime
