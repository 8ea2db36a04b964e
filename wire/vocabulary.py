"""Words both sides use: identifier and name patterns, timezones, and the roles of lines and zones.

The edge's device config, the collector's admin settings and reports, and the API
take these from here, so that a name the edge accepts is one the collector accepts.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field

# Identifiers double as MQTT topic levels, InfluxDB tags and URL path parts, so
# they exclude wildcards, separators and upper case (one spelling per site).
IDENTIFIER_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
# Line and zone names (and roles) are tags and labels, not topic levels: allow more.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)


def is_identifier(value: str) -> bool:
    return bool(_IDENTIFIER.match(value))


def check_timezone(value: str) -> str:
    """``value`` if it names an IANA timezone; a ValueError with examples otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r} (e.g. Asia/Jakarta, Asia/Makassar, Asia/Jayapura)") from None
    return value


Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN)]
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
TimezoneName = Annotated[str, AfterValidator(check_timezone)]


class CountingRole(StrEnum):
    """What a line or zone counts for. Roles are free names (``Name``); these are the ones the
    collector's views read: footfall, staffing and waiting."""

    ENTRANCE = "entrance"  # a line whose crossings are visitors in and out (footfall)
    STAFF = "staff"  # a zone occupied while a gerai is staffed
    QUEUE = "queue"  # a zone where visitors wait in front of a gerai
    VISITOR = "visitor"  # any other visitor zone; waiting counts it too (the edge's default zone role)
