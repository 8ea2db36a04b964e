"""AlertDb: per-site rules, alert episodes and their deliveries, in the collector's admin SQLite db.

An episode row is open until resolved; a partial unique index allows one open episode per
(site, kind, subject), so a restarted collector finds the episode it opened and sends nothing again.
A delivery row per channel is written in the same transaction as its episode: an alert opened just
before a crash is still delivered after the restart, and exactly once per channel.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from collector.alerts.evaluate import Finding
from collector.alerts.rules import DEFAULT_RULES, AlertKind, AlertRules
from collector.state_files import SharedSqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_rules (site TEXT PRIMARY KEY, settings TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alert (
  id INTEGER PRIMARY KEY AUTOINCREMENT, site TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
  subject_name TEXT NOT NULL, opened_at REAL NOT NULL, resolved_at REAL, detail TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS alert_one_open ON alert (site, kind, subject) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS alert_by_site ON alert (site, opened_at);
CREATE TABLE IF NOT EXISTS alert_delivery (
  alert_id INTEGER NOT NULL REFERENCES alert (id), channel TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  next_at REAL NOT NULL, delivered_at REAL, failed_at REAL, last_error TEXT, PRIMARY KEY (alert_id, channel));
CREATE TABLE IF NOT EXISTS report_mail (
  site TEXT NOT NULL, month TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL,
  sent_at REAL, last_error TEXT, PRIMARY KEY (site, month));
"""
REPORT_RETRY_MIN_S = 300.0
REPORT_RETRY_MAX_S = 3600.0


class AlertDbError(Exception):
    """The alert tables cannot be opened or hold invalid content."""


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    site: str
    kind: AlertKind
    subject: str
    subject_name: str
    opened_at: datetime
    resolved_at: datetime | None
    detail: dict[str, float | str]


@dataclass(frozen=True, slots=True)
class Delivery:
    alert: Alert
    channel: str
    attempts: int


def _utc(epoch: object) -> datetime:
    return datetime.fromtimestamp(float(str(epoch)), UTC)


class AlertDb(SharedSqlite):
    def __init__(self, path: Path) -> None:
        try:
            super().__init__(path, _SCHEMA, timeout_s=10)
        except (OSError, sqlite3.Error) as exc:
            raise AlertDbError(f"cannot open alert tables in {path}: {exc}") from None

    # Rules -----------------------------------------------------------------
    def rules(self, site: str) -> AlertRules:
        rows = self._rows("SELECT settings FROM alert_rules WHERE site = ?", site)
        if not rows:
            return DEFAULT_RULES
        try:
            return AlertRules.model_validate_json(str(rows[0][0]))
        except ValidationError as exc:
            raise AlertDbError(f"invalid alert rules for {site!r}: {exc.errors()[0]['msg']}") from None

    def has_rules(self, site: str) -> bool:
        return bool(self._rows("SELECT 1 FROM alert_rules WHERE site = ?", site))

    def put_rules(self, site: str, rules: AlertRules) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO alert_rules VALUES (?, ?)", (site, rules.model_dump_json()))

    def delete_rules(self, site: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM alert_rules WHERE site = ?", (site,)).rowcount > 0

    # Episodes --------------------------------------------------------------
    def open_keys(self, site: str) -> set[tuple[str, str]]:
        rows = self._rows("SELECT kind, subject FROM alert WHERE site = ? AND resolved_at IS NULL", site)
        return {(str(k), str(s)) for k, s in rows}

    def apply(
        self,
        site: str,
        opened: Iterable[Finding],
        resolved: Iterable[tuple[str, str]],
        channels: Iterable[str],
        now: datetime,
    ) -> list[Alert]:
        """Open and resolve episodes and queue one delivery per channel for each one opened, atomically."""
        at = now.timestamp()
        created = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for kind, subject in resolved:
                    self._db.execute(
                        "UPDATE alert SET resolved_at = ? WHERE site = ? AND kind = ? AND subject = ? "
                        "AND resolved_at IS NULL",
                        (at, site, kind, subject),
                    )
                for f in opened:
                    cursor = self._db.execute(
                        "INSERT INTO alert (site, kind, subject, subject_name, opened_at, detail) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (site, f.kind.value, f.subject, f.subject_name, at, json.dumps(f.detail)),
                    )
                    alert_id = cursor.lastrowid
                    assert alert_id is not None
                    self._db.executemany(
                        "INSERT INTO alert_delivery (alert_id, channel, next_at) VALUES (?, ?, ?)",
                        [(alert_id, c, at) for c in channels],
                    )
                    created.append(Alert(alert_id, site, f.kind, f.subject, f.subject_name, now, None, f.detail))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return created

    def history(self, site: str, limit: int = 100) -> list[Alert]:
        """Newest first."""
        rows = self._rows(
            "SELECT id, site, kind, subject, subject_name, opened_at, resolved_at, detail FROM alert "
            "WHERE site = ? ORDER BY opened_at DESC, id DESC LIMIT ?",
            site,
            limit,
        )
        return [self._alert(r) for r in rows]

    @staticmethod
    def _alert(row: tuple[object, ...]) -> Alert:
        i, site, kind, subject, name, opened, resolved, detail = row
        return Alert(
            int(str(i)), str(site), AlertKind(str(kind)), str(subject), str(name), _utc(opened),
            None if resolved is None else _utc(resolved), json.loads(str(detail)),
        )  # fmt: skip

    # Deliveries ------------------------------------------------------------
    def due(self, now: datetime, limit: int = 50) -> list[Delivery]:
        rows = self._rows(
            "SELECT a.id, a.site, a.kind, a.subject, a.subject_name, a.opened_at, a.resolved_at, a.detail, "
            "d.channel, d.attempts FROM alert_delivery d JOIN alert a ON a.id = d.alert_id "
            "WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_at <= ? ORDER BY d.next_at LIMIT ?",
            now.timestamp(),
            limit,
        )
        return [Delivery(self._alert(r[:8]), str(r[8]), int(str(r[9]))) for r in rows]

    def delivered(self, alert_id: int, channel: str, now: datetime) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE alert_delivery SET delivered_at = ?, attempts = attempts + 1 "
                "WHERE alert_id = ? AND channel = ?",
                (now.timestamp(), alert_id, channel),
            )

    def retry_at(self, alert_id: int, channel: str, next_at: datetime, error: str, *, give_up: bool = False) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE alert_delivery SET attempts = attempts + 1, next_at = ?, last_error = ?, failed_at = ? "
                "WHERE alert_id = ? AND channel = ?",
                (next_at.timestamp(), error[:500], next_at.timestamp() if give_up else None, alert_id, channel),
            )

    # Monthly report mail -----------------------------------------------------
    def report_due(self, site: str, month: str, now: datetime) -> bool:
        """Not sent yet and not waiting for a retry."""
        rows = self._rows("SELECT sent_at, next_at FROM report_mail WHERE site = ? AND month = ?", site, month)
        return not rows or (rows[0][0] is None and float(str(rows[0][1])) <= now.timestamp())

    def report_sent(self, site: str, month: str, now: datetime) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO report_mail (site, month, attempts, next_at, sent_at) VALUES (?, ?, 1, ?, ?) "
                "ON CONFLICT (site, month) DO UPDATE SET attempts = attempts + 1, sent_at = excluded.sent_at",
                (site, month, now.timestamp(), now.timestamp()),
            )

    def report_failed(self, site: str, month: str, now: datetime, error: str) -> float:
        """Record a failed attempt; returns the seconds until the next one (5 min doubling, at most an hour)."""
        rows = self._rows("SELECT attempts FROM report_mail WHERE site = ? AND month = ?", site, month)
        attempts = int(str(rows[0][0])) + 1 if rows else 1
        wait_s = min(REPORT_RETRY_MAX_S, REPORT_RETRY_MIN_S * 2 ** (attempts - 1))
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO report_mail (site, month, attempts, next_at, last_error) "
                "VALUES (?, ?, ?, ?, ?)",
                (site, month, attempts, now.timestamp() + wait_s, error[:500]),
            )
        return float(wait_s)

    def delivery_states(self, alert_id: int) -> dict[str, str]:
        """channel -> delivered, failed or pending."""
        rows = self._rows(
            "SELECT channel, delivered_at, failed_at FROM alert_delivery WHERE alert_id = ? ORDER BY channel", alert_id
        )
        return {str(c): "delivered" if d is not None else "failed" if f is not None else "pending" for c, d, f in rows}
