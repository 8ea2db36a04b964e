"""API latency on a year of 1-minute data from 30 devices, on SqliteStore and InfluxStore.

Seeds each store with one batch per day of all its devices (one worker process
per core; records built with ``model_construct`` from precomputed timestamps):
SqliteStore through ``Store.write(Batch(...))``; InfluxStore through its
``write_lines`` with line protocol checked against its own ``batch_points``
(plus ``Store.write`` of each day's last minute), because building
influxdb_client Points makes ``InfluxStore.write`` too slow for a year of data
(``--influx-points`` uses it anyway). Then it serves the API with uvicorn on a free port and measures, over
HTTP, the p50/p95 of
  - monthly footfall of one site over 12 months (granularity=month), each month with the entrance
    cameras' coverage of its opening hours (the footfall endpoint always carries it),
  - daily footfall with coverage of one site over the last 30 days (the dashboard's default), and
  - one day of zone occupancy of one site at 5-minute resolution.

    .venv/bin/python -m benchmarks.api_latency --store sqlite --store influxdb
    .venv/bin/python -m benchmarks.api_latency --store sqlite --days 30   # quick look

A seeded store is kept under --workdir and reused when its marker matches.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from pydantic import SecretStr

from collector.api import create_app
from collector.storage import Batch, Store, open_store
from tests.services import InfluxServer
from wire import LineCounts, ZoneOccupancy

TOKEN = "benchmark-token"
YEAR_START = datetime(2025, 1, 1, tzinfo=UTC) - timedelta(hours=7)  # 2025-01-01 00:00 WIB
SITES = 5
DEVICES_PER_SITE = 6


@dataclass(frozen=True)
class Settings:
    api_token: SecretStr | None
    data_dir: Path
    silent_after_s: float = 180.0
    link_secret: SecretStr | None = None


def device_names(devices: int) -> list[tuple[str, str]]:
    per_site = max(1, devices // SITES)
    return [(f"mpp-{i // per_site + 1:02d}", f"cam-{i:02d}") for i in range(devices)]


def day_batch(day: int, devices: list[tuple[str, str]]) -> Batch:
    """One local day of minute records for the given devices: one entrance line and one zone each."""
    start = YEAR_START + timedelta(days=day)
    minutes = [start + timedelta(minutes=m) for m in range(1440)]
    stamps = [m.strftime("%Y-%m-%dT%H:%M:%SZ") for m in minutes]
    counts: list[LineCounts] = []
    zones: list[ZoneOccupancy] = []
    for index, (site, device) in enumerate(devices):
        gerai = f"gerai-{index % DEVICES_PER_SITE}"
        role = "staff" if index % 2 == 0 else "queue"
        zone = f"{gerai}-{role}"
        for m, (at, stamp) in enumerate(zip(minutes, stamps, strict=True)):
            busy = (m + index * 7) % 11
            counts.append(
                LineCounts.model_construct(
                    schema_version=1,
                    kind="counts",
                    site=site,
                    device=device,
                    timezone="Asia/Jakarta",
                    interval_start=at,
                    interval_s=60,
                    observed_s=60.0,
                    line="pintu",
                    role="entrance",
                    in_count=busy % 4,
                    out_count=busy % 3,
                    message_id=f"{site}/{device}/counts/pintu/{stamp}",
                )
            )
            zones.append(
                ZoneOccupancy.model_construct(
                    schema_version=1,
                    kind="occupancy",
                    site=site,
                    device=device,
                    timezone="Asia/Jakarta",
                    interval_start=at,
                    interval_s=60,
                    observed_s=60.0,
                    zone=zone,
                    role=role,
                    gerai=gerai,
                    mean_count=busy / 5,
                    max_count=busy // 5 + 1,
                    occupied_s=60.0 if busy else 0.0,
                    visits=busy % 2,
                    dwells_s=(),
                    message_id=f"{site}/{device}/occupancy/{zone}/{stamp}",
                )
            )
    return Batch(counts=counts, occupancy=zones)


def _number(value: float | int) -> str:
    if isinstance(value, int):
        return f"{value}i"
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def batch_lines(batch: Batch) -> str:
    """Line protocol of the interval rows of a batch, as InfluxStore writes them (checked against
    ``collector.storage.influx_lines.batch_points`` before seeding). Building influxdb_client Points costs
    ~30 us a record, which would make a year of data take most of an hour to write."""
    lines = []
    for c in batch.counts:
        lines.append(
            f"line_counts,device={c.device},line={c.line},role={c.role},site={c.site} "
            f"in_count={c.in_count}i,interval_s={c.interval_s}i,observed_s={_number(c.observed_s)},"
            f"out_count={c.out_count}i {int(c.interval_start.timestamp()) * 1_000_000_000}"
        )
    for z in batch.occupancy:
        gerai = f",gerai={z.gerai}" if z.gerai else ""
        lines.append(
            f"zone_occupancy,device={z.device}{gerai},role={z.role},site={z.site},zone={z.zone} "
            f"interval_s={z.interval_s}i,max_count={z.max_count}i,mean_count={_number(z.mean_count)},"
            f"observed_s={_number(z.observed_s)},occupied_s={_number(z.occupied_s)},visits={z.visits}i "
            f"{int(z.interval_start.timestamp()) * 1_000_000_000}"
        )
    return "\n".join(lines)


def day_rows(day: int, devices: list[tuple[str, str]]) -> list[tuple[object, ...]]:
    """The ``line_counts`` rows SqliteStore.write stores for ``day_batch(day, devices).counts``."""
    start = int((YEAR_START + timedelta(days=day)).timestamp())
    rows: list[tuple[object, ...]] = []
    for index, (site, device) in enumerate(devices):
        for m in range(1440):
            busy = (m + index * 7) % 11
            rows.append((site, start + 60 * m, device, "pintu", "entrance", 60, 60.0, busy % 4, busy % 3))
    return rows


def seed_sqlite_rows(path: Path, days: int, devices: int) -> tuple[int, float, float]:
    """Entrance-line rows straight into the store's tables (its footfall rollup and device rows
    too), then the observed-time rollup filled by ``backfill_observed``, what the migration of an
    upgraded store runs. Returns rows, seconds for the rows and seconds for the backfill."""
    import sqlite3

    from collector.storage.bookkeeping import SLOT_S
    from collector.storage.sqlite import SqliteStore, backfill_observed

    SqliteStore(path).close()  # the schema
    names = device_names(devices)
    conn = sqlite3.connect(path, isolation_level=None)
    started = time.perf_counter()
    rows = 0
    conn.execute("BEGIN")
    for day in range(days):
        batch = day_rows(day, names)
        conn.executemany("INSERT INTO line_counts VALUES (?,?,?,?,?,?,?,?,?)", batch)
        rows += len(batch)
    conn.execute(
        f"INSERT INTO footfall_rollup SELECT site, interval_start - interval_start % {SLOT_S}, sum(in_count), "
        "sum(out_count) FROM line_counts GROUP BY 1, 2"
    )
    conn.execute(
        "INSERT INTO devices (site, device, timezone, timezone_at, last_seen) SELECT site, device, 'Asia/Jakarta', "
        "max(interval_start) + 60, max(interval_start) + 60 FROM line_counts GROUP BY site, device"
    )
    conn.execute("COMMIT")
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    conn.execute("BEGIN")
    backfill_observed(conn)
    conn.execute("COMMIT")
    conn.close()
    return rows, seeded, time.perf_counter() - started


def check_rows_match_store(workdir: Path, devices: int) -> None:
    """The rows path and ``Store.write`` give equal tables, rollups included, on two days of data."""
    import sqlite3

    names = device_names(devices)
    fast, written = workdir / "check-rows.db", workdir / "check-write.db"
    for leftover in (fast, written):
        leftover.unlink(missing_ok=True)
    seed_sqlite_rows(fast, 2, devices)
    store = open_store(f"sqlite:///{written}")
    for day in range(2):
        store.write(Batch(counts=day_batch(day, names).counts))
    store.close()
    for table in ("line_counts", "footfall_rollup", "observed_rollup"):
        query = f"SELECT * FROM {table} ORDER BY 1, 2, 3"
        left = sqlite3.connect(fast).execute(query).fetchall()
        right = sqlite3.connect(written).execute(query).fetchall()
        if left != right:
            raise SystemExit(f"benchmark rows differ from SqliteStore.write in {table}")


def seed_influx_rollups(url: str, days: int, devices: int) -> tuple[int, float]:
    """The two rollups the footfall endpoint reads, for ``days`` days, without the raw line points:
    per site the observed-time day points (``storage.observed.quarters`` of the day's records, as the
    store's write path computes them) and the footfall quarter hours (entrance in/out sums), plus
    each device's ``device_seen``. Every generated day holds the same observation (and the same
    counts), so one day is computed and repeated. Returns points and seconds."""
    from collector.storage import influx_observed
    from collector.storage.bookkeeping import SLOT_S
    from collector.storage.influx import ROLLUP, batch_points
    from collector.storage.observed import ObservedQuarter, ceil_slot, floor_slot, quarters

    store = open_store(url)
    started = time.perf_counter()
    written = 0
    names = device_names(devices)
    first = int(YEAR_START.timestamp())
    for site in sorted({site for site, _ in names}):
        batch = Batch(counts=[c for c in day_batch(0, [n for n in names if n[0] == site]).counts])
        records = [(int(c.interval_start.timestamp()), c.device, c.role, c.interval_s, c.observed_s)
                   for c in batch.counts]  # fmt: skip
        day = quarters(site, records, floor_slot(first), ceil_slot(first + 86400))
        rows = [ObservedQuarter(q.site, q.device, q.slot_start + d * 86400, q.observed_ms, q.heard, q.entrance,
                                q.reach + d * 86400) for d in range(days) for q in day]  # fmt: skip
        points = influx_observed.day_lines(site, influx_observed.apply({}, rows[0].slot_start,
                                                                       rows[-1].slot_start + SLOT_S, rows))  # fmt: skip
        store.write_lines("\n".join(points), store._rollup_rp)  # type: ignore[attr-defined]
        sums: dict[int, list[int]] = {}
        for c in batch.counts:
            total = sums.setdefault(floor_slot(c.interval_start.timestamp()), [0, 0])
            total[0] += c.in_count
            total[1] += c.out_count
        lines = [f"{ROLLUP},site={site} in_count={v[0]}i,out_count={v[1]}i {(slot + d * 86400) * 1_000_000_000}"
                 for d in range(days) for slot, v in sorted(sums.items())]  # fmt: skip
        for i in range(0, len(lines), 50_000):
            store.write_lines("\n".join(lines[i : i + 50_000]))
        last = day_batch(days - 1, [n for n in names if n[0] == site]).counts[1439::1440]
        seen = [p.to_line_protocol() for p in batch_points(Batch(counts=last))]
        store.write_lines("\n".join(line for line in seen if line.startswith("device_seen,")))
        written += len(points) + len(lines) + len(last)
    store.write_lines(f"rollup_state observed=1i {time.time_ns()}")  # nothing older to backfill
    store.close()
    return written, time.perf_counter() - started


def check_lines_match_store(devices: int) -> None:
    from collector.storage.influx_lines import batch_points

    batch = day_batch(0, device_names(devices))
    sample = Batch(counts=batch.counts[::97], occupancy=batch.occupancy[::97])
    theirs = [p.to_line_protocol() for p in batch_points(sample)]
    theirs = [line for line in theirs if not line.startswith("device_seen,")]
    if batch_lines(sample).split("\n") != theirs:
        raise SystemExit("benchmark line protocol differs from InfluxStore's batch_points; use --influx-points")


def _seed_worker(args: tuple[str, list[int], int, bool, bool]) -> int:
    url, days, devices, lines, zones = args
    store = open_store(url)
    names = device_names(devices)
    rows = 0
    try:
        for day in days:
            batch = day_batch(day, names)
            if not zones:
                batch = Batch(counts=batch.counts)
            if lines:
                store.write_lines(batch_lines(batch))  # type: ignore[attr-defined]
                # The store's own write for the day's last minute: device_seen and anything else it keeps.
                store.write(Batch(counts=batch.counts[1439::1440], occupancy=batch.occupancy[1439::1440]))
            else:
                store.write(batch)
            rows += len(batch.counts) + len(batch.occupancy)
    finally:
        store.close()
    return rows


def seed(url: str, days: int, devices: int, workers: int, lines: bool = False, zones: bool = True) -> tuple[int, float]:
    chunks = [list(range(days))[w::workers] for w in range(workers)]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        rows = sum(pool.map(_seed_worker, [(url, chunk, devices, lines, zones) for chunk in chunks]))
    return rows, time.perf_counter() - started


@contextmanager
def bench_store(kind: str, workdir: Path) -> Iterator[str]:
    """The store URL of ``kind`` under ``workdir`` (kept there for the next run), InfluxDB started
    for the duration."""
    if kind == "sqlite":
        (workdir / "sqlite").mkdir(exist_ok=True)
        yield f"sqlite:///{workdir / 'sqlite' / 'mpp.db'}"
        return
    influx = InfluxServer(workdir / "influxdb")
    influx.start()
    try:
        yield f"influxdb://127.0.0.1:{influx.http_port}/bench"
    finally:
        influx.stop()


def seeded_marker(workdir: Path, kind: str, seed: dict[str, object]) -> tuple[Path, bool]:
    """The file that records what ``kind`` was seeded with, and whether it was ``seed``."""
    marker = workdir / f"{kind}.seeded.json"
    return marker, marker.exists() and json.loads(marker.read_text()).get("seed") == seed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure(store: Store, data_dir: Path, days: int, repeats: int, zones: bool = True) -> dict[str, dict[str, float]]:
    app = create_app(Settings(SecretStr(TOKEN), data_dir), store)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    last_day = (YEAR_START + timedelta(days=days - 1) + timedelta(hours=7)).date()
    first_month = (YEAR_START + timedelta(hours=7)).date().strftime("%Y-%m")
    queries = {
        "monthly_footfall_12_months": (
            "/api/v1/sites/mpp-01/footfall",
            {"granularity": "month", "start": first_month, "end": last_day.strftime("%Y-%m")},
        ),
        "daily_footfall_30_days": (
            "/api/v1/sites/mpp-01/footfall",
            {"granularity": "day", "start": (last_day - timedelta(days=29)).isoformat(), "end": last_day.isoformat()},
        ),
        "compare_5_sites_12_months": (
            "/api/v1/footfall",
            {
                "sites": ",".join(sorted({site for site, _ in device_names(SITES * DEVICES_PER_SITE)})),
                "granularity": "month",
                "start": first_month,
                "end": last_day.strftime("%Y-%m"),
            },
        ),
    }
    if zones:
        queries["one_day_occupancy_5m"] = (
            "/api/v1/sites/mpp-01/occupancy",
            {"start": last_day.isoformat(), "end": last_day.isoformat(), "resolution": "5m"},
        )
    results: dict[str, dict[str, float]] = {}
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120
    ) as client:
        for name, (path, params) in queries.items():
            first = client.get(path, params=params)
            first.raise_for_status()
            body = first.json()
            size = len(body.get("periods", body.get("points", body.get("sites", []))))
            samples = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                client.get(path, params=params).raise_for_status()
                samples.append((time.perf_counter() - t0) * 1000)
            samples.sort()
            results[name] = {
                "items": size,
                "p50_ms": statistics.median(samples),
                "p95_ms": samples[max(0, round(0.95 * len(samples)) - 1)],
                "max_ms": samples[-1],
            }
    server.should_exit = True
    thread.join(timeout=10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", action="append", choices=["sqlite", "influxdb"], required=True)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--devices", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mpp-api-bench"))
    parser.add_argument(
        "--no-zones",
        action="store_true",
        help="seed entrance-line records only (the footfall queries; no occupancy query)",
    )
    parser.add_argument(
        "--sqlite-rows",
        action="store_true",
        help="seed SQLite with rows straight into its tables (checked against Store.write), then the "
        "observed-time backfill an upgraded store runs; needs --no-zones",
    )
    parser.add_argument(
        "--influx-rollups",
        action="store_true",
        help="seed InfluxDB with the rollups the footfall endpoint reads (observed-time day points, footfall "
        "quarter hours, device_seen) for every day, without the raw line points; needs --no-zones",
    )
    parser.add_argument(
        "--influx-points",
        action="store_true",
        help="seed InfluxDB through InfluxStore.write (Point objects; slow) instead of verified line protocol",
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    zones = not args.no_zones
    marker_value = {"days": args.days, "devices": args.devices, "start": YEAR_START.isoformat(), "zones": zones}
    if (args.sqlite_rows or args.influx_rollups) and zones:
        parser.error("--sqlite-rows and --influx-rollups need --no-zones")
    if args.influx_rollups:
        marker_value["influx_rollups"] = True
    for kind in args.store:
        with bench_store(kind, args.workdir) as url:
            marker, reuse = seeded_marker(args.workdir, kind, marker_value)
            if reuse:
                print(f"{kind}: reusing seeded store ({json.loads(marker.read_text())})")
            else:
                print(
                    f"{kind}: seeding {args.days} days x {args.devices} devices x 1440 minutes "
                    f"(line + zone rows) with {args.workers} workers ...",
                    flush=True,
                )
                lines = kind == "influxdb" and not args.influx_points
                backfill = None
                if kind == "influxdb" and args.influx_rollups:
                    lines = False
                    rows, seconds = seed_influx_rollups(url, args.days, args.devices)
                elif kind == "sqlite" and args.sqlite_rows:
                    check_rows_match_store(args.workdir, args.devices)
                    (args.workdir / "sqlite" / "mpp.db").unlink(missing_ok=True)
                    rows, seconds, backfill = seed_sqlite_rows(args.workdir / "sqlite" / "mpp.db", args.days,
                                                               args.devices)  # fmt: skip
                else:
                    if lines:
                        check_lines_match_store(args.devices)
                    rows, seconds = seed(url, args.days, args.devices, args.workers, lines, zones)
                if lines:
                    # Line protocol bypasses the store's write path: the observed-time rollup is filled
                    # by the backfill an upgraded collector runs on its first maintain().
                    store = open_store(url)
                    started = time.perf_counter()
                    store.maintain()
                    backfill = time.perf_counter() - started
                    store.close()
                marker.write_text(json.dumps({"seed": marker_value, "rows": rows, "seconds": seconds,
                                              "backfill_s": backfill}))  # fmt: skip
                print(f"{kind}: seeded {rows:,} rows in {seconds:.0f} s ({rows / seconds:,.0f} rows/s)", flush=True)
                if backfill is not None:
                    print(f"{kind}: observed-time rollup backfilled in {backfill:.0f} s", flush=True)
            store = open_store(url)
            try:
                results = measure(store, args.workdir / f"var-{kind}", args.days, args.repeats, zones)
            finally:
                store.close()
            for name, figures in results.items():
                print(
                    f"{kind}: {name}: {figures['items']} items, p50 {figures['p50_ms']:.1f} ms, "
                    f"p95 {figures['p95_ms']:.1f} ms, max {figures['max_ms']:.1f} ms "
                    f"({args.repeats} requests)",
                    flush=True,
                )


if __name__ == "__main__":
    main()
