"""Concurrent full dashboard loads, on SqliteStore and InfluxStore, and /healthz during them.

A full load is what collector/web/static/app.js, analytics.js and alerts.js request when the
dashboard opens with every card's default range (``_dashboard_calls``): ``/me`` and ``/sites`` one
after the other, then at most six at once (as a browser keeps per host) the KPI tiles, daily
footfall of the last 30 days, the monthly comparison of every site over the last 12 months, live
occupancy, the device table, today's 5-minute occupancy, the gerai names, today's staffing, the
hour x weekday heat map of the last 30 days, today's waiting and the alert list.
First the first load of each site, one after another, on an empty report cache (what a user waits
for after a restart or a late record); then CLIENTS loads at once, ROUNDS times, optionally with
ingest meanwhile (``--live-write-every-s``); a separate process asks ``/healthz`` every 100 ms, on the
API's port (a kept-alive connection) and on the liveness listener's (``MPP_HEALTH_LISTEN``, a new
connection each time, as a supervisor's probe). Reported: p50/p95/max of a full load's wall time and
of both /healthz.

Data: DAYS local days x DEVICES devices spread over 4 sites, one entrance-line record and one
zone record per device and INTERVAL_S seconds (the issue's set: a year x 30 devices, minute
records). Seeded like ``benchmarks.api_latency`` (Store.write on SQLite; verified line protocol on
InfluxDB) and kept under --workdir for the next run. The API's clock is the last seeded day, 15:00
local, so "today" is a day with data.

    .venv/bin/python -m benchmarks.dashboard_load --store sqlite --store influxdb
    .venv/bin/python -m benchmarks.dashboard_load --store sqlite --live-write-every-s 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from benchmarks.api_latency import Settings, batch_lines, bench_store, free_port, seeded_marker
from collector.api import create_app
from collector.api.server import build_server
from collector.liveness import LivenessListener
from collector.storage import Batch, Store, open_store
from wire import LineCounts, ZoneOccupancy

TOKEN = "benchmark-token-" + "x" * 32
SITES = ("mpp-a", "mpp-b", "mpp-c", "mpp-d")
YEAR_START = datetime(2025, 1, 1, tzinfo=UTC) - timedelta(hours=7)  # 2025-01-01 00:00 WIB
BROWSER_CONNECTIONS = 6
SLOW_CALL_S = 5.0  # a call slower than this is named in the output


def devices_of(count: int) -> list[tuple[str, str, int]]:
    """(site, device, index): devices dealt round-robin to the four sites."""
    return [(SITES[i % len(SITES)], f"cam-{i:02d}", i) for i in range(count)]


def device_records(
    site: str, device: str, index: int, at: datetime, interval_s: int
) -> tuple[LineCounts, ZoneOccupancy]:
    """One device's entrance-line record and zone record of the interval starting ``at``."""
    m = int((at - YEAR_START).total_seconds()) % 86400 // interval_s  # the interval of its local day
    gerai = f"gerai-{index // len(SITES) % 4}"
    role = "staff" if index % 2 == 0 else "queue"
    zone = f"{gerai}-{role}"
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    busy = (m + index * 7) % 11
    counts = LineCounts.model_construct(
        schema_version=1, kind="counts", site=site, device=device, timezone="Asia/Jakarta",
        interval_start=at, interval_s=interval_s, observed_s=float(interval_s), line="pintu",
        role="entrance", in_count=busy % 4, out_count=busy % 3,
        message_id=f"{site}/{device}/counts/pintu/{stamp}")  # fmt: skip
    occupancy = ZoneOccupancy.model_construct(
        schema_version=1, kind="occupancy", site=site, device=device, timezone="Asia/Jakarta",
        interval_start=at, interval_s=interval_s, observed_s=float(interval_s), zone=zone, role=role,
        gerai=gerai, mean_count=busy / 5, max_count=busy // 5 + 1,
        occupied_s=float(interval_s) if busy else 0.0, visits=busy % 2,
        dwells_s=(float(60 + busy * 30),) if busy % 2 else (),
        message_id=f"{site}/{device}/occupancy/{zone}/{stamp}")  # fmt: skip
    return counts, occupancy


def day_batch(day: int, devices: list[tuple[str, str, int]], interval_s: int) -> Batch:
    start = YEAR_START + timedelta(days=day)
    pairs = [device_records(site, device, index, start + timedelta(seconds=m * interval_s), interval_s)
             for site, device, index in devices for m in range(86400 // interval_s)]  # fmt: skip
    return Batch(counts=[c for c, _ in pairs], occupancy=[z for _, z in pairs])


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
    healthz_ms: list[float]  # on the API's port
    liveness_ms: list[float]  # on the liveness listener's
    failures: int


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(q * len(ordered)) - 1)]


def _dashboard_calls(site: str, today: str) -> list[tuple[str, dict[str, str | int]]]:
    """The calls of collector/web/static/app.js, analytics.js and alerts.js with every card's default range
    (ranges.js: footfall and heat map the last 30 days, comparison the last 12 months, the rest today)."""
    day = date.fromisoformat(today)
    days30: dict[str, str | int] = {"start": (day - timedelta(days=29)).isoformat(), "end": today}
    first = day.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    on_day: dict[str, str | int] = {"start": today, "end": today}
    months12: dict[str, str | int] = {"start": first.isoformat(), "end": today}
    return [
        (f"/api/v1/sites/{site}/kpi", {}),
        (f"/api/v1/sites/{site}/footfall", {**days30, "granularity": "day"}),
        ("/api/v1/footfall", {**months12, "sites": ",".join(SITES), "granularity": "month"}),
        (f"/api/v1/sites/{site}/occupancy/live", {}),
        ("/api/v1/devices", {"site": site}),
        (f"/api/v1/sites/{site}/occupancy", {**on_day, "resolution": "5m"}),
        (f"/api/v1/sites/{site}/gerai", {}),
        (f"/api/v1/sites/{site}/staffing", on_day),
        (f"/api/v1/sites/{site}/footfall/heatmap", days30),
        (f"/api/v1/sites/{site}/waiting", on_day),
        (f"/api/v1/sites/{site}/alerts", {"limit": 20}),
    ]


class Browser:
    """One user's browser as the API sees it: up to six kept-alive HTTP/1.1 connections, GET only. Much
    lighter than an httpx client: on a 2-core machine the clients' CPU is taken from the server measured,
    and real browsers run elsewhere."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._gate = asyncio.Semaphore(BROWSER_CONNECTIONS)

    async def get(self, path: str, params: dict[str, str | int] | None = None) -> int:
        """The response's status; its body is read whole."""
        async with self._gate:
            reader, writer = self._idle.pop() if self._idle else await asyncio.open_connection(self.host, self.port)
            target = f"{path}?{urlencode(params)}" if params else path
            writer.write(
                f"GET {target} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode()
            )
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            status = int(head.split(" ", 2)[1])
            if "transfer-encoding: chunked" in head:
                while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                    await reader.readexactly(size + 2)
                await reader.readuntil(b"\r\n")
            else:
                length = head.split("content-length:", 1)[1].split("\r\n", 1)[0]
                await reader.readexactly(int(length))
            self._idle.append((reader, writer))
            return status

    def close(self) -> None:
        for _, writer in self._idle:
            writer.close()


async def _full_load(browser: Browser, site: str, today: str) -> None:
    for path in ("/api/v1/me", "/api/v1/sites"):
        if await browser.get(path) != 200:
            raise RuntimeError(f"{path} failed")

    async def one(path: str, params: dict[str, str | int]) -> None:
        t0 = time.perf_counter()
        status = await browser.get(path, params)
        if time.perf_counter() - t0 > SLOW_CALL_S:
            print(f"slow: {path} {params} {time.perf_counter() - t0:.1f} s", flush=True)
        if status != 200:
            raise RuntimeError(f"{path} {params}: {status}")

    await asyncio.gather(*(one(p, q) for p, q in _dashboard_calls(site, today)))


def _fresh_get(base: str, path: str) -> int:
    """A GET on a new connection, as a supervisor's probe (curl, Docker) makes it; the status. Plain sockets:
    an httpx client per probe would spend more CPU than the answer itself."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def _probe(base: str, liveness: str, ready: Any, stop: Any, results: Any) -> None:
    """/healthz every 100 ms from a process of its own, as a supervisor asks (in the clients' process it
    would wait for their event loop, not the server's): on the API's port, then on the liveness listener."""
    took: list[float] = []
    took_liveness: list[float] = []
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            t0 = time.perf_counter()
            client.get("/healthz").raise_for_status()
            took.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            if _fresh_get(liveness, "/healthz") != 200:
                raise RuntimeError("the liveness listener did not answer 200")
            took_liveness.append((time.perf_counter() - t0) * 1000)
            ready.set()
            time.sleep(0.1)
    results.put((took[1:], took_liveness[1:]))  # the first went out before the loads


async def _run(base: str, liveness: str, today: str, sites: list[str], rounds: int) -> Figures:
    """``rounds`` times: one full load per item of ``sites``, all at once; /healthz probed meanwhile."""
    loads: list[float] = []
    failures = 0
    spawn = multiprocessing.get_context("spawn")
    ready, stop, results = spawn.Event(), spawn.Event(), spawn.Queue()
    prober = spawn.Process(target=_probe, args=(base, liveness, ready, stop, results))
    prober.start()
    ready.wait(60)

    # One browser per user for all rounds, as a browser keeps its connections.
    host, port = base.removeprefix("http://").split(":")
    browsers = [Browser(host, int(port)) for _ in sites]

    async def user(browser: Browser, site: str) -> None:
        nonlocal failures
        t0 = time.perf_counter()
        try:
            await _full_load(browser, site, today)
        except (OSError, RuntimeError, asyncio.IncompleteReadError) as exc:
            failures += 1
            print(f"load failed: {type(exc).__name__} {exc}", flush=True)
            return
        loads.append((time.perf_counter() - t0) * 1000)

    for _ in range(rounds):
        await asyncio.gather(*(user(browser, site) for browser, site in zip(browsers, sites, strict=True)))
    for browser in browsers:
        browser.close()
    stop.set()
    probes, liveness_probes = results.get(timeout=60)
    prober.join(timeout=10)
    return Figures(loads, probes, liveness_probes, failures)


class LiveWriter(threading.Thread):
    """Ingest meanwhile, in the API's process as in the collector: every ``every_s`` one device's records of a
    minute of today before the API's clock, through ``Store.write`` (a redelivered copy is a write too: the
    report cache drops what it touches)."""

    def __init__(self, store: Store, devices: int, interval_s: int, now: datetime, every_s: float) -> None:
        super().__init__(daemon=True)
        self.store, self.devices, self.interval_s, self.now, self.every_s = store, devices, interval_s, now, every_s
        self.stop = threading.Event()
        self.writes = 0

    def run(self) -> None:
        names = devices_of(self.devices)
        while not self.stop.wait(self.every_s):
            site, device, index = names[self.writes % len(names)]
            minute = self.now - timedelta(seconds=self.interval_s * (1 + self.writes // len(names)))
            counts, zone = device_records(site, device, index, minute, self.interval_s)
            self.store.write(Batch(counts=[counts], occupancy=[zone]))
            self.writes += 1


def _serve(
    url: str, data_dir: Path, now: datetime, ports: tuple[int, int], args: argparse.Namespace, control: Any
) -> None:
    """The API in a process of its own (its clients are browsers elsewhere, not threads beside it), with
    the collector's liveness listener."""
    port, health_port = ports
    store = open_store(url)
    liveness = LivenessListener("127.0.0.1", health_port)
    app = create_app(
        Settings(SecretStr(TOKEN), data_dir), store, clock=lambda: now, heartbeat=lambda: liveness.beat(True)
    )
    server = build_server(app, "127.0.0.1", port)  # the collector's own server: h11, its limits
    # Keep-alive longer than any wait: the server closes a connection idle for 5 s, and a client then
    # sending on it gets "Server disconnected" (a browser retries; httpx does not).
    server.config.timeout_keep_alive = 1200
    writer = LiveWriter(store, args.devices, args.interval_s, now, args.live_write_every_s)

    def steer() -> None:
        control["start_writes"].wait()
        cpu_s = time.process_time()
        if args.live_write_every_s > 0:
            writer.start()
        control["stop"].wait()
        writer.stop.set()
        control["writes"].value = writer.writes
        control["cpu_s"].value = time.process_time() - cpu_s
        server.should_exit = True

    threading.Thread(target=steer, daemon=True).start()
    server.run()
    liveness.stop()
    store.close()


def measure(url: str, data_dir: Path, args: argparse.Namespace) -> tuple[Figures, Figures, int, float]:
    """The first load of each site on an empty cache (one after another), then CLIENTS loads at once x ROUNDS;
    with the number of live writes made meanwhile and the API process's CPU seconds over those rounds."""
    last_day = YEAR_START + timedelta(days=args.days - 1)
    now = last_day + timedelta(hours=15)  # 15:00 WIB of the last seeded day
    port, health_port = free_port(), free_port()
    spawn = multiprocessing.get_context("spawn")
    control: dict[str, Any] = {
        "start_writes": spawn.Event(),
        "stop": spawn.Event(),
        "writes": spawn.Value("i", 0),
        "cpu_s": spawn.Value("d", 0.0),
    }
    process = spawn.Process(target=_serve, args=(url, data_dir, now, (port, health_port), args, control))
    process.start()
    base, liveness = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{health_port}"
    while True:
        try:
            httpx.get(f"{base}/healthz", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            if not process.is_alive():
                raise RuntimeError("the API process died") from None
            time.sleep(0.1)
    today = (now + timedelta(hours=7)).date().isoformat()
    try:
        cold = Figures([], [], [], 0)
        for site in SITES:
            one = asyncio.run(_run(base, liveness, today, [site], 1))
            cold = Figures(cold.loads_ms + one.loads_ms, cold.healthz_ms + one.healthz_ms,
                           cold.liveness_ms + one.liveness_ms, cold.failures + one.failures)  # fmt: skip
        control["start_writes"].set()
        users = [SITES[n % len(SITES)] for n in range(args.clients)]
        loaded = asyncio.run(_run(base, liveness, today, users, args.rounds))
    finally:
        control["start_writes"].set()
        control["stop"].set()
        process.join(timeout=60)
    return cold, loaded, int(control["writes"].value), float(control["cpu_s"].value)


def report(label: str, figures: Figures) -> None:
    loads, probes, lively = figures.loads_ms, figures.healthz_ms, figures.liveness_ms
    if not loads:
        print(f"{label}: every load failed ({figures.failures})", flush=True)
        return
    print(
        f"{label}: {len(loads)} full loads, failures {figures.failures}: "
        f"p50 {statistics.median(loads):,.0f} ms, p95 {_p(loads, 0.95):,.0f} ms, max {max(loads):,.0f} ms; "
        f"/healthz ({len(probes)} probes) p50 {statistics.median(probes):.1f} ms, "
        f"p95 {_p(probes, 0.95):.1f} ms, max {max(probes):.1f} ms; liveness listener /healthz p50 "
        f"{statistics.median(lively):.1f} ms, p95 {_p(lively, 0.95):.1f} ms, max {max(lively):.1f} ms",
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
        "--live-write-every-s",
        type=float,
        default=0.0,
        help="meanwhile write one device's records of a minute every N s (0: none; 2: 30 devices at 60 s)",
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    seed_key = {"days": args.days, "devices": args.devices, "interval_s": args.interval_s, "sites": len(SITES)}
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}", flush=True)
    for kind in args.store:
        with bench_store(kind, args.workdir) as url:
            marker, reuse = seeded_marker(args.workdir, kind, seed_key)
            if not reuse:
                started = time.perf_counter()
                chunks = [list(range(args.days))[w :: args.workers] for w in range(args.workers)]
                jobs = [(url, c, args.devices, args.interval_s, kind == "influxdb") for c in chunks]
                with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
                    rows = sum(pool.map(_seed_worker, jobs))
                seconds = time.perf_counter() - started
                marker.write_text(json.dumps({"seed": seed_key, "rows": rows, "seconds": seconds}))
                print(f"{kind}: seeded {rows:,} rows in {seconds:.0f} s", flush=True)
            cold, loaded, writes, cpu_s = measure(url, args.workdir / f"var-{kind}", args)
            report(f"{kind}: first load of each site, empty cache, one at a time", cold)
            report(f"{kind}: {args.clients} at once x {args.rounds} rounds, {writes} live writes meanwhile", loaded)
            print(f"{kind}: API process {cpu_s:.2f} CPU-s over those rounds, "
                  f"{cpu_s / max(len(loaded.loads_ms), 1) * 1000:.1f} ms a load", flush=True)  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}", flush=True)


if __name__ == "__main__":
    main()
