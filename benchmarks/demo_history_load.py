"""How long `make demo`'s simulated history (demo/history.py) takes to load into a fresh SQLite store:
wall time and CPU-seconds of this process (building and validating the wire records, Store.write).

    PYTHONPATH=. .venv/bin/python -m benchmarks.demo_history_load
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime

from collector.storage import open_store
from demo import history


def main() -> None:
    story = history.plan(datetime.now(UTC))
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/mpp.db")
        load_before = os.getloadavg()[0]
        wall, cpu = time.perf_counter(), time.process_time()
        result = history.load(store, story)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        store.close()
    print(
        f"{story.first} to {story.last}, {len(history.SITES)} sites: {result.records:,} interval records in "
        f"{wall:.1f} s wall, {cpu:.1f} CPU-s (load average {load_before:.1f} -> {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
