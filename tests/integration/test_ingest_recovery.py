"""Failure scenarios with real parts: InfluxDB down for 30 s during ingest, and
the real `mpp-collector` SIGKILLed mid-ingest and restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from collector.ingest import IngestService
from collector.storage import open_store
from tests.integration.test_ingest_pipeline import (
    T0,
    Publisher,
    expected_totals,
    publisher,
    settings_for,
    store_url,
    stored_totals,
    synthetic_records,
    wait_until,
)
from tests.services import InfluxServer, MosquittoBroker, free_port

__all__ = ["publisher"]  # the fixture, re-used

OUTAGE_S = 30


@pytest.mark.slow
def test_influxdb_down_30s_during_ingest_loses_and_doubles_nothing(
    mosquitto: MosquittoBroker, publisher: Publisher, influxdb: InfluxServer, tmp_path: Path
) -> None:
    url = store_url("influxdb", tmp_path, influxdb)
    settings = settings_for(mosquitto, url, tmp_path, "--batch-size", "200")
    store = open_store(settings.store)
    ingest = IngestService(settings, store)
    ingest.start()
    records = synthetic_records(3000)
    try:
        assert ingest.subscriber.subscribed.wait(10)
        publisher.messages(records[:1000])
        wait_until(lambda: ingest.stats().acked >= 1000, 30, "first third acknowledged")

        influxdb.stop()
        stopped_at = time.monotonic()
        try:
            publisher.messages(records[1000:1500])
            time.sleep(OUTAGE_S / 2)
            acked_during = ingest.stats().acked
            publisher.messages(records[1500:2000])
            time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped_at)))
            stats = ingest.stats()
            # Nothing is acknowledged while the store cannot confirm it.
            assert stats.acked == acked_during == 1000 and not stats.store_ok and stats.write_failures > 0
        finally:
            influxdb.start()
        publisher.messages(records[2000:])
        wait_until(lambda: ingest.stats().acked >= 3000, 60, "every message acknowledged after the outage")
        assert ingest.stats().store_ok
        assert stored_totals(store) == expected_totals(records)
    finally:
        ingest.stop()
        store.close()


def collector_process(
    broker: MosquittoBroker, url: str, tmp_path: Path, client_id: str, port: int | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MPP_MQTT_URL": broker.url,
        "MPP_STORE_URL": url,
        "MPP_LISTEN": f"127.0.0.1:{port or free_port()}",
        "MPP_DATA_DIR": str(tmp_path / "var"),
        "MPP_CLIENT_ID": client_id,
        "MPP_BATCH_SIZE": "100",
    }
    script = Path(sys.executable).parent / "mpp-collector"
    log = (tmp_path / "collector.log").open("ab")
    return subprocess.Popen([str(script)], env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "influxdb"])
def test_sigkill_mid_ingest_then_restart_loses_and_doubles_nothing(
    kind: str, mosquitto: MosquittoBroker, publisher: Publisher, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue("influxdb") if kind == "influxdb" else None
    url = store_url(kind, tmp_path, server)
    client_id = f"kill-{uuid.uuid4().hex[:6]}"
    reader = open_store(url)
    process = collector_process(mosquitto, url, tmp_path, client_id)
    try:
        # Its persistent session exists once a first record comes through.
        sentinel = synthetic_records(4, start=T0 - timedelta(days=1))
        deadline = time.monotonic() + 30
        while stored_totals(reader)[2] == 0:  # published before it subscribed = not delivered; resend
            assert time.monotonic() < deadline, "the collector never subscribed"
            publisher.messages(sentinel)
            time.sleep(0.3)

        # Publish from a thread and kill while records still arrive: on a quiet machine the
        # collector keeps pace with a finished burst, so a kill after it would find nothing in flight.
        records = synthetic_records(20000)
        sending = threading.Thread(target=publisher.messages, args=(records,))
        sending.start()
        wait_until(lambda: stored_totals(reader)[2] > 300, 30, "ingest under way")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        sending.join()
        partial = stored_totals(reader)
        everything = expected_totals([*sentinel, *records])
        assert partial[2] < everything[2], "collector finished before it was killed; raise the record count"

        process = collector_process(mosquitto, url, tmp_path, client_id)
        wait_until(lambda: stored_totals(reader)[2] >= everything[2], 60, "the restarted collector to catch up")
        time.sleep(1)  # anything doubled would show up now
        assert stored_totals(reader) == everything
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(15) == 0, (tmp_path / "collector.log").read_text()[-3000:]
        finally:
            if process.poll() is None:
                process.kill()
            reader.close()


def test_broker_restart_collector_reconnects_and_resubscribes(mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    settings = settings_for(mosquitto, store_url("sqlite", tmp_path, None), tmp_path)
    store = open_store(settings.store)
    ingest = IngestService(settings, store)
    ingest.start()
    records = synthetic_records(400)
    try:
        assert ingest.subscriber.subscribed.wait(10)
        first = Publisher(mosquitto)
        first.messages(records[:200])
        wait_until(lambda: ingest.stats().acked >= 200, 30, "the first half")
        first.close()
        mosquitto.stop()
        wait_until(lambda: not ingest.subscriber.connected.is_set(), 10, "the collector to notice")
        mosquitto.start()
        # Whether or not the broker kept our session, on_connect subscribes again.
        assert ingest.subscriber.subscribed.wait(30), "no reconnect within 30 s"
        second = Publisher(mosquitto)
        second.messages(records[200:])
        second.close()
        # Not "acked >= 400": first-half messages whose PUBACK the stopped broker never got are
        # redelivered and acked again, so that count can run ahead of the second half.
        wait_until(lambda: stored_totals(store) == expected_totals(records), 30, "every record stored")
        time.sleep(1)  # anything doubled would show up now
        assert stored_totals(store) == expected_totals(records)
    finally:
        ingest.stop()
        store.close()
