"""What InfluxStore.observed_time() pays to catch up on dirty markers, on a copy of a seeded
InfluxDB store of benchmarks/api_latency.py (the copy gets markers; the original is left as it is).

    PYTHONPATH=. .venv/bin/python benchmarks/observed_catch_up.py --workdir /tmp/h12perf/year-influx

1. The rollup statement of a year of daily ranges of one site alone, and in one request with the
   marker statement: no marker in the window, then 300 markers already recomputed.
2. observed_time() for every site with a year of daily ranges, median per round. Run from an
   older checkout (PYTHONPATH) it measures only this, for a before/after pair.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from collector.config import InfluxStoreSettings
from collector.storage import influx_observed
from collector.storage.influx import InfluxStore
from tests.services import InfluxServer


def median_ms(run: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, required=True, help="an api_latency --store influxdb workdir")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "influxdb"
        shutil.copytree(args.workdir / "influxdb", copy)
        server = InfluxServer(copy)
        server.start()
        try:
            store = InfluxStore(InfluxStoreSettings(base_url=server.url, database="bench"))
            sites = sorted({s.site for s in store.sites()})
            start = datetime(2025, 1, 1, 1, tzinfo=UTC)
            ranges = [(start + timedelta(days=d), start + timedelta(days=d, hours=12)) for d in range(365)]
            store.observed_time(sites[0], ranges)  # first read: the cursor
            every_site = median_ms(lambda: [store.observed_time(s, ranges) for s in sites], args.rounds)
            print(f"observed_time() of {len(sites)} sites x a year of daily ranges: median {every_site:.1f} ms")
            if not hasattr(store, "_dirty_statement"):
                return  # a checkout from before the markers
            statement, _ = influx_observed.observed_statement(
                store._observed_source(), f"\"site\" = '{sites[0]}'", ranges
            )
            for markers in (0, 300):
                if markers:
                    now = time.time_ns()
                    store.write_lines("\n".join(
                        influx_observed.dirty_line("nowhere", "bench", 1735693200, 1735694100, now - i * 10**9)
                        for i in range(markers)
                    ))  # fmt: skip
                    store.observed_time(sites[0], ranges)  # recomputes them once
                alone = median_ms(lambda: store._query(statement), args.rounds)
                both = median_ms(lambda: store._query(f"{store._dirty_statement()}; {statement}"), args.rounds)
                print(f"{markers} markers in the window: rollup statement alone {alone:.1f} ms, "
                      f"with the marker statement {both:.1f} ms")  # fmt: skip
        finally:
            server.stop()


if __name__ == "__main__":
    main()
