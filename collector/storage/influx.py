"""InfluxStore: InfluxDB over the v1 HTTP API that every InfluxDB answers
(1.x natively, 2.x through its v1 compatibility API, 3 Core).

Line protocol is built in collector.storage.influx_lines (with influxdb-client's
``Point``) and POSTed here to ``/write``; reads are InfluxQL on ``/query`` with
``tz()`` for local calendar days. These two modules are the only ones that
import httpx (this one) or influxdb_client (influx_lines).

One natural key per record, as in SQLite: (site, device, line or zone,
interval start to the second). Role and gerai are tags for the queries (and
Grafana) but not identity: before a write the store reads back the keys of
the batch that already exist (one query; dwells only for keys that exist) and
writes only new keys, so the first copy wins; a copy with other content is
returned as a Conflict. Measurements (tags; fields):
- ``line_counts`` (site, device, line, role; in_count, out_count, interval_s, observed_s) at interval_start
- ``zone_occupancy`` (site, device, zone, role[, gerai]; mean_count, max_count, occupied_s, visits,
  interval_s, observed_s) at interval_start
- ``dwell`` (site, device, zone, role[, gerai]; dwell_s) at interval_start + index ns
- ``health`` (site, device; numbers plus ``message``, the JSON record) at ts
- ``status`` (site, device; state) at ts
- ``device_seen`` (site, device; seen[, timezone]) at the latest event time of a device in a batch
- ``dead_letters`` (no tags; topic, reason, payload_excerpt) at received_at (+ index ns)
- ``footfall_15m`` (site; in_count, out_count) at each UTC quarter hour: entrance sums
  recomputed from ``line_counts`` after every write, so a year of footfall reads
  35,040 points a site instead of millions
- ``observed_day`` (site, device; running totals of observed ms, heard and entrance quarters over
  the day's 96 quarter hours, and each quarter's reach) at each UTC day, in the retention policy
  ``rollup``: the observed-time rollup (``storage.observed``, ``storage.influx_observed``),
  recomputed off the write path for the quarters each write touched (``maintain()``, and any
  store's ``observed_time()`` before it answers); the first ``maintain()`` fills it from older
  points (a ``rollup_state`` point ``observed`` marks that done)
- ``observed_dirty`` (site, writer; lo, hi) at the writer's clock: a write's note of the range of
  line records the rollup has to recompute, stored in the records' own /write body; readers
  recompute markers newer than ``rollup_state``'s ``observed_cursor`` less DIRTY_MARGIN_S
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx

from collector.config import InfluxStoreSettings
from collector.storage import influx_observed
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
from collector.storage.bookkeeping import FOOTFALL_ROLE, SLOT_S
from collector.storage.influx_lines import NS as _NS
from collector.storage.influx_lines import ROLLUP, batch_points, rollup_line
from collector.storage.influx_lines import ns as _ns
from collector.storage.influx_lines import start_ns as _start_ns
from collector.storage.observed import LineObservation, ranges_to_recompute, recompute
from wire import Audit, CameraState, DeviceState, Health, LineCounts, ZoneOccupancy
from wire.messages import MAX_DWELLS_PER_RECORD

logger = logging.getLogger(__name__)

SLOT_NS = SLOT_S * _NS
ROLLUP_SETTLE_S = 5.0
# Markers of the last DIRTY_MARGIN_S before the newest one recomputed are read again: a collector's
# marker carries its own clock and is stored when its /write returns, so one may land behind another
# collector's newer one. Recomputing twice is harmless; skipping a marker leaves the rollup stale.
DIRTY_MARGIN_S = 300
# How often an idle maintain() looks for other collectors' markers (its own it recomputes at once).
DIRTY_POLL_S = 10.0
# Recomputed markers older than this (before the cursor) are deleted by maintain(), at most this often.
DIRTY_KEEP_S = 86400
# Existence checks read whole time ranges; a gap longer than this starts another range.
_CLUSTER_GAP_NS = 3600 * _NS

# measurement, site, device, line or zone, interval start in ns (whole seconds)
RecordKey = tuple[str, str, str, str, int]


def _from_ns(value: int) -> datetime:
    seconds, rest = divmod(int(value), _NS)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000)


def _literal(value: str) -> str:
    """An InfluxQL string literal (queries are not line protocol; Point does not apply)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _rfc3339(value: datetime) -> str:
    return _literal(value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def _any_of(tag: str, values: Iterable[str]) -> str:
    return "(" + " OR ".join(f'"{tag}" = {_literal(v)}' for v in values) + ")"


def record_key(record: LineCounts | ZoneOccupancy) -> RecordKey:
    if isinstance(record, LineCounts):
        return ("line_counts", record.site, record.device, record.line, _start_ns(record))
    return ("zone_occupancy", record.site, record.device, record.zone, _start_ns(record))


def first_copies(
    batch: Batch, stored: Mapping[RecordKey, dict[str, object]]
) -> tuple[Batch, list[LineCounts | ZoneOccupancy], list[Conflict]]:
    """Split a batch against the stored copies of its keys (pure): the batch of new
    records (plus its health, status and dead letters), the copies identical to a
    stored or earlier one (no new points, but they count as seen, as in SQLite) and
    the conflicts. Within the batch the first copy of a key wins, as in SQLite's
    ordered inserts."""
    known = dict(stored)
    repeats: list[LineCounts | ZoneOccupancy] = []
    conflicts: list[Conflict] = []

    def new(record: LineCounts | ZoneOccupancy) -> bool:
        key = record_key(record)
        previous = known.get(key)
        if previous is None:
            names = COUNTS_CONTENT if isinstance(record, LineCounts) else OCCUPANCY_CONTENT
            known[key] = {name: getattr(record, name) for name in names}
            return True
        if differs := differing(previous, record):
            conflicts.append(Conflict(record, differs))
        else:
            repeats.append(record)
        return False

    counts = [c for c in batch.counts if new(c)]
    occupancy = [z for z in batch.occupancy if new(z)]
    fresh = dataclasses.replace(batch, counts=counts, occupancy=occupancy)  # the rest passes as it came
    return fresh, repeats, conflicts


def _clusters(times: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted times as [first, last] ranges split at gaps longer than _CLUSTER_GAP_NS."""
    ranges: list[list[int]] = []
    for at in sorted(set(times)):
        if ranges and at - ranges[-1][1] <= _CLUSTER_GAP_NS:
            ranges[-1][1] = at
        else:
            ranges.append([at, at])
    return [(lo, hi) for lo, hi in ranges]


class InfluxStore(WriteListeners):
    def __init__(self, settings: InfluxStoreSettings, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__()
        self.settings = settings
        headers = {}
        auth: httpx.BasicAuth | None = None
        if settings.token is not None:
            headers["Authorization"] = f"Token {settings.token.get_secret_value()}"
        elif settings.username:
            password = settings.password.get_secret_value() if settings.password else ""
            auth = httpx.BasicAuth(settings.username, password)
        self._client = httpx.Client(
            base_url=settings.base_url, headers=headers, auth=auth, timeout=settings.timeout_s, transport=transport
        )
        self._database_ready = False
        self._due: dict[tuple[str, int], float] = {}
        self._due_lock = threading.Lock()
        self._observed_due: dict[tuple[str, int, int], float] = {}
        # Dirty markers (influx_observed.DIRTY): who wrote them, the newest one recomputed (ns; None
        # until read from rollup_state), the ones recomputed inside the margin, whether this store
        # wrote any since its last catch-up, and when maintain() last looked or deleted.
        self._writer = uuid.uuid4().hex[:12]
        self._observed_lock = threading.Lock()
        self._dirty_cursor: int | None = None
        self._dirty_seen: set[influx_observed.MarkerKey] = set()
        self._dirty_written = False
        self._dirty_polled = -math.inf
        self._dirty_pruned = -math.inf
        self._observed_backfilled = False
        self._rollup_rp: str | None = None  # the observed-time rollup's retention policy, once created
        # Created lazily: the collector starts (and queues in the broker) while InfluxDB is down.
        try:
            self._ensure_database()
        except StoreUnavailable as exc:
            logger.warning("InfluxDB not reachable yet (%s); will retry on first write", exc)

    # -- HTTP -------------------------------------------------------------------

    def _post(self, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.post(path, **kwargs)
        except httpx.TransportError as exc:
            raise StoreUnavailable(f"InfluxDB at {self.settings.describe()} unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise StoreUnavailable(f"InfluxDB {path} answered {response.status_code}: {response.text[:200]}")
        if response.status_code in (401, 403):
            # A human must fix credentials; ingest keeps the batch and retries.
            raise StoreUnavailable(f"InfluxDB {path} refused our credentials ({response.status_code})")
        return response

    def _ensure_database(self) -> None:
        if self._database_ready:
            return
        response = self._post("/query", data={"q": f'CREATE DATABASE "{self.settings.database}"'})
        if response.status_code >= 400:
            # InfluxDB 2.x/3 may refuse DDL over v1; the DBRP mapping / database must exist then.
            logger.warning("could not create database %s (%s); assuming it exists", self.settings.database,
                           response.status_code)  # fmt: skip
        self._create_rollup_policy()
        self._database_ready = True

    def _query(self, q: str) -> list[dict[str, Any]]:
        """Run InfluxQL; return all series of all statements, chunks merged."""
        response = self._post(
            "/query",
            data={"q": q, "db": self.settings.database, "epoch": "ns", "chunked": "true", "chunk_size": "10000"},
        )
        if response.status_code >= 400:
            raise StoreError(f"InfluxQL failed ({response.status_code}): {response.text[:300]}")
        series: list[dict[str, Any]] = []
        for line in response.text.splitlines():
            if not line.strip():
                continue
            for result in json.loads(line).get("results", []):
                if "error" in result:
                    raise StoreError(f"InfluxQL failed: {result['error']}")
                series.extend(result.get("series", []))
        return series

    # -- writes ---------------------------------------------------------------

    def write(self, batch: Batch) -> list[Conflict]:
        fresh, repeats, conflicts = first_copies(batch, self._stored([*batch.counts, *batch.occupancy]))
        lines = [p.to_line_protocol() for p in batch_points(fresh, repeats)]
        # The observed-time rollup is recomputed off the write path (maintain(), or the next
        # observed_time() of any process); what it must recompute is a dirty marker in the same
        # body as the records, so the records are never stored without it. Repeats too: cheap,
        # and a redelivered copy then marks its range again whatever became of the first marker.
        lines += self._dirty_lines([c for c in [*fresh.counts, *repeats] if isinstance(c, LineCounts)])
        if lines:
            self.write_lines("\n".join(lines))
            self._dirty_written = True
        # Repeats too: a collector killed between its raw write and its rollup leaves the
        # slot stale until the redelivered copy recomputes it.
        touched = {(c.site, _start_ns(c) // SLOT_NS * SLOT_NS) for c in [*fresh.counts, *repeats]
                   if isinstance(c, LineCounts) and c.role == FOOTFALL_ROLE}  # fmt: skip
        # Part of the write: the batch is acknowledged only once its rollup is current.
        self._settle(touched)
        self._wrote(batch)
        return conflicts

    def _dirty_lines(self, records: Sequence[LineCounts]) -> list[str]:
        starts: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for c in records:
            starts[c.site].append((_start_ns(c) // _NS, c.interval_s))
        now = time.time_ns()
        ranges = [(site, lo, hi) for site, mine in sorted(starts.items()) for lo, hi in ranges_to_recompute(mine)]
        return [influx_observed.dirty_line(site, self._writer, lo, hi, now + index)
                for index, (site, lo, hi) in enumerate(ranges)]  # fmt: skip

    def _stored(self, records: Sequence[LineCounts | ZoneOccupancy]) -> dict[RecordKey, dict[str, object]]:
        """Content of the keys of ``records`` that are stored already (one query, plus
        one for the dwells of stored zone records)."""
        wanted = {record_key(r) for r in records}
        if not wanted:
            return {}
        statements = []
        ranges: dict[tuple[str, str], list[int]] = defaultdict(list)
        for measurement, site, _, _, at in wanted:
            ranges[(measurement, site)].append(at)
        for (measurement, site), times in sorted(ranges.items()):
            if measurement == "line_counts":
                fields, group = '"interval_s", "observed_s", "in_count", "out_count"', '"line", "role"'
            else:
                fields = '"interval_s", "observed_s", "mean_count", "max_count", "occupied_s", "visits"'
                group = '"zone", "role", "gerai"'
            statements += [
                f'SELECT {fields} FROM "{measurement}" WHERE "site" = {_literal(site)} '  # noqa: S608
                f'AND time >= {lo} AND time <= {hi} GROUP BY "site", "device", {group}'
                for lo, hi in _clusters(times)
            ]
        self._ensure_database()
        try:
            answer = self._query("; ".join(statements))
        except StoreError as exc:
            if "database not found" not in str(exc):
                raise
            answer = []  # dropped under us: nothing is stored, and write_lines creates it again
        found: dict[RecordKey, dict[str, object]] = {}
        for series in answer:
            tags = series["tags"]
            zone = series["name"] == "zone_occupancy"
            for row in series.get("values", []):
                key = (series["name"], tags["site"], tags["device"], tags["zone" if zone else "line"], int(row[0]))
                if key not in wanted or key in found:
                    continue
                content: dict[str, object] = {"role": tags["role"]}
                if zone:
                    content["gerai"] = tags.get("gerai") or None
                content.update(zip(series["columns"][1:], row[1:], strict=True))
                found[key] = content
        zones = [key for key in found if key[0] == "zone_occupancy"]
        if zones:
            self._add_dwells(zones, found)
        return found

    def _add_dwells(self, keys: Sequence[RecordKey], found: dict[RecordKey, dict[str, object]]) -> None:
        ranges: dict[str, list[int]] = defaultdict(list)
        for _, site, _, _, at in keys:
            ranges[site].append(at)
        statements = [
            f'SELECT "dwell_s" FROM "dwell" WHERE "site" = {_literal(site)} AND time >= {lo} '  # noqa: S608
            f'AND time < {hi + MAX_DWELLS_PER_RECORD} GROUP BY "site", "device", "zone"'
            for site, times in sorted(ranges.items())
            for lo, hi in _clusters(times)
        ]
        dwells: dict[RecordKey, list[tuple[int, float]]] = defaultdict(list)
        for series in self._query("; ".join(statements)):
            tags = series["tags"]
            for at, dwell_s in series.get("values", []):
                start = int(at) // _NS * _NS
                dwells[("zone_occupancy", tags["site"], tags["device"], tags["zone"], start)].append((int(at), dwell_s))
        for key in keys:
            found[key]["dwells_s"] = tuple(d for _, d in sorted(dwells.get(key, [])))

    def maintain(self) -> None:
        """Recompute the rollup slots whose settle time has come and the observed-time ranges that
        dirty markers name (this store's at once, other collectors' every DIRTY_POLL_S; ingest calls
        this when idle); on the first call, fill the observed-time rollup from records stored before
        it existed."""
        self._settle(set())
        now = time.monotonic()
        if self._dirty_written or now - self._dirty_polled >= DIRTY_POLL_S:
            self._dirty_written = False
            self._dirty_polled = now
            self._catch_up_observed(self._query(self._dirty_statement()))
        self._settle_observed()
        if not self._observed_backfilled:
            self.backfill_observed()
        if now - self._dirty_pruned >= DIRTY_KEEP_S / 24 and self._dirty_cursor:
            self._dirty_pruned = now
            # Only markers this store has recomputed (or that were older than its margin when it
            # started): a reader behind it finds the rollup current without them.
            self._query(f'DELETE FROM "{influx_observed.DIRTY}" '  # noqa: S608
                        f"WHERE time < {self._dirty_cursor - (DIRTY_MARGIN_S + DIRTY_KEEP_S) * _NS}")  # fmt: skip

    def _settle(self, touched: set[tuple[str, int]]) -> None:
        """Recompute ``touched`` now and again ROLLUP_SETTLE_S later (with whatever is
        due by then, in the same query), so two collectors that recomputed one
        slot at the same moment converge."""
        now = time.monotonic()
        with self._due_lock:
            due = {key for key, at in self._due.items() if at <= now}
        if not (touched or due):
            return
        self._refresh_rollup(touched | due)
        with self._due_lock:
            for key in due:
                if self._due.get(key, math.inf) <= now:
                    del self._due[key]
            for key in touched:
                self._due[key] = now + ROLLUP_SETTLE_S

    def _refresh_rollup(self, keys: set[tuple[str, int]]) -> None:
        """Recompute entrance in/out of (site, UTC quarter hour) slots from raw points.

        Recomputing (never adding) keeps it idempotent under redelivery; the
        second pass ROLLUP_SETTLE_S later repairs a slot that two collectors of
        one shared subscription recomputed concurrently."""
        sites = sorted({site for site, _ in keys})
        lo = min(slot for _, slot in keys)
        hi = max(slot for _, slot in keys) + SLOT_NS
        series = self._query(
            f'SELECT sum("in_count"), sum("out_count") FROM "line_counts" '  # noqa: S608
            f'WHERE "role" = {_literal(FOOTFALL_ROLE)} AND {_any_of("site", sites)} '
            f'AND time >= {lo} AND time < {hi} GROUP BY time(15m), "site" fill(none)'
        )
        lines = [
            rollup_line(s["tags"]["site"], int(row[0]), int(row[1]), int(row[2]))
            for s in series
            for row in s.get("values", [])
            if row[1] is not None and (s["tags"]["site"], int(row[0])) in keys
        ]  # fmt: skip
        if lines:
            self.write_lines("\n".join(lines))

    def write_lines(self, body: str, retention_policy: str | None = None) -> None:
        self._ensure_database()
        params = {"db": self.settings.database, "precision": "ns"}
        if retention_policy is not None:
            params["rp"] = retention_policy
        response = self._post("/write", params=params, content=body.encode())
        if response.status_code == 404 and "database not found" in response.text:
            self._database_ready = False
            self._ensure_database()
            response = self._post("/write", params=params, content=body.encode())
        if response.status_code != 204:
            raise StoreError(f"InfluxDB rejected a write ({response.status_code}): {response.text[:300]}")

    # -- reads ----------------------------------------------------------------

    def footfall(
        self, sites: Sequence[str], start: datetime, end: datetime, bucket: Bucket, timezone: str
    ) -> list[FootfallBucket]:
        if not sites or end <= start:
            return []
        tz = ZoneInfo(timezone)
        group = f'GROUP BY time({"1h" if bucket == "hour" else "1d"}), "site" fill(none) tz({_literal(timezone)})'
        where = f"{_any_of('site', sites)}"
        lo, hi = _ns(start), _ns(end)
        # Whole quarter hours from the rollup, the ragged ends from raw points.
        slot_lo, slot_hi = -(-lo // SLOT_NS) * SLOT_NS, hi // SLOT_NS * SLOT_NS
        statements = []
        if slot_lo < slot_hi:
            statements.append(
                f'SELECT sum("in_count"), sum("out_count") FROM "{ROLLUP}" '  # noqa: S608
                f"WHERE {where} AND time >= {slot_lo} AND time < {slot_hi} {group}"
            )
            edges = [(lo, slot_lo), (slot_hi, hi)]
        else:
            edges = [(lo, hi)]
        statements += [
            f'SELECT sum("in_count"), sum("out_count") FROM "line_counts" '  # noqa: S608
            f'WHERE "role" = {_literal(FOOTFALL_ROLE)} AND {where} AND time >= {a} AND time < {b} {group}'
            for a, b in edges
            if a < b
        ]
        totals: dict[tuple[int, str], list[int]] = {}
        for s in self._query("; ".join(statements)):
            for row in s.get("values", []):
                if row[1] is None:
                    continue
                total = totals.setdefault((int(row[0]), s["tags"]["site"]), [0, 0])
                total[0] += int(row[1])
                total[1] += int(row[2])
        return [
            FootfallBucket(site=site, start=_from_ns(at).astimezone(tz), in_count=v[0], out_count=v[1])
            for (at, site), v in sorted(totals.items())
        ]

    def _series_in_range(
        self, measurement: str, fields: str, site: str, start: datetime, end: datetime, zones: Sequence[str] | None
    ) -> list[dict[str, Any]]:
        """Points of one site in [start, end), grouped by series: tags come once
        per series instead of once per row (half the JSON for a day of zones)."""
        if zones is not None and not zones:
            return []
        q = (
            f'SELECT {fields} FROM "{measurement}" WHERE "site" = {_literal(site)} '  # noqa: S608
            f"AND time >= {_ns(start)} AND time < {_ns(end)}"
        )
        if zones is not None:
            q += f" AND {_any_of('zone', zones)}"
        return self._query(q + ' GROUP BY "device", "zone", "role", "gerai"')

    def zone_intervals(
        self, site: str, start: datetime, end: datetime, zones: Sequence[str] | None = None
    ) -> list[ZoneInterval]:
        fields = '"interval_s", "observed_s", "mean_count", "max_count", "occupied_s", "visits"'
        times: dict[int, datetime] = {}
        out = []
        for s in self._series_in_range("zone_occupancy", fields, site, start, end, zones):
            tags = s["tags"]
            device, zone, role, gerai = tags["device"], tags["zone"], tags["role"], tags.get("gerai") or None
            for at, interval_s, observed_s, mean_count, max_count, occupied_s, visits in s.get("values", []):
                if None in (interval_s, observed_s, mean_count, max_count, occupied_s, visits):
                    # InfluxDB stores each field separately: a query racing a write can see a point
                    # with some fields still missing. It is complete on the next read.
                    continue
                when = times.get(at)
                if when is None:
                    when = times[at] = _from_ns(at)
                out.append(ZoneInterval(site, device, zone, role, gerai, when, int(interval_s), float(observed_s),
                                        float(mean_count), int(max_count), float(occupied_s), int(visits)))  # fmt: skip
        out.sort(key=lambda z: (z.interval_start, z.device, z.zone))
        return out

    def dwell_samples(
        self, site: str, start: datetime, end: datetime, zones: Sequence[str] | None = None
    ) -> list[DwellSample]:
        keyed = []
        for s in self._series_in_range("dwell", '"dwell_s"', site, start, end, zones):
            tags = s["tags"]
            device, zone, role, gerai = tags["device"], tags["zone"], tags["role"], tags.get("gerai") or None
            for at, dwell_s in s.get("values", []):
                seconds, index = divmod(int(at), _NS)
                sample = DwellSample(site, device, zone, role, gerai, datetime.fromtimestamp(seconds, UTC),
                                     float(dwell_s))  # fmt: skip
                keyed.append(((seconds, device, zone, index), sample))
        keyed.sort(key=lambda item: item[0])
        return [sample for _, sample in keyed]

    @staticmethod
    def _rows(series: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [dict(zip(s["columns"], row, strict=True)) for s in series for row in s.get("values", [])]

    def _last_by_device(self, field: str, measurement: str) -> dict[tuple[str, str], tuple[int, Any]]:
        series = self._query(f'SELECT last("{field}") FROM "{measurement}" GROUP BY "site", "device"')  # noqa: S608
        return {
            (s["tags"]["site"], s["tags"]["device"]): (int(s["values"][0][0]), s["values"][0][1])
            for s in series
            if s.get("values")
        }

    def sites(self) -> list[SiteSeen]:
        newest: dict[str, tuple[int, str]] = {}
        for (site, _), (at, timezone) in self._last_by_device("timezone", "device_seen").items():
            if site not in newest or at > newest[site][0]:
                newest[site] = (at, str(timezone))
        return [SiteSeen(site=site, timezone=newest[site][1]) for site in sorted(newest)]

    def devices(self) -> list[DeviceRecord]:
        seen = self._last_by_device("seen", "device_seen")
        zones = self._last_by_device("timezone", "device_seen")
        states = self._last_by_device("state", "status")
        health = self._last_by_device("message", "health")
        keys = sorted(set(seen) | set(states) | set(health))
        return [
            DeviceRecord(
                site=site,
                device=device,
                timezone=str(zones[(site, device)][1]) if (site, device) in zones else None,
                last_seen=_from_ns(seen[(site, device)][0]) if (site, device) in seen else None,
                state=DeviceState(states[(site, device)][1]) if (site, device) in states else None,
                state_at=_from_ns(states[(site, device)][0]) if (site, device) in states else None,
                health=Health.model_validate_json(health[(site, device)][1]) if (site, device) in health else None,
            )
            for site, device in keys
        ]

    def latest_audits(self) -> list[Audit]:
        latest = self._last_by_device("message", "audit")
        return [Audit.model_validate_json(str(latest[key][1])) for key in sorted(latest)]

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        series = self._query(f'SELECT "topic", "reason", "payload_excerpt" FROM "dead_letters" '  # noqa: S608
                             f"ORDER BY time DESC LIMIT {int(limit)}")  # fmt: skip
        return [
            DeadLetter(
                received_at=_from_ns(r["time"]),
                topic=r["topic"],
                reason=r["reason"],
                payload_excerpt=r["payload_excerpt"],
            )
            for r in self._rows(series)
        ]

    def close(self) -> None:
        self._client.close()

    def observation_intervals(
        self, site: str, start: datetime, end: datetime, kind: Literal["counts", "occupancy"] | None = None
    ) -> list[ObservationInterval]:
        # "role" and "gerai" are read in the SELECT list, not grouped by: InfluxQL returns a tag
        # named there as a column too. Both the tag and the field of each name are read, so the
        # query holds while they are tags, once they are fields, and across a database holding both.
        where = f'WHERE "site" = {_literal(site)} AND time >= {_ns(start)} AND time < {_ns(end)}'
        roles = '"role"::tag AS "role_tag", "role"::field AS "role_field"'
        gerais = '"gerai"::tag AS "gerai_tag", "gerai"::field AS "gerai_field"'
        statements = {
            "counts": f'SELECT "interval_s", "observed_s", {roles} FROM "line_counts" {where} '  # noqa: S608
            'GROUP BY "device", "line"',
            "occupancy": f'SELECT "interval_s", "observed_s", {roles}, {gerais} FROM "zone_occupancy" {where} '  # noqa: S608
            'GROUP BY "device", "zone"',
        }
        series = self._query(statements[kind] if kind is not None else "; ".join(statements.values()))
        times: dict[int, datetime] = {}
        out = []
        for s in series:
            tags = s["tags"]
            record_kind: Literal["counts", "occupancy"] = "counts" if "line" in tags else "occupancy"
            device, name = tags["device"], tags["line"] if record_kind == "counts" else tags["zone"]
            columns = s["columns"]
            for row in s.get("values", []):
                value = dict(zip(columns, row, strict=True))
                role = value.get("role_field") or value.get("role_tag")
                if value["interval_s"] is None or value["observed_s"] is None or not role:
                    continue  # a point still being written (fields land separately); complete on the next read
                at = int(value["time"])
                when = times.get(at)
                if when is None:
                    when = times[at] = _from_ns(at)
                gerai = value.get("gerai_field") or value.get("gerai_tag") or None
                out.append(ObservationInterval(site, device, record_kind, name, role, gerai, when,
                                               int(value["interval_s"]), float(value["observed_s"])))  # fmt: skip
        out.sort(key=lambda o: (o.interval_start, o.device, o.kind, o.name))
        return out

    def health_samples(self, site: str, start: datetime, end: datetime) -> list[HealthSample]:
        series = self._query(
            f'SELECT "camera_state", "fps", "last_frame_age_s" FROM "health" WHERE "site" = {_literal(site)} '  # noqa: S608
            f'AND time >= {_ns(start)} AND time < {_ns(end)} GROUP BY "device"'
        )
        out = [
            HealthSample(site, s["tags"]["device"], _from_ns(at), CameraState(state), float(fps),
                         None if age is None else float(age))
            for s in series
            for at, state, fps, age in s.get("values", [])
            if state is not None and fps is not None
        ]  # fmt: skip
        out.sort(key=lambda h: (h.ts, h.device))
        return out

    # -- observed-time rollup (storage.observed, kept as influx_observed's day points) -------------

    def _create_rollup_policy(self) -> None:
        """Year-long shards for the rollup; without the right to create them it shares the default policy."""
        database = self.settings.database.replace('"', '\\"')
        response = self._post(
            "/query",
            data={
                "q": f'CREATE RETENTION POLICY "{influx_observed.RETENTION_POLICY}" '
                f'ON "{database}" DURATION INF REPLICATION 1 SHARD DURATION 52w'
            },
        )
        try:
            failed = response.status_code >= 400 or any("error" in r for r in response.json().get("results", []))
        except ValueError:
            failed = True
        if failed:
            logger.warning("could not create retention policy %s (%s); the observed-time rollup uses the default",
                           influx_observed.RETENTION_POLICY, response.text[:200])  # fmt: skip
        self._rollup_rp = None if failed else influx_observed.RETENTION_POLICY

    def _observed_source(self) -> str:
        self._ensure_database()
        if self._rollup_rp is None:
            return f'"{influx_observed.MEASUREMENT}"'
        return f'"{self._rollup_rp}"."{influx_observed.MEASUREMENT}"'

    def observed_time(self, site: str, ranges: Sequence[tuple[datetime, datetime]]) -> list[ObservedTime]:
        if not ranges:
            return []
        # A range of at most a day may still cross a UTC midnight (a local evening); the day points
        # answer one UTC day each, so such a range is asked in two pieces and summed back.
        pieces: list[tuple[datetime, datetime]] = []
        owners: list[int] = []
        for index, (start, end) in enumerate(ranges):
            while start < end:
                midnight = datetime.fromtimestamp((int(start.timestamp()) // influx_observed.DAY_S + 1)
                                                  * influx_observed.DAY_S, UTC)  # fmt: skip
                pieces.append((start, min(end, midnight)))
                owners.append(index)
                start = min(end, midnight)
        statement, wanted = influx_observed.observed_statement(
            self._observed_source(), f'"site" = {_literal(site)}', pieces
        )
        # Read-your-writes, across processes too: the markers since the cursor travel with the read;
        # only when one of them is new is the rollup brought up to date and read again.
        series = self._query(f"{self._dirty_statement()}; {statement}")
        if self._catch_up_observed(series):
            series = self._query(statement)
        answer = influx_observed.observed_answer([s for s in series if s["name"] == influx_observed.MEASUREMENT],
                                                 wanted)  # fmt: skip
        summed: dict[tuple[int, str], ObservedTime] = {}
        for item in answer:
            key = (owners[item.index], item.device)
            prior = summed.get(key)
            if prior is not None:
                item = ObservedTime(0, item.device, prior.observed_ms + item.observed_ms, prior.heard or item.heard,
                                    prior.entrance or item.entrance)  # fmt: skip
            summed[key] = dataclasses.replace(item, index=key[0])
        return [summed[key] for key in sorted(summed)]

    def _dirty_statement(self) -> str:
        """The markers from the cursor (less the margin) on; on first use the cursor is read from
        ``rollup_state`` (0 without one: every stored marker)."""
        if self._dirty_cursor is None:
            self._ensure_database()
            found = self._query('SELECT max("observed_cursor") FROM "rollup_state"')
            stored = found[0]["values"][0][1] if found else None
            with self._observed_lock:
                if self._dirty_cursor is None:
                    self._dirty_cursor = int(stored or 0)
        return influx_observed.dirty_statement(self._dirty_cursor - DIRTY_MARGIN_S * _NS)

    def _catch_up_observed(self, series: Sequence[dict[str, Any]]) -> bool:
        """Recompute the ranges of the markers in ``series`` not recomputed yet (united per site),
        then move the cursor, in memory and in ``rollup_state``; True if anything was recomputed."""
        with self._observed_lock:
            markers = influx_observed.dirty_markers(series)
            new = {key: marker for key, marker in markers.items() if key not in self._dirty_seen}
            if not new:
                return False
            ranges = influx_observed.coalesce(list(new.values()))
            for site, lo, hi in ranges:
                self._recompute_observed(site, lo, hi)
            # Again ROLLUP_SETTLE_S later: two collectors may rewrite one day point at the same moment.
            settle_at = time.monotonic() + ROLLUP_SETTLE_S
            with self._due_lock:
                for key in ranges:
                    self._observed_due[key] = settle_at
            # Never past this process's clock: a collector whose clock runs ahead would otherwise
            # move the cursor beyond the markers the others are still writing.
            cursor = max(self._dirty_cursor or 0, min(max(at for at, _, _ in new), time.time_ns()))
            since = cursor - DIRTY_MARGIN_S * _NS
            self._dirty_seen = {key for key in self._dirty_seen | new.keys() if key[0] > since}
            if cursor != self._dirty_cursor:
                self._dirty_cursor = cursor
                self.write_lines(f"rollup_state observed_cursor={cursor}i {time.time_ns()}")
            return True

    def _settle_observed(self) -> None:
        """The second recompute of ranges whose settle time has come."""
        now = time.monotonic()
        with self._due_lock:
            due = sorted(key for key, at in self._observed_due.items() if at <= now)
        if not due:
            return
        with self._observed_lock:
            for site, lo, hi in due:
                self._recompute_observed(site, lo, hi)
        with self._due_lock:
            for key in due:
                if self._observed_due.get(key, math.inf) <= now:
                    del self._observed_due[key]

    def _recompute_observed(self, site: str, lo: float, hi: float) -> None:
        source, where = self._observed_source(), f'"site" = {_literal(site)}'

        def read(a: int, b: int) -> list[LineObservation]:
            return influx_observed.line_observations(
                self.observation_intervals(site, _from_ns(a * _NS), _from_ns(b * _NS), "counts")
            )

        def reaching(a: int, b: int) -> int | None:
            return influx_observed.reaching(self._query, source, where, a, b)

        first, last, rows = recompute(site, lo, hi, read, reaching)
        day = influx_observed.DAY_S
        stored = influx_observed.read_days(self._query, source, where, first // day * day, (last - 1) // day * day)
        before = {key: arrays.fields() for key, arrays in stored.items()}
        lines = influx_observed.day_lines(site, influx_observed.apply(stored, first, last, rows), before)
        if lines:
            self.write_lines("\n".join(lines), self._rollup_rp)

    def backfill_observed(self) -> None:
        """Fill the observed-time rollup from every stored line record, a site-day at a time in time
        order, once per database (a ``rollup_state`` point marks it done)."""
        if self._query('SELECT last("observed") FROM "rollup_state"'):
            self._observed_backfilled = True
            return
        series = self._query('SHOW TAG VALUES FROM "line_counts" WITH KEY = "site"')
        sites = sorted({row[1] for s in series for row in s.get("values", [])})
        for site in sites:
            where = f'"site" = {_literal(site)}'
            first = self._query(f'SELECT first("interval_s") FROM "line_counts" WHERE {where}')  # noqa: S608
            last = self._query(f'SELECT last("interval_s") FROM "line_counts" WHERE {where}')  # noqa: S608
            if not first or not last:
                continue
            day = int(first[0]["values"][0][0]) // _NS // 86400 * 86400
            end = int(last[0]["values"][0][0]) // _NS
            while day <= end:
                self._recompute_observed(site, day, day + 86400)
                day += 86400
        self.write_lines(f"rollup_state observed=1i {time.time_ns()}")
        self._observed_backfilled = True
