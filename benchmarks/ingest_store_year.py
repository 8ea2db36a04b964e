"""A year of 1-minute data from 30 devices: how fast are the API's two heavy
reads (footfall by day over the year, one day of zone intervals) in each store?

The year is bulk-loaded, not pushed through write(): that would take an hour of
pydantic for 15.8 M records and measure nothing about the reads. SQLite: SQL that
mirrors SqliteStore.write (raw rows plus the quarter-hour rollup). InfluxDB: raw
line protocol, then the rollup through InfluxStore's own recompute, a day at a time.

    .venv/bin/python benchmarks/ingest_store_year.py [--db /tmp/mpp-year.db] [--devices 30]
    PYTHONPATH=. .venv/bin/python benchmarks/ingest_store_year.py --store influxdb [--days 365]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from collector.storage.sqlite import SLOT_S, SqliteStore

START = datetime(2025, 1, 1, tzinfo=ZoneInfo("Asia/Jakarta"))
MINUTES = 365 * 24 * 60
ZONE_DAY = 200


def load(store: SqliteStore, devices: int) -> None:
    conn = store._connection()
    t0 = int(START.timestamp())
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    for d in range(devices):
        # Every device: one entrance line and one zone, one record a minute.
        conn.execute(
            "WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < ?) "
            "INSERT INTO line_counts SELECT 'mpp-a', ? + i * 60, ?, 'pintu', 'entrance', 60, 60.0, "
            "(i * 7 + ?) % 5, (i * 3 + ?) % 4 FROM m",
            (MINUTES - 1, t0, f"cam-{d:02d}", d, d),
        )
        conn.execute(
            "WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < ?) "
            "INSERT INTO zone_occupancy SELECT 'mpp-a', ? + i * 60, ?, 'antrian', 'queue', NULL, 60, 60.0, "
            "1.5, 3, 40.0, 2 FROM m",
            (MINUTES - 1, t0, f"cam-{d:02d}"),
        )
    conn.execute(
        "INSERT INTO footfall_rollup SELECT site, interval_start - interval_start % ?, sum(in_count), sum(out_count) "
        "FROM line_counts WHERE role = 'entrance' GROUP BY site, interval_start - interval_start % ?",
        (SLOT_S, SLOT_S),
    )
    conn.execute("COMMIT")


def timed(label: str, call: object, runs: int = 20) -> None:
    samples = []
    result = None
    for _ in range(runs):
        t = time.perf_counter()
        result = call()  # type: ignore[operator]
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p95 = samples[round(0.95 * (len(samples) - 1))]
    print(f"{label}: median {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms, rows {len(result)}")  # type: ignore[arg-type]


def influx(devices: int, days: int, zone_devices: int) -> None:
    import httpx

    from collector.config import InfluxStoreSettings
    from collector.storage.influx import SLOT_NS, InfluxStore
    from tests.services import InfluxServer

    with tempfile.TemporaryDirectory() as tmp:
        server = InfluxServer(Path(tmp))
        server.start()
        try:
            store = InfluxStore(InfluxStoreSettings(base_url=server.url, database="year"))
            t0 = int(START.timestamp())
            started = time.perf_counter()
            with httpx.Client(base_url=server.url, timeout=120) as client:
                for d in range(devices):
                    for chunk in range(0, days * 1440, 50_000):
                        minutes = range(chunk, min(chunk + 50_000, days * 1440))
                        # A bulk fixture of fixed ASCII names: nothing to escape, and Point
                        # would spend minutes on 15.8 M points.
                        lines = [f"line_counts,device=cam-{d:02d},line=pintu,role=entrance,site=mpp-a "
                                 f"in_count={(i * 7 + d) % 5}i,interval_s=60i,observed_s=60,"
                                 f"out_count={(i * 3 + d) % 4}i {(t0 + i * 60) * 10**9}" for i in minutes]  # fmt: skip
                        if d < zone_devices and chunk <= ZONE_DAY * 1440 < chunk + 50_000:
                            lines += [f"zone_occupancy,device=cam-{d:02d},role=queue,site=mpp-a,zone=antrian "
                                      f"interval_s=60i,max_count=3i,mean_count=1.5,observed_s=60,occupied_s=40,"
                                      f"visits=2i {(t0 + i * 60) * 10**9}" for i in minutes]  # fmt: skip
                        response = client.post("/write", params={"db": "year", "precision": "ns"},
                                               content="\n".join(lines))  # fmt: skip
                        assert response.status_code == 204, response.text
            loaded = time.perf_counter()
            for day in range(days):
                first = (t0 + day * 86400) * 10**9
                store._refresh_rollup({("mpp-a", first + k * SLOT_NS) for k in range(96)})
            print(f"loaded {devices} devices x {days * 1440} minutes in {loaded - started:.0f} s, "
                  f"rollup in {time.perf_counter() - loaded:.0f} s")  # fmt: skip
            end = START + timedelta(days=days)
            timed(f"influx footfall, {days} days by local day",
                  lambda: store.footfall(["mpp-a"], START, end, "day", "Asia/Jakarta"), runs=10)  # fmt: skip
            ragged = START + timedelta(minutes=7)
            timed(f"influx footfall, {days} days by day, unaligned edges",
                  lambda: store.footfall(["mpp-a"], ragged, end - timedelta(minutes=7), "day", "Asia/Jakarta"),
                  runs=10)  # fmt: skip
            day = START + timedelta(days=ZONE_DAY)
            timed(f"influx zone intervals, one day ({zone_devices} devices)",
                  lambda: store.zone_intervals("mpp-a", day, day + timedelta(days=1)), runs=10)  # fmt: skip
            store.close()
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("/tmp/mpp-year.db"))
    parser.add_argument("--devices", type=int, default=30)
    parser.add_argument("--store", choices=("sqlite", "influxdb"), default="sqlite")
    parser.add_argument("--days", type=int, default=365, help="InfluxDB only")
    args = parser.parse_args()
    if args.store == "influxdb":
        influx(args.devices, args.days, zone_devices=args.devices)
        return
    fresh = not args.db.exists()
    store = SqliteStore(args.db)
    if fresh:
        t = time.perf_counter()
        load(store, args.devices)
        print(f"loaded {args.devices} devices x {MINUTES} minutes x 2 records in {time.perf_counter() - t:.0f} s")
    print(f"database {args.db}: {args.db.stat().st_size / 1e9:.2f} GB")
    end = START + timedelta(days=365)
    timed("footfall, year by local day", lambda: store.footfall(["mpp-a"], START, end, "day", "Asia/Jakarta"))
    ragged = START + timedelta(minutes=7)
    timed("footfall, year by day, unaligned edges",
          lambda: store.footfall(["mpp-a"], ragged, end - timedelta(minutes=7), "day", "Asia/Jakarta"))  # fmt: skip
    day = START + timedelta(days=200)
    timed("footfall, one day by hour", lambda: store.footfall(["mpp-a"], day, day + timedelta(days=1), "hour",
                                                              "Asia/Jakarta"))  # fmt: skip
    timed("zone intervals, one day (30 devices)", lambda: store.zone_intervals("mpp-a", day, day + timedelta(days=1)))
    print("now:", datetime.now(UTC).isoformat(timespec="seconds"))
    store.close()


if __name__ == "__main__":
    main()
