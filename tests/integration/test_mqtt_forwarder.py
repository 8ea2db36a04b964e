"""Outbox -> Forwarder -> MqttLink against a real mosquitto."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.config import MqttConfig, OutboxConfig
from edge.outbox.forwarder import Forwarder
from edge.outbox.mqtt_link import MqttLink
from edge.outbox.sqlite_outbox import SqliteOutbox
from tests.mqtt_support import Recorder
from tests.services import MosquittoBroker, free_port
from wire import LineCounts, ZoneOccupancy

START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


@pytest.fixture
def broker(mosquitto: MosquittoBroker) -> MosquittoBroker:
    return mosquitto


def records(count: int, device: str = "dev-1") -> list[LineCounts | ZoneOccupancy]:
    out: list[LineCounts | ZoneOccupancy] = []
    for i in range(count):
        common = {
            "site": "site-a",
            "device": device,
            "timezone": "Asia/Jakarta",
            "interval_s": 10,
            "observed_s": 10.0,
            "interval_start": START + timedelta(seconds=10 * i),
        }
        out.append(LineCounts(**common, line="pintu", role="entrance", in_count=i % 7, out_count=i % 5))
        out.append(
            ZoneOccupancy(
                **common,
                zone="loket-1",
                role="visitor",
                mean_count=0.5,
                max_count=1,
                occupied_s=5.0,
                visits=1,
                dwells_s=(4.5,),
            )
        )
    return out


def test_every_record_published_once_and_deleted_after_puback(broker: MosquittoBroker, tmp_path: Path) -> None:
    batch = records(1000)
    outbox = SqliteOutbox(OutboxConfig(path=tmp_path / "outbox.db"))
    for i in range(0, len(batch), 20):
        outbox.put(batch[i : i + 20])
    recorder = Recorder(broker.port, None, None)
    link = MqttLink(MqttConfig(url=broker.url), "site-a", "dev-1")
    link.set_max_inflight(50)
    forwarder = Forwarder(outbox, link, window=50)
    try:
        assert recorder.connected.wait(5)
        link.start()
        forwarder.start()
        assert forwarder.wait_drained(60)
        recorder.wait_for(lambda: len(recorder.records()) == len(batch), 10, "every record")
    finally:
        forwarder.stop()
        link.stop()
        recorder.close()
    assert recorder.records() == {r.message_id for r in batch}
    assert max(recorder.counts.values()) == 1  # no outage, so no redelivery either
    assert outbox.depth() == 0 and forwarder.published == len(batch)
    outbox.close()


def test_put_does_not_wait_for_an_unreachable_broker(tmp_path: Path) -> None:
    outbox = SqliteOutbox(OutboxConfig(path=tmp_path / "outbox.db"))
    link = MqttLink(MqttConfig(url=f"mqtt://127.0.0.1:{free_port()}"), "site-a", "dev-1")
    forwarder = Forwarder(outbox, link)
    link.start()
    forwarder.start()
    try:
        slowest_s = 0.0
        for record in records(50):
            started = time.perf_counter()
            outbox.put([record])
            slowest_s = max(slowest_s, time.perf_counter() - started)
        assert slowest_s < 0.5  # one local SQLite commit, however long the broker is away
        assert not forwarder.wait_drained(1.0)
        assert outbox.depth() == 100
    finally:
        forwarder.stop()
        link.stop()
    outbox.close()


@pytest.mark.slow
def test_records_held_during_outage_arrive_after_broker_restart(broker: MosquittoBroker, tmp_path: Path) -> None:
    outbox = SqliteOutbox(OutboxConfig(path=tmp_path / "outbox.db"))
    recorder = Recorder(broker.port, None, None)
    link = MqttLink(MqttConfig(url=broker.url), "site-a", "dev-1")
    forwarder = Forwarder(outbox, link)
    batch = records(100)
    try:
        assert recorder.connected.wait(5)
        link.start()
        forwarder.start()
        outbox.put(batch[:100])
        assert forwarder.wait_drained(10)
        broker.stop()
        outbox.put(batch[100:])  # written while the broker is down
        assert outbox.depth() == 100
        broker.start()
        assert forwarder.wait_drained(40)
        recorder.wait_for(lambda: recorder.records() == {r.message_id for r in batch}, 10, "every record")
        assert link.reconnects == 1
    finally:
        forwarder.stop()
        link.stop()
        recorder.close()
    outbox.close()


@pytest.mark.parametrize("broker_up_before_restart", [True, False], ids=["delivered", "waiting"])
def test_a_restart_within_an_interval_sends_no_second_copy_of_it(
    broker: MosquittoBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture, broker_up_before_restart: bool
) -> None:
    """A stop flushes the current interval; a run restarted within that interval counts its rest under the
    same message_id. The collector keeps the first copy of a message_id (another copy is a conflict), so the
    rest must not travel as a second copy, nor vanish without a word in the outbox."""

    def interval(start: datetime, observed_s: float, in_count: int) -> list[LineCounts | ZoneOccupancy]:
        common = {"site": "site-a", "device": "dev-1", "timezone": "Asia/Jakarta", "interval_s": 60}
        return [
            LineCounts(**common, interval_start=start, observed_s=observed_s, line="pintu", role="entrance",
                       in_count=in_count, out_count=0),
            ZoneOccupancy(**common, interval_start=start, observed_s=observed_s, zone="loket-1", role="visitor",
                          mean_count=0.5, max_count=1, occupied_s=observed_s / 2, visits=in_count, dwells_s=()),
        ]  # fmt: skip

    before_stop = interval(START, 20.0, 3)  # the first run, flushed at SIGTERM 20 s into the minute
    rest = interval(START, 15.0, 2)  # the next run, from 45 s on: the same minute, the same message_ids
    following = interval(START + timedelta(seconds=60), 60.0, 5)
    path = tmp_path / "outbox.db"
    recorder = Recorder(broker.port, None, None)
    assert recorder.connected.wait(5)
    try:
        for connect, batches in ((broker_up_before_restart, [before_stop]), (True, [rest, following])):
            outbox = SqliteOutbox(OutboxConfig(path=path))
            link = MqttLink(MqttConfig(url=broker.url), "site-a", "dev-1")
            forwarder = Forwarder(outbox, link)
            if connect:
                link.start()
                forwarder.start()
            for batch in batches:
                outbox.put(batch)
            if connect:
                assert forwarder.wait_drained(10)
                forwarder.stop()
                link.stop()
            outbox.close()
        wanted = {r.message_id for r in before_stop + following}
        recorder.wait_for(lambda: recorder.records() >= wanted, 10, "every record")
        time.sleep(0.5)  # a second copy would arrive right behind
    finally:
        recorder.close()
    copies: dict[str, set[bytes]] = {}
    for topic, payloads in recorder.payloads.items():
        if "/status" not in topic:
            for payload in payloads:
                copies.setdefault(json.loads(payload)["message_id"], set()).add(payload)
    assert {m for m, c in copies.items() if len(c) > 1} == set(), "a second, different copy of an interval was sent"
    assert recorder.records() == wanted
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "previous run" in r.getMessage()]
    assert len(warnings) == 1 and "2026-01-05T02:00:00Z" in warnings[0], warnings


def test_a_full_disk_is_retried_at_the_idle_pace_not_in_a_busy_loop(broker: MosquittoBroker, tmp_path: Path) -> None:
    """Records the disk cannot take wait in memory and the forwarder retries them; it must not spin a core
    (on a Pi the frame loop needs it) while the disk stays full."""
    outbox = SqliteOutbox(OutboxConfig(path=tmp_path / "outbox.db"))
    outbox.put(records(1))
    # A full disk, by SQLite's own limit: the database may not grow any more.
    (pages,) = outbox._db.execute("PRAGMA page_count").fetchone()
    outbox._db.execute(f"PRAGMA max_page_count={pages}")
    link = MqttLink(MqttConfig(url=broker.url), "site-a", "dev-1")
    forwarder = Forwarder(outbox, link)
    writes: list[str] = []
    try:
        link.start()
        forwarder.start()
        assert forwarder.wait_drained(10)
        outbox._db.set_trace_callback(lambda sql: writes.append(sql) if sql.startswith("BEGIN") else None)
        outbox.put(records(100)[2:])
        assert outbox.unsaved() == 198
        time.sleep(2.0)
        attempts = len(writes)
        outbox._db.execute("PRAGMA max_page_count=1073741823")  # space again
        assert forwarder.wait_drained(10)
    finally:
        forwarder.stop()
        link.stop()
    assert attempts <= 10, f"{attempts} write attempts in 2 s"  # one per idle wait (0.5 s) and the put
    assert forwarder.published == 200
    outbox.close()
