"""Hostile devices against the real collector: mosquitto, the `mpp-collector`
process and each real store. Nothing a device sends may stop ingest, corrupt a
store, or make the two stores disagree."""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from collector.storage import Batch, Store, open_store
from tests.integration.test_ingest_pipeline import Publisher, recent_monday, store_url, wait_until
from tests.integration.test_ingest_recovery import collector_process
from tests.services import MosquittoBroker
from tests.store_answers import answers, differences
from wire import CameraState, DeviceState, Health, LineCounts, Status, ZoneOccupancy, encode

T0 = recent_monday(2, 1)  # 08:00 in Jakarta
DEVICES = (("mpp-a", "cam-1"), ("mpp-a", "cam-2"), ("mpp-b", "cam-1"), ("mpp-b", "cam-2"))
SITES = ("mpp-a", "mpp-b")

Record = LineCounts | ZoneOccupancy
Message = LineCounts | ZoneOccupancy | Health | Status


def valid_records(n: int) -> list[Record]:
    """n records over four devices: an entrance and an internal line, a staffed and a queue zone per minute."""
    out: list[Record] = []
    for i in range(n):
        site, device = DEVICES[i % len(DEVICES)]
        at = T0 + timedelta(minutes=i // 16)
        common: dict[str, Any] = {"site": site, "device": device, "timezone": "Asia/Jakarta", "interval_start": at,
                  "interval_s": 60, "observed_s": 60.0}  # fmt: skip
        kind = (i // len(DEVICES)) % 4
        if kind == 0:
            out.append(LineCounts(**common, line="pintu", role="entrance", in_count=i % 7, out_count=i % 5))
        elif kind == 1:
            out.append(LineCounts(**common, line="lorong", role="internal", in_count=i % 3, out_count=i % 2))
        elif kind == 2:
            staffed = (i // 64) % 3 != 0
            out.append(ZoneOccupancy(**common, zone="loket", role="staff", gerai="dukcapil",
                                     mean_count=1.0 if staffed else 0.0, max_count=1 if staffed else 0,
                                     occupied_s=60.0 if staffed else 0.0, visits=0))  # fmt: skip
        else:
            out.append(ZoneOccupancy(**common, zone="antrian", role="queue", gerai="dukcapil", mean_count=0.5,
                                     max_count=2, occupied_s=30.0, visits=i % 3,
                                     dwells_s=tuple(float(10 + d) for d in range(i % 3))))  # fmt: skip
    return out


def device_messages() -> list[Health | Status]:
    out: list[Health | Status] = []
    for site, device in DEVICES:
        out.append(Status(site=site, device=device, state=DeviceState.ONLINE, ts=T0))
        out.append(Health(
            site=site, device=device, timezone="Asia/Jakarta", ts=T0 + timedelta(minutes=30), fps=14.5,
            effective_fps=7.0, gating_share=0.5, last_frame_age_s=0.1, camera_state=CameraState.OK, outbox_depth=3,
            dropped_records=0, reconnects=1, model="yolov8n", software_version="0.1.0", uptime_s=1800.0,
        ))  # fmt: skip
    return out


def body(message: Message, **changes: object) -> bytes:
    return json.dumps({**json.loads(encode(message)), **changes}).encode()


def hostile_variant(i: int, original: Record) -> tuple[str, bytes, str]:
    """(topic, payload, what its dead letter's reason says): variant i, aimed at ``original``
    (an earlier valid record of the same device)."""
    topic = str(original.topic)
    variant = i % 15
    start = original.interval_start
    if variant == 0:
        return topic, body(original, in_count=10**20) if isinstance(original, LineCounts) else \
            body(original, visits=10**20), "less than or equal to"  # fmt: skip
    if variant == 1:
        return topic, body(original, max_count=2**63 - 1) if isinstance(original, ZoneOccupancy) else \
            body(original, out_count=2**63 - 1), "less than or equal to"  # fmt: skip
    if variant == 2:
        far = original.model_copy(update={"interval_start": start.replace(year=2099), "message_id": ""})
        return topic, body(far, message_id=""), "lies in the future"
    if variant == 3:
        return topic, body(original, interval_start="9999-12-31T00:00:00Z", message_id=""), "outside 2000-2099"
    if variant == 4:
        return topic, body(original, schema_version=True), "unsupported schema_version True"
    if variant == 5:
        return topic, body(original, schema_version=1.0), "unsupported schema_version 1.0"
    if variant == 6:
        return topic, body(original, interval_start=(start + timedelta(milliseconds=500)).isoformat()), \
            "whole second"  # fmt: skip
    if variant == 7:
        if isinstance(original, LineCounts):
            return topic, body(original, in_count=original.in_count + 100), "in_count differ"
        return topic, body(original, visits=99), "visits differ"
    if variant == 8:
        return topic, body(original, role="exit"), "role differ"
    if variant == 9:
        if isinstance(original, ZoneOccupancy):
            return topic, body(original, gerai="imigrasi"), "gerai differ"
        return topic, body(original, observed_s=1.5), "observed_s differ"
    if variant == 10:
        old = start - timedelta(days=400)
        return topic, body(original, interval_start=old.isoformat(), message_id=""), "more than 366 days before"
    if variant == 11:
        health_topic = topic.rsplit("/", 1)[0] + "/health"
        health = next(m for m in device_messages() if isinstance(m, Health) and m.device == original.device
                      and m.site == original.site)  # fmt: skip
        return health_topic, body(health, ts="2099-06-01T00:00:00Z", message_id=""), "lies in the future"
    if variant == 12:
        status_topic = topic.rsplit("/", 1)[0] + "/status"
        status = Status(site=original.site, device=original.device, state=DeviceState.OFFLINE, ts=start)
        return status_topic, body(status, ts="9999-12-31T23:59:59Z"), "outside 2000-2099"
    if variant == 13:
        return topic, body(original, in_count=3001, out_count=0) if isinstance(original, LineCounts) else \
            body(original, visits=3001), "more than 3000"  # fmt: skip
    return topic, body(original, observed_s=120.0), "observed_s exceeds interval_s"


def hostile_stream(valid: list[Record]) -> tuple[dict[tuple[str, str], list[tuple[str, bytes]]], list[tuple[str, str]]]:
    """Per device, its valid records with a hostile message after every tenth one (aimed at a
    record of its own sent at least 40 messages earlier); and each hostile message's (topic, reason)."""
    per_device: dict[tuple[str, str], list[tuple[str, bytes]]] = {d: [] for d in DEVICES}
    sent: dict[tuple[str, str], list[Record]] = {d: [] for d in DEVICES}
    expected: list[tuple[str, str]] = []
    count = 0
    for record in valid:
        key = (record.site, record.device)
        per_device[key].append((str(record.topic), encode(record)))
        sent[key].append(record)
        if len(sent[key]) % 10 == 0 and len(sent[key]) > 40:
            topic, payload, reason = hostile_variant(count, sent[key][len(sent[key]) // 2])
            per_device[key].append((topic, payload))
            expected.append((topic, reason))
            count += 1
    for message in device_messages():
        per_device[(message.site, message.device)].insert(0, (str(message.topic), encode(message)))
    return per_device, expected


def reference(valid: list[Record], tmp_path: Path) -> Store:
    """What a store must hold: the valid messages written once, directly."""
    store = open_store(f"sqlite:///{tmp_path}/reference.db")
    messages = [*valid, *device_messages()]
    store.write(Batch(counts=[m for m in messages if isinstance(m, LineCounts)],
                      occupancy=[m for m in messages if isinstance(m, ZoneOccupancy)],
                      health=[m for m in messages if isinstance(m, Health)],
                      status=[m for m in messages if isinstance(m, Status)]))  # fmt: skip
    return store


def unmatched(store: Store, hostile: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The hostile messages (topic, reason) without a dead letter of their own."""
    letters = Counter((d.topic, d.reason) for d in store.dead_letters(5000))
    missing = []
    for topic, reason in hostile:
        match = next((k for k, n in letters.items() if n > 0 and k[0] == topic and reason in k[1]), None)
        if match is None:
            missing.append((topic, reason))
        else:
            letters[match] -= 1
    return missing


def stored(store: Store) -> dict[str, Any]:
    got = answers(store, SITES, T0 - timedelta(hours=2), T0 + timedelta(hours=3))
    got["devices"] = [d for d in got["devices"] if d.site != "mpp-probe"]
    got["sites"] = [s for s in got["sites"] if s.site != "mpp-probe"]
    return got


def zone_rows(store: Store) -> int:
    lo, hi = T0 - timedelta(days=1), T0 + timedelta(days=1)
    return sum(len(store.zone_intervals(site, lo, hi)) for site in SITES)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "influxdb"])
def test_hostile_stream_from_several_devices_with_a_sigkill(
    kind: str, mosquitto: MosquittoBroker, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """1,000 valid records and every hostile case, four devices, the collector SIGKILLed
    midway and restarted: each valid record stored once, each hostile one dead-lettered with
    its reason. Both parametrisations compare against the same reference answers, so the
    two stores answer identically."""
    server = request.getfixturevalue("influxdb") if kind == "influxdb" else None
    url = store_url(kind, tmp_path, server)
    valid = valid_records(1000)
    zones = sum(isinstance(r, ZoneOccupancy) for r in valid)
    per_device, hostile = hostile_stream(valid)
    assert len(hostile) >= 60 and {reason for _, reason in hostile} >= {"lies in the future", "role differ"}
    expected = stored(reference(valid, tmp_path))

    client_id = f"hostile-{uuid.uuid4().hex[:6]}"
    reader = open_store(url)
    process = collector_process(mosquitto, url, tmp_path, client_id)
    publishers = {device: Publisher(mosquitto) for device in DEVICES}
    try:
        # Its persistent session exists once a first message comes through.
        probe = Status(site="mpp-probe", device="cam-0", state=DeviceState.ONLINE, ts=T0)
        deadline = time.monotonic() + 30
        while not any(d.site == "mpp-probe" for d in reader.devices()):
            assert time.monotonic() < deadline, "the collector never subscribed"
            publishers[DEVICES[0]].messages([probe])
            time.sleep(0.3)

        # The first halves go out while the collector runs and is killed; the second halves
        # wait in its persistent session until it is back.
        def send(half: int) -> None:
            senders = [threading.Thread(target=publishers[d].raw, args=(items[half * len(items) // 2:
                                                                               (half + 1) * len(items) // 2],))
                       for d, items in per_device.items()]  # fmt: skip
            for sender in senders:
                sender.start()
            if half == 0:
                wait_until(lambda: zone_rows(reader) > 20, 30, "ingest under way")
                process.send_signal(signal.SIGKILL)
                process.wait(10)
            for sender in senders:
                sender.join()

        send(0)
        send(1)
        assert zone_rows(reader) < zones, "collector finished before it was killed"

        process = collector_process(mosquitto, url, tmp_path, client_id)
        deadline = time.monotonic() + 60
        while differences(expected, got := stored(reader)) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(1)  # anything doubled would show up now
        got = stored(reader)
        assert not differences(expected, got), "\n".join(differences(expected, got)[:5])

        # Every hostile message is a dead letter with its reason (a dead letter written just
        # before the SIGKILL may be written again when its message is redelivered).
        deadline = time.monotonic() + 30
        while unmatched(reader, hostile) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not unmatched(reader, hostile), (unmatched(reader, hostile), reader.dead_letters(5000))
    finally:
        for pub in publishers.values():
            pub.close()
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(15) == 0, (tmp_path / "collector.log").read_text()[-3000:]
        finally:
            if process.poll() is None:
                process.kill()
            reader.close()
