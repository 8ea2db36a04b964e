"""AdminDb: the collector's own configuration database (SQLite, in settings.data_dir).

Tokens are stored as SHA-256 hashes; the secret is shown once, when created.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from collector.admin.models import (
    GeraiSettings,
    OpeningHoursSettings,
    Principal,
    Role,
    SiteDay,
    SiteSettings,
    TokenInfo,
)
from collector.state_files import SharedSqlite

ENV_TOKEN_LABEL = "MPP_API_TOKEN"  # noqa: S105 - a label, not a secret
_T = TypeVar("_T", SiteSettings, GeraiSettings, OpeningHoursSettings)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS site (site TEXT PRIMARY KEY, settings TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gerai (
  site TEXT NOT NULL, gerai TEXT NOT NULL, settings TEXT NOT NULL, PRIMARY KEY (site, gerai));
CREATE TABLE IF NOT EXISTS opening_hours (site TEXT PRIMARY KEY, settings TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS site_day (
  site TEXT NOT NULL, day TEXT NOT NULL, closed INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (site, day));
CREATE TABLE IF NOT EXISTS token (
  id INTEGER PRIMARY KEY AUTOINCREMENT, hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
  label TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT, sites TEXT);
"""
# Columns added after the first release: (name, declaration), added to older databases at open.
_TOKEN_COLUMNS = (("expires_at", "TEXT"), ("sites", "TEXT"))


class AdminDbError(Exception):
    """The configuration database cannot be opened or holds invalid content."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class AdminDb(SharedSqlite):
    def __init__(self, path: Path, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        try:
            super().__init__(path, _SCHEMA)
            present = {row[1] for row in self._db.execute("PRAGMA table_info(token)")}
            for name, declaration in _TOKEN_COLUMNS:
                if name not in present:
                    self._db.execute(f"ALTER TABLE token ADD COLUMN {name} {declaration}")
        except (OSError, sqlite3.Error) as exc:
            raise AdminDbError(f"cannot open admin db {path}: {exc}") from None

    def _exec(self, sql: str, *args: object) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    # Sites -----------------------------------------------------------------
    def sites(self) -> dict[str, SiteSettings]:
        return {str(s): self._load(SiteSettings, v) for s, v in self._rows("SELECT site, settings FROM site")}

    def put_site(self, site: str, settings: SiteSettings) -> None:
        self._exec("INSERT OR REPLACE INTO site VALUES (?, ?)", site, settings.model_dump_json())

    def delete_site(self, site: str) -> bool:
        return self._exec("DELETE FROM site WHERE site = ?", site) > 0

    # Gerai -----------------------------------------------------------------
    def gerai(self, site: str) -> dict[str, GeraiSettings]:
        rows = self._rows("SELECT gerai, settings FROM gerai WHERE site = ? ORDER BY gerai", site)
        return {str(g): self._load(GeraiSettings, v) for g, v in rows}

    def put_gerai(self, site: str, gerai: str, settings: GeraiSettings) -> None:
        self._exec("INSERT OR REPLACE INTO gerai VALUES (?, ?, ?)", site, gerai, settings.model_dump_json())

    def delete_gerai(self, site: str, gerai: str) -> bool:
        return self._exec("DELETE FROM gerai WHERE site = ? AND gerai = ?", site, gerai) > 0

    # Opening hours ---------------------------------------------------------
    def opening_hours(self, site: str) -> OpeningHoursSettings | None:
        rows = self._rows("SELECT settings FROM opening_hours WHERE site = ?", site)
        return self._load(OpeningHoursSettings, rows[0][0]) if rows else None

    def put_opening_hours(self, site: str, settings: OpeningHoursSettings) -> None:
        self._exec("INSERT OR REPLACE INTO opening_hours VALUES (?, ?)", site, settings.model_dump_json())

    # Holidays: a site's own closed days and the national holidays it works through -----------
    def site_days(self, site: str) -> list[SiteDay]:
        rows = self._rows("SELECT day, closed, name FROM site_day WHERE site = ? ORDER BY day", site)
        return [SiteDay(date=date.fromisoformat(str(d)), closed=bool(c), name=str(n)) for d, c, n in rows]

    def put_site_day(self, site: str, day: SiteDay) -> None:
        self._exec("INSERT OR REPLACE INTO site_day VALUES (?, ?, ?, ?)",
                   site, day.date.isoformat(), int(day.closed), day.name)  # fmt: skip

    def delete_site_day(self, site: str, day: date) -> bool:
        return self._exec("DELETE FROM site_day WHERE site = ? AND day = ?", site, day.isoformat()) > 0

    # Tokens ----------------------------------------------------------------
    def create_token(
        self, role: Role, label: str, *, expires_at: datetime | None = None, sites: list[str] | None = None
    ) -> tuple[TokenInfo, str]:
        secret = secrets.token_urlsafe(32)
        return self._insert_token(secret, role, label, expires_at, sites), secret

    def _insert_token(
        self, secret: str, role: Role, label: str, expires_at: datetime | None = None, sites: list[str] | None = None
    ) -> TokenInfo:
        created = self._clock()
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO token (hash, role, label, created_at, expires_at, sites) VALUES (?, ?, ?, ?, ?, ?)",
                (_hash(secret), role.value, label, created.isoformat(),
                 expires_at.isoformat() if expires_at else None, json.dumps(sites) if sites is not None else None),
            )  # fmt: skip
            token_id = cursor.lastrowid
        assert token_id is not None
        return TokenInfo(id=token_id, role=role, label=label, created_at=created, expires_at=expires_at, sites=sites)

    def ensure_env_token(self, secret: str) -> None:
        """The admin token from the environment replaces any earlier one from there."""
        with self._lock:
            self._db.execute("DELETE FROM token WHERE label = ? OR hash = ?", (ENV_TOKEN_LABEL, _hash(secret)))
        self._insert_token(secret, Role.ADMIN, ENV_TOKEN_LABEL)

    def drop_env_token(self) -> bool:
        """MPP_API_TOKEN was removed from the environment: the admin token it made stops working."""
        return self._exec("DELETE FROM token WHERE label = ?", ENV_TOKEN_LABEL) > 0

    def principal_for(self, secret: str) -> Principal | None:
        """The token's role and sites, or None for an unknown, revoked or expired token."""
        rows = self._rows("SELECT role, expires_at, sites FROM token WHERE hash = ?", _hash(secret))
        if not rows:
            return None
        role, expires_at, sites = rows[0]
        if expires_at is not None and self._clock() >= datetime.fromisoformat(str(expires_at)):
            return None
        return Principal(role=Role(str(role)), sites=frozenset(json.loads(str(sites))) if sites is not None else None)

    def role_for(self, secret: str) -> Role | None:
        principal = self.principal_for(secret)
        return principal.role if principal else None

    def tokens(self) -> list[TokenInfo]:
        rows = self._rows("SELECT id, role, label, created_at, expires_at, sites FROM token ORDER BY id")
        return [
            TokenInfo(
                id=int(str(i)), role=Role(str(r)), label=str(lb), created_at=datetime.fromisoformat(str(c)),
                expires_at=datetime.fromisoformat(str(e)) if e is not None else None,
                sites=json.loads(str(s)) if s is not None else None,
            )
            for i, r, lb, c, e, s in rows
        ]  # fmt: skip

    def delete_token(self, token_id: int) -> bool:
        return self._exec("DELETE FROM token WHERE id = ?", token_id) > 0

    @staticmethod
    def _load(model: type[_T], raw: object) -> _T:
        try:
            return model.model_validate_json(str(raw))
        except ValidationError as exc:
            raise AdminDbError(f"invalid {model.__name__} in admin db: {exc.errors()[0]['msg']}") from None
