"""Admin-editable configuration (sites, gerai, opening hours, holidays, API tokens) in a small SQLite db."""

from collector.admin.db import AdminDb, AdminDbError
from collector.admin.models import (
    GeraiSettings,
    GeraiZoneRef,
    Holiday,
    OpeningDay,
    OpeningHoursSettings,
    Principal,
    Role,
    SiteDay,
    SiteSettings,
    TokenInfo,
)

__all__ = [
    "AdminDb",
    "AdminDbError",
    "GeraiSettings",
    "GeraiZoneRef",
    "Holiday",
    "OpeningDay",
    "OpeningHoursSettings",
    "Principal",
    "Role",
    "SiteDay",
    "SiteSettings",
    "TokenInfo",
]
