"""On-disk outbox: every interval record is committed here before it is published.

Durability: WAL journal with ``synchronous=FULL``. In WAL mode NORMAL can lose
the last committed transactions on power loss (the database stays consistent,
but the newest interval records vanish); FULL fsyncs the WAL on every commit.
Records arrive once per interval and acks are batched, so the extra fsync costs
little and a power cut after ``put`` returns loses nothing.

Bounds: rows older than ``max_age_s`` (by the time they were stored) and the
oldest rows beyond ``max_bytes`` of payload are deleted; each deletion adds to
a ``dropped`` counter kept in the same database, so it survives restarts and is
reported in health.

Disk full or I/O error on ``put``: the records are kept in memory, ERROR is
logged, and every later ``put``/``flush_unsaved`` retries them first, oldest
first. They are not published until stored (write-ahead), they count in
``depth()``, and the in-memory backlog obeys ``max_bytes`` with drops counted.
If the process dies while records are only in memory, those records are lost;
the ERROR log says how many are at risk.

Restart within an interval: a stop flushes the current interval, and the next run
counts the rest of it under the same ``message_id``. The collector keeps the first
copy of a message_id, so that rest is not kept (a WARNING says so): the first
copy's ``observed_s`` already reports the rest of the interval as not observed.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from edge.config import ConfigError, OutboxConfig
from wire import Audit, LineCounts, ZoneOccupancy, encode

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    size_bytes INTEGER NOT NULL,
    stored_at_s REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS records_stored_at ON records (stored_at_s);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters (name, value) VALUES ('dropped', 0);
"""
# Rough per-row overhead (topic, id, index entries) so that max_bytes tracks the file size.
_ROW_OVERHEAD_BYTES = 128
_DROP_LOG_INTERVAL_S = 3600.0


def _create_private(path: Path) -> None:
    """Missing folders 0700, the database file 0600 (SQLite gives its -wal and -shm the same mode):
    the counts waiting for the broker are readable by the counter's account only."""
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def _start_s(record: LineCounts | ZoneOccupancy) -> int:
    return int(record.interval_start.timestamp())


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """One stored record waiting for its PUBACK."""

    id: int
    message_id: str
    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class _Unsaved:
    message_id: str
    topic: str
    payload: bytes
    stored_at_s: float


class SqliteOutbox:
    """Implements the pipeline's ``RecordSink``; thread-safe (one lock, one connection)."""

    def __init__(self, config: OutboxConfig, *, clock: Callable[[], float] = time.time) -> None:
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._unsaved: list[_Unsaved] = []
        self._unsaved_dropped = 0
        self._disk_error_logged = False
        self._last_drop_log_s = float("-inf")
        self._listeners: list[Callable[[], None]] = []
        path = config.path
        try:
            _create_private(path)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM counters WHERE name = 'last_interval_start_s'").fetchone()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"outbox.path: cannot open outbox database {path}: {exc}") from None
        # The interval the previous run stored last (at a stop: the one it flushed part of).
        self._previous_run_interval_s: int | None = int(row[0]) if row else None
        self._last_interval_s: int | None = None

    # -- RecordSink -------------------------------------------------------------------------

    def put(self, records: Sequence[LineCounts | ZoneOccupancy | Audit]) -> None:
        """Store records (idempotent on message_id); never raises for a full disk."""
        now = self._clock()
        kept: list[LineCounts | ZoneOccupancy | Audit] = []
        rest: list[LineCounts | ZoneOccupancy] = []
        for record in records:
            if isinstance(record, Audit) or _start_s(record) != self._previous_run_interval_s:
                kept.append(record)
            else:
                rest.append(record)
        if rest:
            log.warning(
                "outbox: interval %s was reported by the previous run up to its stop; the %d record(s) counted "
                "for the rest of it are not kept (the collector keeps the first copy of an interval)",
                rest[0].interval_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                len(rest),
            )
        new = [_Unsaved(r.message_id, str(r.topic), encode(r), now) for r in kept]
        starts = [_start_s(r) for r in records if not isinstance(r, Audit)]
        with self._lock:
            if starts:
                self._last_interval_s = max(starts)
            self._unsaved.extend(new)
            self._save_unsaved_locked(now)
        self._notify()

    # -- forwarder side ---------------------------------------------------------------------

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Called (without the lock held) after records were stored."""
        self._listeners.append(callback)

    def pending(self, limit: int, after_id: int = 0) -> list[OutboxRecord]:
        """Oldest stored records with id > after_id."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, message_id, topic, payload FROM records WHERE id > ? ORDER BY id LIMIT ?",
                (after_id, limit),
            ).fetchall()
        return [OutboxRecord(int(i), str(m), str(t), bytes(p)) for i, m, t, p in rows]

    def ack(self, ids: Sequence[int]) -> None:
        """Delete records the broker acknowledged; unknown ids (already dropped) are ignored."""
        if not ids:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("DELETE FROM records WHERE id = ?", [(i,) for i in ids])
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def flush_unsaved(self) -> None:
        """Retry records held in memory after a disk error (the forwarder calls this)."""
        with self._lock:
            if not self._unsaved:
                return
            self._save_unsaved_locked(self._clock())
            stored = not self._unsaved
        # Only news wakes the forwarder: on a full disk it retries at its idle pace instead of spinning.
        if stored:
            self._notify()

    def depth(self) -> int:
        """Records not yet acknowledged, including any held in memory."""
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM records").fetchone()
            return int(count) + len(self._unsaved)

    def dropped(self) -> int:
        """Records deleted unsent by the size or age bound, since the outbox was created."""
        with self._lock:
            (value,) = self._db.execute("SELECT value FROM counters WHERE name = 'dropped'").fetchone()
            return int(value) + self._unsaved_dropped

    def unsaved(self) -> int:
        with self._lock:
            return len(self._unsaved)

    def close(self) -> None:
        with self._lock:
            if self._unsaved:
                log.error(
                    "outbox: %d record(s) could not be written to %s and are lost",
                    len(self._unsaved),
                    self._config.path,
                )
            self._db.close()

    # -- internals --------------------------------------------------------------------------

    def _notify(self) -> None:
        for callback in self._listeners:
            callback()

    def _save_unsaved_locked(self, now: float) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT INTO records (message_id, topic, payload, size_bytes, stored_at_s) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(message_id) DO NOTHING",
                    [
                        (u.message_id, u.topic, u.payload, len(u.payload) + _ROW_OVERHEAD_BYTES, u.stored_at_s)
                        for u in self._unsaved
                    ],
                )
                if self._last_interval_s is not None:
                    self._db.execute(
                        "INSERT OR REPLACE INTO counters (name, value) VALUES ('last_interval_start_s', ?)",
                        (self._last_interval_s,),
                    )
                dropped = self._enforce_bounds_locked(now)
                if self._unsaved_dropped:
                    self._db.execute(
                        "UPDATE counters SET value = value + ? WHERE name = 'dropped'", (self._unsaved_dropped,)
                    )
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._hold_in_memory_locked(exc)
            return
        if self._disk_error_logged:
            log.warning("outbox: %s writable again; %d held record(s) stored", self._config.path, len(self._unsaved))
            self._disk_error_logged = False
        self._unsaved.clear()
        self._unsaved_dropped = 0
        if dropped:
            self._log_drop(dropped)

    def _enforce_bounds_locked(self, now: float) -> int:
        cutoff = now - self._config.max_age_s
        dropped = self._db.execute("DELETE FROM records WHERE stored_at_s < ?", (cutoff,)).rowcount
        (total,) = self._db.execute("SELECT COALESCE(SUM(size_bytes), 0) FROM records").fetchone()
        excess = int(total) - self._config.max_bytes
        if excess > 0:
            doomed: list[int] = []
            for row_id, size in self._db.execute("SELECT id, size_bytes FROM records ORDER BY id"):
                if excess <= 0:
                    break
                doomed.append(int(row_id))
                excess -= int(size)
            self._db.executemany("DELETE FROM records WHERE id = ?", [(i,) for i in doomed])
            dropped += len(doomed)
        if dropped:
            self._db.execute("UPDATE counters SET value = value + ? WHERE name = 'dropped'", (dropped,))
        return dropped

    def _hold_in_memory_locked(self, exc: sqlite3.Error) -> None:
        # Bound the memory backlog like the disk: oldest first, counted.
        size = sum(len(u.payload) + _ROW_OVERHEAD_BYTES for u in self._unsaved)
        while self._unsaved and size > self._config.max_bytes:
            size -= len(self._unsaved.pop(0).payload) + _ROW_OVERHEAD_BYTES
            self._unsaved_dropped += 1
        if not self._disk_error_logged:
            log.error(
                "outbox: cannot write %s (%s); %d record(s) held in memory and retried, lost if the process stops "
                "- free disk space or fix the outbox.path volume",
                self._config.path,
                exc,
                len(self._unsaved),
            )
            self._disk_error_logged = True

    def _log_drop(self, dropped: int) -> None:
        now = time.monotonic()
        if now - self._last_drop_log_s >= _DROP_LOG_INTERVAL_S:
            self._last_drop_log_s = now
            log.error(
                "outbox: dropped %d oldest record(s) to stay within outbox.max_bytes=%d / max_age_s=%d "
                "(broker unreachable for long?); total dropped %d",
                dropped,
                self._config.max_bytes,
                self._config.max_age_s,
                self._dropped_locked(),
            )

    def _dropped_locked(self) -> int:
        (value,) = self._db.execute("SELECT value FROM counters WHERE name = 'dropped'").fetchone()
        return int(value) + self._unsaved_dropped
