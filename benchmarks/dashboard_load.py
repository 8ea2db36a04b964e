"""Concurrent full dashboard loads, on SqliteStore and InfluxStore, and /healthz during them.

A full load is what collector/web/static/app.js and alerts.js request when the dashboard opens
(default card settings): ``/me`` and ``/sites`` one after the other, then at once (at most six
connections, as a browser keeps per host) the site's staffing, waiting and 5-minute occupancy of
today, its daily footfall with coverage (the last 30 days), the monthly comparison of every site
with coverage (the last 12 months), live occupancy, the device table and the alert list. CLIENTS
loads run at once, ROUNDS times; meanwhile a separate connection asks ``/healthz`` every 100 ms.
Reported: p50/p95/max of a full load's wall time and of /healthz.

Data: DAYS local days x DEVICES devices spread over 4 sites, one entrance-line record and one
zone record per device and INTERVAL_S seconds (the issue's set: a year x 30 devices, minute
records). Seeded like ``benchmarks.api_latency`` (Store.write on SQLite; verified line protocol on
InfluxDB) and kept under --workdir for the next run. The API's clock is the last seeded day, 15:00
local, so "today" is a day with data.

    .venv/bin/python -m benchmarks.dashboard_load --store sqlite --store influxdb
    .venv/bin/python -m benchmarks.dashboard_load --store sqlite --days 31 --clients 20 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from benchmarks.api_latency import Settings, batch_lines, free_port
from collector.api import create_app
from collector.storage import Batch, Store, open_store
from tests.services import InfluxServer
from wire import LineCounts, ZoneOccupancy

TOKEN = "benchmark-token-" + "x" * 32
SITES = ("mpp-a", "mpp-b", "mpp-c", "mpp-d")
YEAR_START = datetime(2025, 1, 1, tzinfo=UTC) - timedelta(hours=7)  # 2025-01-01 00:00 WIB
BROWSER_CONNECTIONS = 6


def devices_of(count: int) -> list[tuple[str, str, int]]:
    """(site, device, index): devices dealt round-robin to the four sites."""
    return [(SITES[i % len(SITES)], f"cam-{i:02d}", i) for i in range(count)]


def day_batch(day: int, devices: list[tuple[str, str, int]], interval_s: int) -> Batch:
    start = YEAR_START + timedelta(days=day)
    steps = 86400 // interval_s
    counts: list[LineCounts] = []
    zones: list[ZoneOccupancy] = []
    for site, device, index in devices:
        gerai = f"gerai-{index // len(SITES) % 4}"
        role = "staff" if index % 2 == 0 else "queue"
        zone = f"{gerai}-{role}"
        for m in range(steps):
            at = start + timedelta(seconds=m * interval_s)
            stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
            busy = (m + index * 7) % 11
            counts.append(LineCounts.model_construct(
                schema_version=1, kind="counts", site=site, device=device, timezone="Asia/Jakarta",
                interval_start=at, interval_s=interval_s, observed_s=float(interval_s), line="pintu",
                role="entrance", in_count=busy % 4, out_count=busy % 3,
                message_id=f"{site}/{device}/counts/pintu/{stamp}"))  # fmt: skip
            zones.append(ZoneOccupancy.model_construct(
                schema_version=1, kind="occupancy", site=site, device=device, timezone="Asia/Jakarta",
                interval_start=at, interval_s=interval_s, observed_s=float(interval_s), zone=zone, role=role,
                gerai=gerai, mean_count=busy / 5, max_count=busy // 5 + 1,
                occupied_s=float(interval_s) if busy else 0.0, visits=busy % 2,
                dwells_s=(float(60 + busy * 30),) if busy % 2 else (),
                message_id=f"{site}/{device}/occupancy/{zone}/{stamp}"))  # fmt: skip
    return Batch(counts=counts, occupancy=zones)


def _seed_worker(args: tuple[str, list[int], int, int, bool]) -> int:
    url, days, devices, interval_s, lines = args
    store = open_store(url)
    names = devices_of(devices)
    rows = 0
    try:
        for day in days:
            batch = day_batch(day, names, interval_s)
            if lines:
                store.write_lines(batch_lines(batch))  # type: ignore[attr-defined]
                # Dwell samples and device bookkeeping through the store's own write.
                store.write(Batch(counts=[c for c in batch.counts if c.interval_start.hour == 8],
                                  occupancy=[z for z in batch.occupancy if z.interval_start.hour == 8]))  # fmt: skip
            else:
                store.write(batch)
            rows += len(batch.counts) + len(batch.occupancy)
    finally:
        store.close()
    return rows


@dataclass(frozen=True)
class Figures:
    loads_ms: list[float]
    healthz_ms: list[float]
    failures: int


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(q * len(ordered)) - 1)]


async def _full_load(client: httpx.AsyncClient, site: str, today: str) -> None:
    (await client.get("/api/v1/me")).raise_for_status()
    (await client.get("/api/v1/sites")).raise_for_status()
    day: dict[str, str | int] = {"start": today, "end": today}
    calls: list[tuple[str, dict[str, str | int]]] = [
        (f"/api/v1/sites/{site}/staffing", day),
        (f"/api/v1/sites/{site}/footfall", {"granularity": "day"}),
        ("/api/v1/footfall", {"sites": ",".join(SITES), "granularity": "month"}),
        (f"/api/v1/sites/{site}/occupancy/live", {}),
        ("/api/v1/devices", {"site": site}),
        (f"/api/v1/sites/{site}/occupancy", {**day, "resolution": "5m"}),
        (f"/api/v1/sites/{site}/waiting", day),
        (f"/api/v1/sites/{site}/alerts", {"limit": 20}),
    ]
    gate = asyncio.Semaphore(BROWSER_CONNECTIONS)

    async def one(path: str, params: dict[str, str | int]) -> None:
        async with gate:
            response = await client.get(path, params=params)
            if response.status_code == 404 and path.endswith("/alerts"):
                return  # a collector without the alerts API
            response.raise_for_status()

    await asyncio.gather(*(one(p, q) for p, q in calls))


async def _run(base: str, today: str, clients: int, rounds: int) -> Figures:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    loads: list[float] = []
    probes: list[float] = []
    failures = 0
    done = asyncio.Event()

    async def probe() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            while not done.is_set():
                t0 = time.perf_counter()
                (await client.get("/healthz")).raise_for_status()
                probes.append((time.perf_counter() - t0) * 1000)
                await asyncio.sleep(0.1)

    async def user(n: int) -> None:
        nonlocal failures
        limits = httpx.Limits(max_connections=BROWSER_CONNECTIONS)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=1200, limits=limits) as client:
            t0 = time.perf_counter()
            try:
                await _full_load(client, SITES[n % len(SITES)], today)
            except httpx.HTTPError as exc:
                failures += 1
                print(f"load failed: {type(exc).__name__} {exc}", flush=True)
                return
            loads.append((time.perf_counter() - t0) * 1000)

    prober = asyncio.create_task(probe())
    for _ in range(rounds):
        await asyncio.gather(*(user(n) for n in range(clients)))
    done.set()
    await prober
    return Figures(loads, probes, failures)


def _healthz_in_threadpool(app: FastAPI) -> None:
    """/healthz as it was before it became ``async def``: a plain ``def`` route, run in the threadpool."""
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) != "/healthz"]

    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.add_api_route("/healthz", healthz)


def measure(store: Store, data_dir: Path, days: int, clients: int, rounds: int, threadpool: bool) -> Figures:
    last_day = YEAR_START + timedelta(days=days - 1)
    now = last_day + timedelta(hours=15)  # 15:00 WIB of the last seeded day
    app = create_app(Settings(SecretStr(TOKEN), data_dir), store, clock=lambda: now)
    if threadpool:
        _healthz_in_threadpool(app)
    port = free_port()
    # Keep-alive longer than any wait: uvicorn closes a connection idle for 5 s by default, and a client
    # then sending on it gets "Server disconnected" (a browser retries; httpx does not).
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_keep_alive=1200)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    today = (now + timedelta(hours=7)).date().isoformat()
    try:
        # One load first (warm caches, import paths), not counted.
        asyncio.run(_run(f"http://127.0.0.1:{port}", today, 1, 1))
        return asyncio.run(_run(f"http://127.0.0.1:{port}", today, clients, rounds))
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def report(label: str, figures: Figures, args: argparse.Namespace) -> None:
    loads, probes = figures.loads_ms, figures.healthz_ms
    if not loads:
        print(f"{label}: every load failed ({figures.failures})", flush=True)
        return
    print(
        f"{label}: {len(loads)} full loads ({args.clients} at once x {args.rounds}), failures {figures.failures}: "
        f"p50 {statistics.median(loads):,.0f} ms, p95 {_p(loads, 0.95):,.0f} ms, max {max(loads):,.0f} ms; "
        f"/healthz ({len(probes)} probes) p50 {statistics.median(probes):.1f} ms, "
        f"p95 {_p(probes, 0.95):.1f} ms, max {max(probes):.1f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", action="append", choices=["sqlite", "influxdb"], required=True)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--devices", type=int, default=30)
    parser.add_argument("--interval-s", type=int, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mpp-dashboard-bench"))
    parser.add_argument(
        "--healthz-in-threadpool",
        action="store_true",
        help="also measure with /healthz as a plain `def` route (as before), for comparison in the same run",
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    seed_key = {"days": args.days, "devices": args.devices, "interval_s": args.interval_s, "sites": len(SITES)}
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}", flush=True)
    for kind in args.store:
        influx: InfluxServer | None = None
        if kind == "sqlite":
            (args.workdir / "sqlite").mkdir(exist_ok=True)
            url = f"sqlite:///{args.workdir / 'sqlite' / 'mpp.db'}"
        else:
            influx = InfluxServer(args.workdir / "influxdb")
            influx.start()
            url = f"influxdb://127.0.0.1:{influx.http_port}/bench"
        marker = args.workdir / f"{kind}.seeded.json"
        try:
            if not (marker.exists() and json.loads(marker.read_text()).get("seed") == seed_key):
                started = time.perf_counter()
                chunks = [list(range(args.days))[w :: args.workers] for w in range(args.workers)]
                jobs = [(url, c, args.devices, args.interval_s, kind == "influxdb") for c in chunks]
                with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
                    rows = sum(pool.map(_seed_worker, jobs))
                seconds = time.perf_counter() - started
                marker.write_text(json.dumps({"seed": seed_key, "rows": rows, "seconds": seconds}))
                print(f"{kind}: seeded {rows:,} rows in {seconds:.0f} s", flush=True)
            store = open_store(url)
            try:
                for threadpool in (False, True) if args.healthz_in_threadpool else (False,):
                    figures = measure(store, args.workdir / f"var-{kind}", args.days, args.clients, args.rounds,
                                      threadpool)  # fmt: skip
                    report(f"{kind}{' (healthz in threadpool)' if threadpool else ''}", figures, args)
            finally:
                store.close()
        finally:
            if influx is not None:
                influx.stop()
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}", flush=True)


if __name__ == "__main__":
    main()
