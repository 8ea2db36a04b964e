"""Single messages that used to stop ingest or break the API, against the real
broker, the real collector and the real stores; and what happens if the ingest
writer dies all the same."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from collector.api import create_app
from collector.config import CollectorSettings
from collector.ingest import IngestService
from collector.storage import Batch, Store, open_store
from tests.integration.test_api_stores import HEADERS, ApiSettings
from tests.integration.test_ingest_pipeline import (
    Publisher,
    health_of,
    publisher,
    recent_monday,
    settings_for,
    store_url,
    synthetic_records,
    wait_until,
)
from tests.integration.test_ingest_recovery import collector_process
from tests.services import MosquittoBroker, free_port
from wire import DeviceState, LineCounts, Status, encode

if TYPE_CHECKING:
    from collector.storage import Conflict

__all__ = ["publisher"]  # the fixture, re-used

T0 = recent_monday(1, 1)


def poison(in_count: int = 10**20, start: datetime = T0) -> tuple[str, bytes]:
    good = LineCounts(site="mpp-a", device="cam-1", timezone="Asia/Jakarta", interval_start=start, interval_s=60,
                      observed_s=60, line="pintu", role="entrance", in_count=1, out_count=1)  # fmt: skip
    return str(good.topic), json.dumps({**json.loads(encode(good)), "in_count": in_count}).encode()


def healthz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:  # not listening (yet)
        return 0


def stored_lines(store: Store) -> int:
    """Zone records stored (half of what synthetic_records makes)."""
    lo, hi = T0 - timedelta(days=2), T0 + timedelta(days=2)
    return len(store.zone_intervals("mpp-a", lo, hi))


def stored_records(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT (SELECT count(*) FROM line_counts) + (SELECT count(*) FROM zone_occupancy)")
                   .fetchone()[0])  # fmt: skip


def test_overflowing_count_is_dead_lettered_and_ingest_goes_on_across_a_restart(
    mosquitto: MosquittoBroker, publisher: Publisher, tmp_path: Path
) -> None:
    """in_count = 10^20 used to kill the SQLite writer (OverflowError) and, redelivered, kill it
    again after every restart, with /healthz still 200."""
    url = store_url("sqlite", tmp_path, None)
    database = Path(url.removeprefix("sqlite:///"))
    client_id, port = f"poison-{uuid.uuid4().hex[:6]}", free_port()
    reader = open_store(url)
    process = collector_process(mosquitto, url, tmp_path, client_id, port)
    try:
        sentinel = synthetic_records(4, start=T0 - timedelta(days=1))
        deadline = time.monotonic() + 30
        while stored_lines(reader) == 0:
            assert time.monotonic() < deadline, "the collector never subscribed"
            publisher.messages(sentinel)
            time.sleep(0.3)
        assert stored_records(database) == 4

        publisher.raw([poison()])
        publisher.messages(synthetic_records(20, start=T0))
        wait_until(lambda: stored_records(database) == 24, 30, "the 20 valid messages after the poison")
        assert [d.topic for d in reader.dead_letters()] == [poison()[0]]
        assert "in_count" in reader.dead_letters()[0].reason
        wait_until(lambda: healthz(port) == 200, 30, "/healthz")

        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
        process = collector_process(mosquitto, url, tmp_path, client_id, port)
        publisher.raw([poison(2**63 - 1)])
        publisher.messages(synthetic_records(10, start=T0 + timedelta(hours=1)))
        wait_until(lambda: stored_records(database) == 34, 30, "10 more valid messages after the restart")
        time.sleep(1)  # a redelivery loop would add dead letters now
        assert len(reader.dead_letters()) == 2
        wait_until(lambda: healthz(port) == 200, 10, "/healthz")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(15) == 0, (tmp_path / "collector.log").read_text()[-3000:]
        finally:
            if process.poll() is None:
                process.kill()
            reader.close()


class RefusingStore:
    """The real store, except that a batch holding a count record with in_count 13 fails the
    way a driver or a bug might: with ``errors`` in turn (a fault injected for the test)."""

    def __init__(self, store: Store, errors: Sequence[BaseException]) -> None:
        self._store = store
        self._errors = errors
        self.raised: list[str] = []

    def write(self, batch: Batch) -> list[Conflict]:
        if any(c.in_count == 13 for c in batch.counts):
            error = self._errors[len(self.raised) % len(self._errors)]
            self.raised.append(type(error).__name__)
            raise error
        return self._store.write(batch)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


POISONS = [OverflowError("Python int too large to convert to SQLite INTEGER"), ValueError("bad value"),
           TypeError("bad type"), KeyError("k"), RuntimeError("driver bug"), ZeroDivisionError("x"),
           MemoryError()]  # fmt: skip


@pytest.fixture(params=["sqlite", "influxdb"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    server = request.getfixturevalue("influxdb") if request.param == "influxdb" else None
    return store_url(str(request.param), tmp_path, server)


def test_no_exception_from_a_store_write_stops_the_writer(
    mosquitto: MosquittoBroker, publisher: Publisher, url: str, tmp_path: Path
) -> None:
    settings = settings_for(mosquitto, url, tmp_path, "--batch-size", "50")
    store = RefusingStore(open_store(settings.store), POISONS)
    ingest = IngestService(settings, store)
    ingest.start()
    try:
        assert ingest.subscriber.subscribed.wait(10)
        valid = synthetic_records(400, start=T0)
        items = []
        for i, record in enumerate(valid):
            items.append((str(record.topic), encode(record)))
            if i % 50 == 25:
                _, payload = poison(13, T0 + timedelta(days=1, minutes=i))
                items.append(("mpp/v1/mpp-a/cam-1/counts", payload))
        publisher.raw(items)
        wait_until(lambda: ingest.stats().acked >= len(items), 60, "every message acknowledged")
        assert ingest.alive()
        assert set(store.raised) == {type(e).__name__ for e in POISONS}
        letters = store.dead_letters()
        assert len(letters) == 8
        assert {d.reason.split(":")[0] for d in letters} == {"store refused the record"}
        assert stored_lines(store) == 200
    finally:
        ingest.stop()
        store.close()


class Fatal(BaseException):
    """Escapes every `except Exception`: stands for whatever could still end the writer thread."""


def test_a_dead_writer_turns_healthz_to_503(mosquitto: MosquittoBroker, publisher: Publisher, tmp_path: Path) -> None:
    settings = settings_for(mosquitto, store_url("sqlite", tmp_path, None), tmp_path)
    deaths: list[BaseException] = []
    store = RefusingStore(open_store(settings.store), [Fatal("the end")])
    ingest = IngestService(settings, store, on_death=deaths.append)
    client = TestClient(create_app(ApiSettings(tmp_path / "var"), store, ingest_alive=ingest.alive))
    ingest.start()
    try:
        assert ingest.subscriber.subscribed.wait(10)
        assert client.get("/healthz").status_code == 200
        publisher.raw([poison(13)])
        wait_until(lambda: not ingest.alive(), 10, "the writer to die")
        response = client.get("/healthz")
        assert (response.status_code, response.json()) == (503, {"status": "ingest stopped"})
        assert [type(d) for d in deaths] == [Fatal]
    finally:
        ingest.stop()
        store.close()


def test_the_collector_exits_when_its_writer_dies(
    mosquitto: MosquittoBroker, publisher: Publisher, tmp_path: Path
) -> None:
    from collector.app import INGEST_DIED, CollectorApp

    settings: CollectorSettings = settings_for(mosquitto, store_url("sqlite", tmp_path, None), tmp_path)
    settings = settings.model_copy(update={"listen": settings.listen.model_copy(update={"port": free_port()})})
    app = CollectorApp(settings, open_store=lambda s: RefusingStore(open_store(s), [Fatal("the end")]))

    def send() -> None:
        deadline = time.monotonic() + 30
        while healthz(settings.listen.port) != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        publisher.raw([poison(13)])

    sender = threading.Thread(target=send)
    sender.start()
    started = time.monotonic()
    status = app.run()  # the main thread: uvicorn and the signal handlers need it
    sender.join()
    assert status == INGEST_DIED
    assert time.monotonic() - started < 30


def test_far_future_records_cannot_poison_last_seen(
    mosquitto: MosquittoBroker, publisher: Publisher, url: str, tmp_path: Path
) -> None:
    """A record dated 9999-12-31 made SQLite's last_seen year 10000 (500 on /devices, staffing and
    reports of every site); one dated 2099 switched the silent-device alarm off until 2099."""
    settings = settings_for(mosquitto, url, tmp_path)
    store = open_store(settings.store)
    ingest = IngestService(settings, store)
    ingest.start()
    now = datetime.now(UTC)
    try:
        assert ingest.subscriber.subscribed.wait(10)
        valid = synthetic_records(8, start=T0)
        health = health_of("cam-1", T0 + timedelta(minutes=5))
        status = Status(site="mpp-a", device="cam-1", state=DeviceState.ONLINE, ts=T0)
        _, doomsday = poison(1, T0)
        far = json.loads(doomsday)
        publisher.messages([*valid, health, status])
        publisher.raw([
            ("mpp/v1/mpp-a/cam-1/counts", json.dumps({**far, "interval_start": "9999-12-31T00:00:00Z",
                                                   "message_id": ""}).encode()),
            ("mpp/v1/mpp-a/cam-1/counts", json.dumps({**far, "interval_start": "2099-01-01T00:00:00Z",
                                                      "message_id": ""}).encode()),
            ("mpp/v1/mpp-a/cam-1/health", json.dumps({**json.loads(encode(health)), "ts": "2099-01-01T00:00:00Z",
                                                      "message_id": ""}).encode()),
            ("mpp/v1/mpp-a/cam-1/status", json.dumps({**json.loads(encode(status)),
                                                      "ts": "2099-01-01T00:00:00Z"}).encode()),
        ])  # fmt: skip
        wait_until(lambda: ingest.stats().acked >= len(valid) + 6, 30, "every message acknowledged")
        assert ingest.stats().dead_lettered == 4
        client = TestClient(create_app(ApiSettings(tmp_path / "var"), store, clock=lambda: now))
        devices = client.get("/api/v1/devices", headers=HEADERS)
        assert devices.status_code == 200, devices.text
        cam = next(d for d in devices.json() if d["device"] == "cam-1")
        last = max(health.ts, *(r.interval_start + timedelta(seconds=60) for r in valid if r.device == "cam-1"))
        assert datetime.fromisoformat(cam["last_seen"]) == last
        assert cam["silent"] is True and cam["state"] == "online"
        assert datetime.fromisoformat(cam["state_at"]) == T0
        day = (T0 + timedelta(hours=7)).date().isoformat()
        staffing = f"/api/v1/sites/mpp-a/staffing?start={day}&end={day}"
        for path in (staffing, "/api/v1/sites", "/api/v1/sites/mpp-a/gerai", "/api/v1/footfall?sites=mpp-a"):
            response = client.get(path, headers=HEADERS)
            assert response.status_code == 200, (path, response.text)
    finally:
        ingest.stop()
        store.close()
