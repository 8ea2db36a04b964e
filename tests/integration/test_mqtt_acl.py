"""The project's broker config (deploy/mosquitto) with accounts made by the real mpp-provision."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from collector.config import from_args
from collector.ingest import IngestService
from collector.storage import open_store
from edge.config import MqttConfig, OutboxConfig, load_config
from edge.outbox.forwarder import Forwarder
from edge.outbox.mqtt_link import MqttLink, PublishResult
from edge.outbox.sqlite_outbox import SqliteOutbox
from tests.integration.test_ingest_pipeline import T0, expected_totals, stored_totals, synthetic_records
from tests.mqtt_support import Recorder, SecuredBroker


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[SecuredBroker]:
    secured = SecuredBroker(tmp_path / "secured")
    secured.broker.start()
    yield secured
    secured.broker.stop()


def _connack(port: int, username: str | None, password: str | None) -> str:
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    if username:
        client.username_pw_set(username, password)
    results: list[str] = []
    client.on_connect = lambda _c, _u, _f, rc, _p: results.append(str(rc))
    client.connect("127.0.0.1", port)
    deadline = time.monotonic() + 5
    while not results and time.monotonic() < deadline:
        client.loop(0.1)
    client.disconnect()
    return results[0] if results else "no CONNACK"


def test_device_writes_only_its_own_topics_and_anonymous_is_refused(secured: SecuredBroker) -> None:
    config_a = load_config(secured.add_device("site-a", "dev-1"))  # the starter config is valid as written
    secured.add_device("site-a", "dev-2")
    secured.reload()
    assert config_a.mqtt.username == "site-a/dev-1" and config_a.mqtt.password_file is not None
    assert config_a.mqtt.password_file.stat().st_mode & 0o077 == 0  # the secret file is private

    recorder = Recorder(
        secured.broker.port, "collector", secured.collector_password, topic="$share/collectors/mpp/v1/#"
    )
    link = MqttLink(config_a.mqtt, "site-a", "dev-1")
    results: list[PublishResult] = []
    link.add_publish_listener(results.append)
    try:
        assert recorder.connected.wait(5), recorder.refused
        link.start()
        assert link.wait_connected(5)
        recorder.wait_for(lambda: "online" in recorder.status, 5, "retained online status")

        forged = link.publish("mpp/v1/site-a/dev-2/counts", b'{"message_id": "forged"}')
        own = link.publish("mpp/v1/site-a/dev-1/counts", b'{"message_id": "own"}')
        assert forged is not None and own is not None
        recorder.wait_for(lambda: "own" in recorder.counts, 5, "the device's own message")
        recorder.wait_for(lambda: len(results) >= 2, 5, "PUBACKs")
        by_mid = {r.mid: r for r in results}
        # Published in order on one connection: had "forged" been accepted it would have arrived first.
        assert "forged" not in recorder.counts
        assert not by_mid[forged].ok and by_mid[forged].reason == "Not authorized"
        assert by_mid[own].ok
    finally:
        assert link.stop()
        recorder.close()
    assert recorder.status[-1] == "offline"  # clean shutdown publishes offline

    assert _connack(secured.broker.port, None, None) == "Not authorized"
    assert _connack(secured.broker.port, "site-a/dev-1", "wrong") == "Not authorized"  # mosquitto 2.0 says 135
    assert _connack(secured.broker.port, "site-a/dev-1", config_a.mqtt.resolve_password()) == "Success"


def test_collector_account_reads_but_cannot_publish(secured: SecuredBroker) -> None:
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    client.username_pw_set("collector", secured.collector_password)
    acks: list[str] = []
    client.on_publish = lambda _c, _u, _mid, rc, _p: acks.append(str(rc))
    client.connect("127.0.0.1", secured.broker.port)
    client.loop_start()
    try:
        client.publish("mpp/v1/site-a/dev-1/counts", b"{}", qos=1).wait_for_publish(5)
        deadline = time.monotonic() + 5
        while not acks and time.monotonic() < deadline:
            time.sleep(0.02)
        assert acks == ["Not authorized"]
    finally:
        client.disconnect()
        client.loop_stop()


@pytest.mark.slow
def test_bad_password_is_one_error_naming_the_settings(
    secured: SecuredBroker, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secured.add_device("site-a", "dev-1")
    secured.reload()
    monkeypatch.setenv("MPP_TEST_BAD_PASSWORD", "not-the-password")
    config = MqttConfig(url=secured.broker.url, username="site-a/dev-1", password_env="MPP_TEST_BAD_PASSWORD")
    link = MqttLink(config, "site-a", "dev-1")
    with caplog.at_level(logging.WARNING, logger="edge.outbox.mqtt_link"):
        link.start()
        time.sleep(4)  # several refused attempts (backoff 1 s, 2 s ...)
        link.stop()
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1, errors
    assert "broker refused the connection: Not authorized" in errors[0]
    assert "mqtt.username" in errors[0] and "mqtt.password_env=MPP_TEST_BAD_PASSWORD" in errors[0]
    assert "not-the-password" not in caplog.text
    assert not link.connected


def test_record_refused_by_acl_stays_in_outbox(
    secured: SecuredBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from datetime import UTC, datetime

    from wire import LineCounts

    config = load_config(secured.add_device("site-a", "dev-1"))
    secured.reload()
    outbox = SqliteOutbox(OutboxConfig(path=tmp_path / "outbox.db"))
    # A record for another device (e.g. a config copied without changing mqtt.username).
    foreign = LineCounts(
        site="site-a",
        device="dev-2",
        timezone="Asia/Jakarta",
        interval_start=datetime(2026, 1, 5, 2, tzinfo=UTC),
        interval_s=60,
        observed_s=60.0,
        line="pintu",
        role="entrance",
        in_count=1,
        out_count=0,
    )
    own = foreign.model_copy(update={"device": "dev-1", "message_id": ""})
    own = LineCounts.model_validate(own.model_dump())
    outbox.put([foreign, own])
    link = MqttLink(config.mqtt, "site-a", "dev-1")
    forwarder = Forwarder(outbox, link)
    with caplog.at_level(logging.WARNING):
        link.start()
        forwarder.start()
        deadline = time.monotonic() + 10
        while outbox.depth() != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        forwarder.stop()
        link.stop()
    assert [r.message_id for r in outbox.pending(10)] == [foreign.message_id]  # kept, never deleted
    assert any(
        "broker refused a record (Not authorized)" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records
    )
    outbox.close()


# --- Client ids bound to accounts, payload limits ------------------------------------------------


def _hold_session(port: int, username: str, password: str | None, client_id: str) -> paho.Client:
    """A persistent v5 session under ``client_id``, held open; what an attacker with device credentials does."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5)
    client.username_pw_set(username, password)
    connected: list[str] = []
    client.on_connect = lambda _c, _u, _f, rc, _p: connected.append(str(rc))
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 3600
    client.connect("127.0.0.1", port, clean_start=False, properties=props)
    client.loop_start()
    deadline = time.monotonic() + 5
    while not connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert connected == ["Success"], connected
    return client


def test_device_cannot_take_over_the_collectors_session(secured: SecuredBroker, tmp_path: Path) -> None:
    victim = load_config(secured.add_device("mpp-a", "cam-1"))
    attacker = load_config(secured.add_device("mpp-a", "cam-2"))
    secured.reload()
    password_file = tmp_path / "collector-password"
    password_file.write_text(secured.collector_password + "\n")
    settings = from_args(
        ["--mqtt-url", f"mqtt://collector@127.0.0.1:{secured.broker.port}", "--store", f"sqlite:///{tmp_path}/mpp.db",
         "--data-dir", str(tmp_path / "var"), "--batch-latency-ms", "50"],
        {"MPP_MQTT_PASSWORD_FILE": str(password_file)},
    )  # fmt: skip
    store = open_store(settings.store)
    ingest = IngestService(settings, store)
    ingest.start()
    assert ingest.subscriber.subscribed.wait(10)
    ingest.stop()  # the collector is down; its persistent session queues what devices send

    # The attacker takes the collector's client id while the records arrive and holds it.
    hijack = _hold_session(
        secured.broker.port, "mpp-a/cam-2", attacker.mqtt.resolve_password(), settings.mqtt.client_id
    )
    records = synthetic_records(20, devices=("cam-1",), start=T0)

    outbox = SqliteOutbox(OutboxConfig(path=tmp_path / "outbox.db"))
    outbox.put(records)
    link = MqttLink(victim.mqtt, "mpp-a", "cam-1")
    forwarder = Forwarder(outbox, link)
    link.start()
    forwarder.start()
    try:
        deadline = time.monotonic() + 15
        while outbox.depth() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert outbox.depth() == 0  # every record got a PUBACK, so the device deleted it
        time.sleep(0.5)
    finally:
        forwarder.stop()
        link.stop()
        outbox.close()
        hijack.disconnect()
        hijack.loop_stop()

    ingest = IngestService(settings, store)
    ingest.start()
    try:
        deadline = time.monotonic() + 15
        while stored_totals(store) != expected_totals(records) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        ingest.stop()
    totals = stored_totals(store)
    store.close()
    # (line in, line out, zone intervals, dwell samples) of all 20 records
    assert totals == expected_totals(records)


def test_device_cannot_disconnect_another_device_with_its_client_id(secured: SecuredBroker) -> None:
    victim = load_config(secured.add_device("site-a", "dev-1"))
    attacker = load_config(secured.add_device("site-a", "dev-2"))
    secured.reload()
    link = MqttLink(victim.mqtt, "site-a", "dev-1")
    link.start()
    assert link.wait_connected(5)
    hijacks = []
    try:
        # Every id the victim could be using: its default, its username.
        for client_id in ("mpp-site-a-dev-1", "site-a/dev-1"):
            hijacks.append(
                _hold_session(secured.broker.port, "site-a/dev-2", attacker.mqtt.resolve_password(), client_id)
            )
        time.sleep(2.5)  # the victim's link would have been cut and reconnected (1 s backoff) by now
        assert link.connected and link.reconnects == 0, "another device's login disconnected the victim"
    finally:
        for hijack in hijacks:
            hijack.disconnect()
            hijack.loop_stop()
        link.stop()


def test_oversize_payload_is_refused_by_the_broker(secured: SecuredBroker) -> None:
    config = load_config(secured.add_device("site-a", "dev-1"))
    secured.reload()
    recorder = Recorder(secured.broker.port, "collector", secured.collector_password)
    link = MqttLink(config.mqtt, "site-a", "dev-1")
    results: list[PublishResult] = []
    link.add_publish_listener(results.append)
    try:
        assert recorder.connected.wait(5), recorder.refused
        link.start()
        assert link.wait_connected(5)
        big = b'{"message_id": "big", "pad": "' + b"x" * (100 * 1024) + b'"}'
        small = b'{"message_id": "small"}'
        big_mid = link.publish("mpp/v1/site-a/dev-1/counts", big)
        recorder.wait_for(lambda: bool(results) or not link.connected, 5, "the broker's answer to the big one")
        link.wait_connected(5)
        link.publish("mpp/v1/site-a/dev-1/counts", small)
        recorder.wait_for(lambda: "small" in recorder.counts, 5, "the small message after the big one")
        assert "big" not in recorder.counts
        assert all(not r.ok for r in results if r.mid == big_mid)
    finally:
        link.stop()
        recorder.close()
