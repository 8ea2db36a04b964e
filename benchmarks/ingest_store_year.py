"""A year of 1-minute data from 30 devices in SqliteStore: how fast are the
API's two heavy reads (footfall by day over the year, one day of zone intervals)?

The year is bulk-loaded with SQL that mirrors SqliteStore.write (raw rows plus
the quarter-hour rollup); going through write() would take an hour of pydantic
for 15.8 M records and measure nothing about the reads.

    .venv/bin/python benchmarks/ingest_store_year.py [--db /tmp/mpp-year.db] [--devices 30]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from collector.storage.sqlite import SLOT_S, SqliteStore

START = datetime(2025, 1, 1, tzinfo=ZoneInfo("Asia/Jakarta"))
MINUTES = 365 * 24 * 60


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
    p95 = samples[int(round(0.95 * (len(samples) - 1)))]
    print(f"{label}: median {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms, rows {len(result)}")  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("/tmp/mpp-year.db"))
    parser.add_argument("--devices", type=int, default=30)
    args = parser.parse_args()
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
