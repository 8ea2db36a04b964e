"""SqliteStore: the embedded default.

WAL journal, forward-only migrations (PRAGMA user_version), idempotent inserts
on each record's natural key (the first copy wins; a later copy with other
content is returned as a Conflict). ``footfall_rollup`` holds entrance in/out per
site and UTC quarter hour (every real timezone offset is a multiple of 15
minutes); it is updated in the same transaction as the raw row and only when
that row is new, so a redelivered record changes nothing. Footfall reads whole
quarter hours from the rollup and only the ragged edges of the range from raw
rows, which keeps a year of minute data from 30 devices to a few milliseconds.
``observed_rollup`` holds observed milliseconds per (site, device, UTC quarter
hour) of the line records (``storage.observed``): the batch's transaction
recomputes the quarters its new records touch; migration 3 fills it from the
records stored before it existed.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from collector.state_files import create_private
from collector.storage.base import (
    COUNTS_CONTENT,
    OCCUPANCY_CONTENT,
    Batch,
    Bucket,
    Conflict,
    DeadLetter,
    DeviceRecord,
    DwellSample,
    FootfallBucket,
    HealthSample,
    ObservationInterval,
    ObservedTime,
    SiteSeen,
    StoreError,
    StoreUnavailable,
    WriteListeners,
    ZoneInterval,
    differing,
)
from collector.storage.bookkeeping import FOOTFALL_ROLE, SLOT_S, DevicesSeen
from collector.storage.observed import LineObservation, ObservedQuarter, ranges_to_recompute, recompute
from wire import Audit, CameraState, DeviceState, Health

_MIGRATIONS: tuple[str | Callable[[sqlite3.Connection], None], ...] = (
    """
    CREATE TABLE line_counts (
        site TEXT NOT NULL, interval_start INTEGER NOT NULL, device TEXT NOT NULL, line TEXT NOT NULL,
        role TEXT NOT NULL, interval_s INTEGER NOT NULL, observed_s REAL NOT NULL,
        in_count INTEGER NOT NULL, out_count INTEGER NOT NULL,
        PRIMARY KEY (site, interval_start, device, line)
    ) WITHOUT ROWID;
    CREATE TABLE footfall_rollup (
        site TEXT NOT NULL, slot_start INTEGER NOT NULL,
        in_count INTEGER NOT NULL, out_count INTEGER NOT NULL,
        PRIMARY KEY (site, slot_start)
    ) WITHOUT ROWID;
    CREATE TABLE zone_occupancy (
        site TEXT NOT NULL, interval_start INTEGER NOT NULL, device TEXT NOT NULL, zone TEXT NOT NULL,
        role TEXT NOT NULL, gerai TEXT, interval_s INTEGER NOT NULL, observed_s REAL NOT NULL,
        mean_count REAL NOT NULL, max_count INTEGER NOT NULL, occupied_s REAL NOT NULL, visits INTEGER NOT NULL,
        PRIMARY KEY (site, interval_start, device, zone)
    ) WITHOUT ROWID;
    CREATE TABLE dwell_samples (
        site TEXT NOT NULL, interval_start INTEGER NOT NULL, device TEXT NOT NULL, zone TEXT NOT NULL,
        idx INTEGER NOT NULL, role TEXT NOT NULL, gerai TEXT, dwell_s REAL NOT NULL,
        PRIMARY KEY (site, interval_start, device, zone, idx)
    ) WITHOUT ROWID;
    CREATE TABLE health (
        site TEXT NOT NULL, device TEXT NOT NULL, ts REAL NOT NULL, message TEXT NOT NULL,
        PRIMARY KEY (site, device, ts)
    ) WITHOUT ROWID;
    CREATE TABLE devices (
        site TEXT NOT NULL, device TEXT NOT NULL,
        timezone TEXT, timezone_at REAL, last_seen REAL,
        state TEXT, state_at REAL, health_ts REAL,
        PRIMARY KEY (site, device)
    ) WITHOUT ROWID;
    CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        received_at REAL NOT NULL, topic TEXT NOT NULL, reason TEXT NOT NULL, payload_excerpt TEXT NOT NULL
    );
    """,
    # Accuracy audits (wire kind ``audit``): the whole message, one row per audit.
    """
    CREATE TABLE audits (
        site TEXT NOT NULL, device TEXT NOT NULL, audited_at REAL NOT NULL, message TEXT NOT NULL,
        PRIMARY KEY (site, device, audited_at)
    ) WITHOUT ROWID;
    """,
    # Observed time per (site, device, UTC quarter hour) of the line records (see storage.observed),
    # filled from the stored records in the same transaction: an upgraded store has it complete.
    lambda conn: _create_observed_rollup(conn),
)


def _epoch(value: datetime) -> float:
    return value.timestamp()


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class SqliteStore(WriteListeners):
    """One database file; a connection per thread (WAL lets readers run beside the writer)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        try:
            create_private(path)
            self._migrate(self._connection())
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open SQLite store {path}: {exc}") from exc

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a batch is acknowledged to the broker only after this
            # commit, so it must survive power loss, not just a crash.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(_MIGRATIONS):
            raise StoreError(f"database schema {version} is newer than this collector ({len(_MIGRATIONS)})")
        for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
            if isinstance(script, str):
                conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
                continue
            conn.execute("BEGIN IMMEDIATE")
            try:
                script(conn)
                conn.execute(f"PRAGMA user_version = {number}")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- writes ---------------------------------------------------------------

    def write(self, batch: Batch) -> list[Conflict]:
        try:
            with self._transaction() as conn:
                conflicts = self._write(conn, batch)
        except sqlite3.OperationalError as exc:
            # Locked, disk full, I/O error: transient from ingest's point of view.
            raise StoreUnavailable(f"SQLite write failed: {exc}") from exc
        except (sqlite3.Error, OverflowError, ValueError, TypeError) as exc:
            # A value SQLite cannot bind (an integer beyond 64 bits) refuses this batch, not the store.
            raise StoreError(f"SQLite write failed: {type(exc).__name__}: {exc}") from exc
        self._wrote(batch)
        return conflicts

    def _write(self, conn: sqlite3.Connection, batch: Batch) -> list[Conflict]:
        seen: DevicesSeen[float] = DevicesSeen()
        saw = seen.saw
        conflicts: list[Conflict] = []
        fresh_lines: dict[str, list[tuple[float, int]]] = {}

        for c in batch.counts:
            start = int(_epoch(c.interval_start))
            cur = conn.execute(
                "INSERT OR IGNORE INTO line_counts VALUES (?,?,?,?,?,?,?,?,?)",
                (c.site, start, c.device, c.line, c.role, c.interval_s, c.observed_s, c.in_count, c.out_count),
            )
            if cur.rowcount == 1:
                fresh_lines.setdefault(c.site, []).append((start, c.interval_s))
            if cur.rowcount == 1 and c.role == FOOTFALL_ROLE:
                conn.execute(
                    "INSERT INTO footfall_rollup VALUES (?,?,?,?) ON CONFLICT (site, slot_start) DO UPDATE SET "
                    "in_count = in_count + excluded.in_count, out_count = out_count + excluded.out_count",
                    (c.site, start - start % SLOT_S, c.in_count, c.out_count),
                )
            elif cur.rowcount == 0:
                row = conn.execute(
                    f"SELECT {', '.join(COUNTS_CONTENT)} FROM line_counts "  # noqa: S608
                    "WHERE site = ? AND interval_start = ? AND device = ? AND line = ?",
                    (c.site, start, c.device, c.line),
                ).fetchone()
                if differs := differing(dict(zip(COUNTS_CONTENT, row, strict=True)), c):
                    conflicts.append(Conflict(c, differs))
                    continue
            saw(c.site, c.device, start + c.interval_s, c.timezone)
        _refresh_observed(conn, fresh_lines)
        for z in batch.occupancy:
            start = int(_epoch(z.interval_start))
            cur = conn.execute(
                "INSERT OR IGNORE INTO zone_occupancy VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (z.site, start, z.device, z.zone, z.role, z.gerai, z.interval_s, z.observed_s,
                 z.mean_count, z.max_count, z.occupied_s, z.visits),
            )  # fmt: skip
            if cur.rowcount == 1 and z.dwells_s:
                conn.executemany(
                    "INSERT OR IGNORE INTO dwell_samples VALUES (?,?,?,?,?,?,?,?)",
                    [(z.site, start, z.device, z.zone, i, z.role, z.gerai, d) for i, d in enumerate(z.dwells_s)],
                )
            elif cur.rowcount == 0:
                key = (z.site, start, z.device, z.zone)
                row = conn.execute(
                    f"SELECT {', '.join(OCCUPANCY_CONTENT[:-1])} FROM zone_occupancy "  # noqa: S608
                    "WHERE site = ? AND interval_start = ? AND device = ? AND zone = ?",
                    key,
                ).fetchone()
                dwells = conn.execute(
                    "SELECT dwell_s FROM dwell_samples WHERE site = ? AND interval_start = ? AND device = ? "
                    "AND zone = ? ORDER BY idx",
                    key,
                ).fetchall()
                stored = dict(zip(OCCUPANCY_CONTENT, (*row, tuple(d for (d,) in dwells)), strict=True))
                if differs := differing(stored, z):
                    conflicts.append(Conflict(z, differs))
                    continue
            saw(z.site, z.device, start + z.interval_s, z.timezone)
        for h in batch.health:
            ts = _epoch(h.ts)
            cur = conn.execute(
                "INSERT OR IGNORE INTO health VALUES (?,?,?,?)", (h.site, h.device, ts, h.model_dump_json())
            )
            conn.execute(
                "INSERT INTO devices (site, device, health_ts) VALUES (?,?,?) ON CONFLICT (site, device) "
                "DO UPDATE SET health_ts = max(coalesce(health_ts, excluded.health_ts), excluded.health_ts)",
                (h.site, h.device, ts),
            )
            saw(h.site, h.device, ts, h.timezone)
        for s in batch.status:
            ts = _epoch(s.ts)
            conn.execute(
                "INSERT INTO devices (site, device, state, state_at) VALUES (?,?,?,?) ON CONFLICT (site, device) "
                "DO UPDATE SET state = excluded.state, state_at = excluded.state_at "
                "WHERE state_at IS NULL OR excluded.state_at >= state_at",
                (s.site, s.device, s.state.value, ts),
            )
            saw(s.site, s.device, ts, None)
        for (site, device), (at, timezone) in seen.items():
            conn.execute(
                "INSERT INTO devices (site, device, last_seen) VALUES (?,?,?) ON CONFLICT (site, device) "
                "DO UPDATE SET last_seen = max(coalesce(last_seen, excluded.last_seen), excluded.last_seen)",
                (site, device, at),
            )
            if timezone:
                conn.execute(
                    "UPDATE devices SET timezone = ?, timezone_at = ? "
                    "WHERE site = ? AND device = ? AND (timezone_at IS NULL OR timezone_at <= ?)",
                    (timezone, at, site, device, at),
                )
        conn.executemany(
            "INSERT OR IGNORE INTO audits VALUES (?,?,?,?)",
            [(a.site, a.device, _epoch(a.audited_at), a.model_dump_json()) for a in batch.audits],
        )
        conn.executemany(
            "INSERT INTO dead_letters (received_at, topic, reason, payload_excerpt) VALUES (?,?,?,?)",
            [(_epoch(d.received_at), d.topic, d.reason, d.payload_excerpt) for d in batch.dead_letters],
        )
        return conflicts

    # -- reads ----------------------------------------------------------------

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._connection().execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"SQLite read failed: {exc}") from exc
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite read failed: {exc}") from exc

    def footfall(
        self, sites: Sequence[str], start: datetime, end: datetime, bucket: Bucket, timezone: str
    ) -> list[FootfallBucket]:
        if not sites:
            return []
        tz = ZoneInfo(timezone)
        lo, hi = _epoch(start), _epoch(end)
        if hi <= lo:
            return []
        bounds = _local_bucket_starts(lo, hi, bucket, tz)
        marks = ",".join("?" * len(sites))
        # Whole quarter hours come from the rollup, summed per local bucket by
        # SQLite (a range join on the bucket bounds); the ragged edges of the
        # range from raw rows.
        slot_lo = math.ceil(lo / SLOT_S) * SLOT_S
        slot_hi = math.floor(hi / SLOT_S) * SLOT_S
        totals: dict[tuple[str, float], list[int]] = {}
        if slot_lo < slot_hi:
            ends = [*bounds[1:], math.inf]
            pairs = [[a, b] for a, b in zip(bounds, ends, strict=True) if b > slot_lo and a < slot_hi]
            pairs[-1][1] = slot_hi
            pairs[0][0] = max(pairs[0][0], slot_lo)
            rows = self._read(
                "WITH b AS (SELECT json_extract(value, '$[0]') AS lo, json_extract(value, '$[1]') AS hi "  # noqa: S608
                f"FROM json_each(?)) SELECT r.site, b.lo, sum(r.in_count), sum(r.out_count) FROM b "
                f"JOIN footfall_rollup r ON r.site IN ({marks}) AND r.slot_start >= b.lo AND r.slot_start < b.hi "
                "GROUP BY r.site, b.lo",
                (json.dumps(pairs), *sites),
            )
            for site, at, in_count, out_count in rows:
                key = (site, bounds[bisect_right(bounds, at) - 1])
                total = totals.setdefault(key, [0, 0])
                total[0] += in_count
                total[1] += out_count
            edges = [(lo, slot_lo), (slot_hi, hi)]
        else:
            edges = [(lo, hi)]
        for edge_lo, edge_hi in edges:
            if edge_lo >= edge_hi:
                continue
            rows = self._read(
                f"SELECT site, interval_start, sum(in_count), sum(out_count) FROM line_counts "  # noqa: S608
                f"WHERE site IN ({marks}) AND interval_start >= ? AND interval_start < ? AND role = ? "
                "GROUP BY site, interval_start",
                (*sites, edge_lo, edge_hi, FOOTFALL_ROLE),
            )
            for site, at, in_count, out_count in rows:
                key = (site, bounds[bisect_right(bounds, at) - 1])
                total = totals.setdefault(key, [0, 0])
                total[0] += in_count
                total[1] += out_count
        return [
            FootfallBucket(site=site, start=datetime.fromtimestamp(at, tz), in_count=v[0], out_count=v[1])
            for (site, at), v in sorted(totals.items(), key=lambda item: (item[0][1], item[0][0]))
        ]

    def zone_intervals(
        self, site: str, start: datetime, end: datetime, zones: Sequence[str] | None = None
    ) -> list[ZoneInterval]:
        sql, params = self._range_sql(site, start, end, zones)
        columns = (
            "device, zone, role, gerai, interval_start, interval_s, observed_s, mean_count, max_count, "
            "occupied_s, visits"
        )
        query = f"SELECT {columns} FROM zone_occupancy WHERE {sql} ORDER BY interval_start, device, zone"  # noqa: S608
        # A day of a big site is tens of thousands of rows: share the repeated
        # datetimes and names instead of building one per row.
        times = _TimeCache()
        names: dict[str, str] = {}
        return [
            ZoneInterval(site, names.setdefault(device, device), names.setdefault(zone, zone),
                         names.setdefault(role, role), gerai, times(at), interval_s, observed_s, mean_count,
                         max_count, occupied_s, visits)
            for device, zone, role, gerai, at, interval_s, observed_s, mean_count, max_count, occupied_s, visits
            in self._read(query, params)
        ]  # fmt: skip

    def dwell_samples(
        self, site: str, start: datetime, end: datetime, zones: Sequence[str] | None = None
    ) -> list[DwellSample]:
        sql, params = self._range_sql(site, start, end, zones)
        query = (
            f"SELECT device, zone, role, gerai, interval_start, dwell_s FROM dwell_samples WHERE {sql} "  # noqa: S608
            "ORDER BY interval_start, device, zone, idx"
        )
        times = _TimeCache()
        return [
            DwellSample(site, device, zone, role, gerai, times(at), dwell_s)
            for device, zone, role, gerai, at, dwell_s in self._read(query, params)
        ]

    @staticmethod
    def _range_sql(site: str, start: datetime, end: datetime, zones: Sequence[str] | None) -> tuple[str, list[object]]:
        sql = "site = ? AND interval_start >= ? AND interval_start < ?"
        params: list[object] = [site, _epoch(start), _epoch(end)]
        if zones is not None:
            sql += f" AND zone IN ({','.join('?' * len(zones))})"
            params += list(zones)
        return sql, params

    def sites(self) -> list[SiteSeen]:
        rows = self._read(
            "SELECT site, timezone FROM devices d WHERE timezone IS NOT NULL AND timezone_at = "
            "(SELECT max(timezone_at) FROM devices e WHERE e.site = d.site) GROUP BY site ORDER BY site"
        )
        return [SiteSeen(site=str(r[0]), timezone=str(r[1])) for r in rows]

    def devices(self) -> list[DeviceRecord]:
        rows = self._read(
            "SELECT d.site, d.device, d.timezone, d.last_seen, d.state, d.state_at, h.message FROM devices d "
            "LEFT JOIN health h ON h.site = d.site AND h.device = d.device AND h.ts = d.health_ts "
            "ORDER BY d.site, d.device"
        )
        return [
            DeviceRecord(
                site=str(r[0]),
                device=str(r[1]),
                timezone=None if r[2] is None else str(r[2]),
                last_seen=None if r[3] is None else _utc(float(r[3])),
                state=None if r[4] is None else DeviceState(str(r[4])),
                state_at=None if r[5] is None else _utc(float(r[5])),
                health=None if r[6] is None else Health.model_validate_json(str(r[6])),
            )
            for r in rows
        ]

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        rows = self._read(
            "SELECT received_at, topic, reason, payload_excerpt FROM dead_letters ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [
            DeadLetter(received_at=_utc(float(r[0])), topic=str(r[1]), reason=str(r[2]), payload_excerpt=str(r[3]))
            for r in rows
        ]

    def latest_audits(self) -> list[Audit]:
        rows = self._read(
            "SELECT message FROM audits a WHERE audited_at = "
            "(SELECT max(audited_at) FROM audits b WHERE b.site = a.site AND b.device = a.device) "
            "ORDER BY site, device"
        )
        return [Audit.model_validate_json(str(r[0])) for r in rows]

    def maintain(self) -> None:
        """Nothing deferred: the rollup is updated in the transaction of each write."""

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def observation_intervals(
        self, site: str, start: datetime, end: datetime, kind: Literal["counts", "occupancy"] | None = None
    ) -> list[ObservationInterval]:
        selects = {
            "counts": "SELECT interval_start, device, 'counts', line, role, NULL, interval_s, observed_s "
            "FROM line_counts WHERE site = ? AND interval_start >= ? AND interval_start < ?",
            "occupancy": "SELECT interval_start, device, 'occupancy', zone, role, gerai, interval_s, observed_s "
            "FROM zone_occupancy WHERE site = ? AND interval_start >= ? AND interval_start < ?",
        }
        chosen = [selects[kind]] if kind is not None else list(selects.values())
        rows = self._read(
            " UNION ALL ".join(chosen) + " ORDER BY 1, 2, 3, 4", (site, _epoch(start), _epoch(end)) * len(chosen)
        )
        times = _TimeCache()
        return [
            ObservationInterval(site, device, record_kind, name, role, gerai, times(at), interval_s, observed_s)
            for at, device, record_kind, name, role, gerai, interval_s, observed_s in rows
        ]

    def health_samples(self, site: str, start: datetime, end: datetime) -> list[HealthSample]:
        # The columns a coverage gap needs, straight from the stored JSON (no full parse per row).
        rows = self._read(
            "SELECT ts, device, json_extract(message, '$.camera_state'), json_extract(message, '$.fps'), "
            "json_extract(message, '$.last_frame_age_s') FROM health WHERE site = ? AND ts >= ? AND ts < ? "
            "ORDER BY ts, device",
            (site, _epoch(start), _epoch(end)),
        )
        return [
            HealthSample(site, device, _utc(float(ts)), CameraState(state), float(fps),
                         None if age is None else float(age))
            for ts, device, state, fps, age in rows
        ]  # fmt: skip

    def observed_time(self, site: str, ranges: Sequence[tuple[datetime, datetime]]) -> list[ObservedTime]:
        if not ranges:
            return []
        bounds = json.dumps([[int(_epoch(a)), int(_epoch(b))] for a, b in ranges])
        # One range join on the rollup's primary key; SQLite sums per range and device.
        rows = self._read(
            "WITH b AS (SELECT key AS i, json_extract(value, '$[0]') AS lo, json_extract(value, '$[1]') AS hi "
            "FROM json_each(?)) SELECT b.i, r.device, sum(r.observed_ms), max(r.heard), max(r.entrance) FROM b "
            "JOIN observed_rollup r ON r.site = ? AND r.slot_start >= b.lo AND r.slot_start < b.hi "
            "GROUP BY b.i, r.device HAVING sum(r.observed_ms) > 0 OR max(r.heard) > 0 ORDER BY b.i, r.device",
            (bounds, site),
        )
        return [ObservedTime(int(i), str(device), int(ms), bool(heard), bool(entrance))
                for i, device, ms, heard, entrance in rows]  # fmt: skip


def _create_observed_rollup(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE observed_rollup (site TEXT NOT NULL, slot_start INTEGER NOT NULL, device TEXT NOT NULL, "
        "observed_ms INTEGER NOT NULL, heard INTEGER NOT NULL, entrance INTEGER NOT NULL, reach INTEGER NOT NULL, "
        "PRIMARY KEY (site, slot_start, device)) WITHOUT ROWID"
    )
    backfill_observed(conn)


def backfill_observed(conn: sqlite3.Connection) -> None:
    """Recompute the observed-time rollup from every stored line record, a site-day at a time in
    time order (each day looks back at the rollup of the days before it)."""
    site_row = conn.execute("SELECT min(site) FROM line_counts").fetchone()
    while site_row and site_row[0] is not None:
        site = str(site_row[0])
        lo, hi = conn.execute(
            "SELECT min(interval_start), max(interval_start) FROM line_counts WHERE site = ?", (site,)
        ).fetchone()
        day = int(lo) // 86400 * 86400
        while day <= hi:
            _store_quarters(conn, site, *_recompute_site(conn, site, day, day + 86400))
            day += 86400
        site_row = conn.execute("SELECT min(site) FROM line_counts WHERE site > ?", (site,)).fetchone()


def _recompute_site(
    conn: sqlite3.Connection, site: str, lo: float, hi: float
) -> tuple[int, int, list[ObservedQuarter]]:
    def read(a: int, b: int) -> list[LineObservation]:
        return conn.execute(
            "SELECT interval_start, device, role, interval_s, observed_s FROM line_counts "
            "WHERE site = ? AND interval_start >= ? AND interval_start < ? ORDER BY interval_start, device, line",
            (site, a, b),
        ).fetchall()

    def reaching(a: int, b: int) -> int | None:
        row = conn.execute(
            "SELECT min(slot_start) FROM observed_rollup WHERE site = ? AND slot_start >= ? AND slot_start < ? "
            "AND reach > ?",
            (site, a, b, b),
        ).fetchone()
        return None if row[0] is None else int(row[0])

    return recompute(site, lo, hi, read, reaching)


def _store_quarters(
    conn: sqlite3.Connection, site: str, first: int, last: int, rows: Sequence[ObservedQuarter]
) -> None:
    conn.execute(
        "DELETE FROM observed_rollup WHERE site = ? AND slot_start >= ? AND slot_start < ?", (site, first, last)
    )
    conn.executemany(
        "INSERT INTO observed_rollup VALUES (?,?,?,?,?,?,?)",
        [(q.site, q.slot_start, q.device, q.observed_ms, q.heard, q.entrance, q.reach) for q in rows],
    )


def _refresh_observed(conn: sqlite3.Connection, fresh: dict[str, list[tuple[float, int]]]) -> None:
    """Recompute the quarters the batch's new line records touch (a repeat adds no row, so it
    changes nothing), in the batch's transaction."""
    for site, starts in fresh.items():
        for lo, hi in ranges_to_recompute(starts):
            _store_quarters(conn, site, *_recompute_site(conn, site, lo, hi))


class _TimeCache:
    def __init__(self) -> None:
        self._seen: dict[float, datetime] = {}

    def __call__(self, epoch: float) -> datetime:
        value = self._seen.get(epoch)
        if value is None:
            value = self._seen[epoch] = datetime.fromtimestamp(epoch, UTC)
        return value


def _local_bucket_starts(lo: float, hi: float, bucket: Bucket, tz: ZoneInfo) -> list[float]:
    """UTC epochs of the local hour or day starts from the bucket holding ``lo`` up to ``hi``."""
    if bucket == "day":
        day = datetime.fromtimestamp(lo, tz).date()
        last = datetime.fromtimestamp(hi, tz).date()
        starts: list[float] = []
        while day <= last:
            starts.append(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())
            day += timedelta(days=1)
        return starts
    # Local hours start on a UTC quarter hour (offsets are multiples of 15 min).
    first = datetime.fromtimestamp(lo, tz).replace(minute=0, second=0, microsecond=0).timestamp()
    starts = [first]
    at = math.floor(first / SLOT_S) * SLOT_S + SLOT_S
    while at < hi:
        if datetime.fromtimestamp(at, tz).minute == 0:
            starts.append(at)
        at += SLOT_S
    return starts
