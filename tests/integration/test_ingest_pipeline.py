"""Ingest end to end through a real mosquitto into each real store: synthetic
edge records at QoS 1, redelivery, hostile input, shared subscriptions."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collector.config import CollectorSettings, from_args
from collector.ingest import IngestService
from collector.storage import Store, open_store
from tests.services import InfluxServer, MosquittoBroker
from wire import CameraState, DeviceState, Health, LineCounts, Status, ZoneOccupancy, encode


def recent_monday(weeks_back: int, hour_utc: int) -> datetime:
    """A Monday some weeks before today: the collector refuses records older than a year."""
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday() + 7 * weeks_back)
    return datetime(monday.year, monday.month, monday.day, hour_utc, tzinfo=UTC)


T0 = recent_monday(4, 1)
WireOut = LineCounts | ZoneOccupancy | Health | Status


def store_url(kind: str, tmp_path: Path, influxdb: InfluxServer | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/mpp.db"
    assert influxdb is not None
    return f"influxdb://127.0.0.1:{influxdb.url.rsplit(':', 1)[1]}/t_{uuid.uuid4().hex[:12]}"


def settings_for(broker: MosquittoBroker, url: str, tmp_path: Path, *extra: str) -> CollectorSettings:
    return from_args(
        ["--mqtt-url", broker.url, "--store", url, "--data-dir", str(tmp_path / "var"),
         "--client-id", f"test-{uuid.uuid4().hex[:8]}", "--batch-latency-ms", "50", *extra],
        {},
    )  # fmt: skip


def synthetic_records(
    n: int, *, site: str = "mpp-a", devices: Sequence[str] = ("cam-1", "cam-2"), start: datetime = T0
) -> list[LineCounts | ZoneOccupancy]:
    """n interval records alternating counts and occupancy, deterministic values."""
    out: list[LineCounts | ZoneOccupancy] = []
    for i in range(n):
        device = devices[i % len(devices)]
        at = start + timedelta(minutes=i // (2 * len(devices)))
        if (i // len(devices)) % 2 == 0:
            out.append(LineCounts(
                site=site, device=device, timezone="Asia/Jakarta", interval_start=at, interval_s=60, observed_s=60,
                line="pintu", role="entrance", in_count=i % 7, out_count=i % 5,
            ))  # fmt: skip
        else:
            out.append(ZoneOccupancy(
                site=site, device=device, timezone="Asia/Jakarta", interval_start=at, interval_s=60, observed_s=60,
                zone="antrian", role="queue", mean_count=0.5, max_count=2, occupied_s=30.0, visits=i % 3,
                dwells_s=tuple(float(d) for d in range(i % 3)),
            ))  # fmt: skip
    return out


def health_of(device: str, at: datetime, site: str = "mpp-a") -> Health:
    return Health(
        site=site, device=device, timezone="Asia/Jakarta", ts=at, fps=15.0, effective_fps=7.5, gating_share=0.5,
        last_frame_age_s=0.1, camera_state=CameraState.OK, outbox_depth=0, dropped_records=0, reconnects=0,
        model="yolov8n", software_version="0.1.0", uptime_s=60,
    )  # fmt: skip


class Publisher:
    """A QoS 1 test publisher that waits for every PUBACK."""

    def __init__(self, broker: MosquittoBroker) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv5)  # fmt: skip
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def raw(self, items: Sequence[tuple[str, bytes]], timeout_s: float = 60) -> None:
        infos = [self.client.publish(topic, payload, qos=1) for topic, payload in items]
        deadline = time.monotonic() + timeout_s
        for info in infos:
            info.wait_for_publish(max(0.1, deadline - time.monotonic()))
            assert info.is_published(), "broker did not acknowledge a publish"

    def messages(self, messages: Sequence[WireOut]) -> None:
        self.raw([(str(m.topic), encode(m)) for m in messages])

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(mosquitto: MosquittoBroker) -> Iterator[Publisher]:
    pub = Publisher(mosquitto)
    yield pub
    pub.close()


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.1)


def expected_totals(records: Sequence[WireOut]) -> tuple[int, int, int, int]:
    counts = [r for r in records if isinstance(r, LineCounts)]
    zones = [r for r in records if isinstance(r, ZoneOccupancy)]
    return (sum(c.in_count for c in counts), sum(c.out_count for c in counts), len(zones),
            sum(len(z.dwells_s) for z in zones))  # fmt: skip


def stored_totals(store: Store, site: str = "mpp-a") -> tuple[int, int, int, int]:
    lo, hi = T0 - timedelta(days=2), T0 + timedelta(days=30)
    days = store.footfall([site], lo, hi, "day", "Asia/Jakarta")
    return (sum(d.in_count for d in days), sum(d.out_count for d in days), len(store.zone_intervals(site, lo, hi)),
            len(store.dwell_samples(site, lo, hi)))  # fmt: skip


@pytest.fixture(params=["sqlite", "influxdb"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def url(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    server = request.getfixturevalue("influxdb") if store_kind == "influxdb" else None
    return store_url(store_kind, tmp_path, server)


def test_synthetic_edge_records_end_to_end(
    mosquitto: MosquittoBroker, publisher: Publisher, url: str, tmp_path: Path
) -> None:
    settings = settings_for(mosquitto, url, tmp_path)
    store = open_store(settings.store)
    ingest = IngestService(settings, store)
    ingest.start()
    try:
        assert ingest.subscriber.subscribed.wait(10)
        records = synthetic_records(1200)
        status = Status(site="mpp-a", device="cam-1", state=DeviceState.ONLINE, ts=T0)
        health = [health_of("cam-1", T0 + timedelta(minutes=m)) for m in range(3)]
        publisher.messages([*records, status, *health])
        # A whole second delivery of the first 300 (what an edge outbox resend looks like).
        publisher.messages(records[:300])
        wait_until(lambda: ingest.stats().acked >= len(records) + 304, 30, "every message acknowledged")
        assert stored_totals(store) == expected_totals(records)
        stats = ingest.stats()
        assert stats.dead_lettered == 0 and stats.stored == stats.acked
        devices = {d.device: d for d in store.devices()}
        assert set(devices) == {"cam-1", "cam-2"}
        cam = devices["cam-1"]
        assert cam.state == DeviceState.ONLINE and cam.health == health[-1]
        assert cam.last_seen == max(r.interval_start + timedelta(seconds=60) for r in records if r.device == "cam-1")
        assert [(s.site, s.timezone) for s in store.sites()] == [("mpp-a", "Asia/Jakarta")]
    finally:
        ingest.stop()
        store.close()


def hostile_messages(i: int) -> tuple[str, bytes, str]:
    """(topic, payload, what the dead-letter reason must mention) for variant i."""
    good = LineCounts(site="mpp-a", device="cam-1", timezone="Asia/Jakarta", interval_start=T0, interval_s=60,
                      observed_s=60, line="pintu", role="entrance", in_count=1, out_count=1)  # fmt: skip
    body = json.loads(encode(good))
    topic = str(good.topic)
    variant = i % 12
    if variant == 0:
        return topic, b"not json at all", "not JSON"
    if variant == 1:
        return topic, bytes(range(256)) * 3, "not JSON"
    if variant == 2:
        return topic, json.dumps({**body, "schema_version": 99}).encode(), "schema_version"
    if variant == 3:
        return topic, json.dumps({**body, "in_count": "lots"}).encode(), "in_count"
    if variant == 4:
        return topic, json.dumps({**body, "in_count": -5}).encode(), "in_count"
    if variant == 5:
        return topic, b"{" + b" " * (70 * 1024) + b"}", "exceeds"
    if variant == 6:
        return "mpp/v1/mpp-a/cam-2/counts", encode(good), "disagrees"
    if variant == 7:
        return "mpp/v1/mpp-a/cam-1/occupancy", encode(good), "disagrees"
    if variant == 8:
        return "mpp/v1/mpp-a/cam-1/commands", encode(good), "unknown kind"
    if variant == 9:
        return topic, json.dumps({**body, "message_id": "mpp-a/cam-1/counts/pintu/1999"}).encode(), "message_id"
    if variant == 10:
        return topic, b'{"schema_version": 1, "kind": "counts", "in_count": NaN}', "invalid"
    # A well-formed record from a device outside the allow-list.
    rogue = good.model_copy(update={"device": "rogue"})
    rogue = LineCounts.model_validate({**json.loads(encode(rogue)), "message_id": ""})
    return str(rogue.topic), encode(rogue), "not allowed"


def test_hostile_messages_are_dead_lettered_and_consumer_stays_alive(
    mosquitto: MosquittoBroker, publisher: Publisher, url: str, tmp_path: Path
) -> None:
    settings = settings_for(mosquitto, url, tmp_path, "--allowed-devices", "mpp-a/cam-1,mpp-a/cam-2")
    store = open_store(settings.store)
    ingest = IngestService(settings, store)
    ingest.start()
    try:
        assert ingest.subscriber.subscribed.wait(10)
        valid = synthetic_records(1000)
        hostile = [hostile_messages(i) for i in range(1000)]
        items: list[tuple[str, bytes]] = []
        for record, (topic, payload, _) in zip(valid, hostile, strict=True):
            items += [(str(record.topic), encode(record)), (topic, payload)]
        publisher.raw(items)
        wait_until(lambda: ingest.stats().acked >= 2000, 60, "2,000 messages acknowledged")
        assert stored_totals(store) == expected_totals(valid)
        letters = store.dead_letters(limit=5000)
        assert len(letters) == 1000 == ingest.stats().dead_lettered
        by_topic_and_variant = sorted(letters, key=lambda d: d.received_at)
        for letter, (topic, _, reason) in zip(by_topic_and_variant, hostile, strict=True):
            assert letter.topic == topic and reason in letter.reason, (letter, reason)
        # Still consuming afterwards.
        late = synthetic_records(2, start=T0 + timedelta(days=3))
        publisher.messages(late)
        wait_until(lambda: ingest.stats().acked >= 2002, 10, "a valid message after the storm")
    finally:
        ingest.stop()
        store.close()


@pytest.mark.slow
def test_two_collectors_share_one_subscription(
    mosquitto: MosquittoBroker, publisher: Publisher, url: str, tmp_path: Path
) -> None:
    services = []
    for _ in range(2):
        settings = settings_for(mosquitto, url, tmp_path, "--share-group", "collectors", "--batch-size", "100")
        store = open_store(settings.store)
        services.append((IngestService(settings, store), store))
    for service, _ in services:
        service.start()
        assert service.subscriber.subscribed.wait(10)
    try:
        records = synthetic_records(3000)
        publisher.messages(records)
        wait_until(lambda: sum(s.stats().acked for s, _ in services) >= 3000, 60, "3,000 messages acknowledged")
        shares = [s.stats().stored for s, _ in services]
        assert sum(shares) == 3000 and min(shares) > 0, shares
        # InfluxDB's footfall rollup settles within seconds when both recomputed one slot at once.
        wait_until(lambda: stored_totals(services[0][1]) == expected_totals(records), 15, "exact totals")
    finally:
        for service, store in services:
            service.stop()
            store.close()
