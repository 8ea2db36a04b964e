from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire import Audit, Health, Kind, LineCounts, Status, Topic, WireError, ZoneOccupancy, decode, encode
from wire.messages import (
    MAX_CLOCK_SKEW_S,
    MAX_COUNTER,
    MAX_CROSSINGS_PER_S,
    MAX_PAYLOAD_BYTES,
    MAX_PEOPLE_IN_VIEW,
    MAX_RECORD_AGE_S,
)

START = datetime(2025, 5, 31, 16, 30, tzinfo=UTC)


def changed(**fields: object) -> bytes:
    return json.dumps({**json.loads(encode(counts())), **fields}).encode()


def counts(**overrides: object) -> LineCounts:
    fields: dict[str, object] = dict(
        site="kobar",
        device="pintu-1",
        timezone="Asia/Jakarta",
        interval_start=START,
        interval_s=60,
        observed_s=60.0,
        line="utama",
        role="entrance",
        in_count=3,
        out_count=1,
    )
    fields.update(overrides)
    return LineCounts.model_validate(fields)


def test_message_id_is_stable_and_names_device_kind_line_and_interval() -> None:
    assert counts().message_id == "kobar/pintu-1/counts/utama/2025-05-31T16:30:00Z"
    assert counts(in_count=9).message_id == counts().message_id


def test_interval_start_is_normalised_to_utc() -> None:
    wib = timezone(timedelta(hours=7))
    record = counts(interval_start=datetime(2025, 5, 31, 23, 30, tzinfo=wib))
    assert record.interval_start == START
    assert record.interval_start.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        counts(interval_start=datetime(2025, 5, 31, 16, 30))


@given(
    in_count=st.integers(0, MAX_CROSSINGS_PER_S * 60),
    out_count=st.integers(0, MAX_CROSSINGS_PER_S * 60),
    minute=st.integers(0, 60 * 24 * 365),
)
def test_counts_round_trip(in_count: int, out_count: int, minute: int) -> None:
    record = counts(in_count=in_count, out_count=out_count, interval_start=START + timedelta(minutes=minute))
    assert decode(str(record.topic), encode(record)) == record


def test_occupancy_and_health_and_status_round_trip() -> None:
    occupancy = ZoneOccupancy(
        site="kobar",
        device="gerai-1",
        timezone="Asia/Jakarta",
        interval_start=START,
        interval_s=60,
        observed_s=60.0,
        zone="staf",
        role="staff",
        gerai="dukcapil",
        mean_count=0.5,
        max_count=1,
        occupied_s=30.0,
        visits=1,
        dwells_s=(12.5,),
    )
    health = Health(
        site="kobar",
        device="gerai-1",
        timezone="Asia/Jakarta",
        ts=START,
        fps=14.8,
        effective_fps=3.0,
        gating_share=0.8,
        last_frame_age_s=0.1,
        camera_state="ok",
        outbox_depth=0,
        dropped_records=0,
        reconnects=2,
        cpu_temp_c=None,
        model="yolo11n.pt",
        software_version="0.1.0",
        uptime_s=10.0,
    )
    status = Status(site="kobar", device="gerai-1", state="offline", ts=START)
    for message in (occupancy, health, status):
        assert decode(str(message.topic), encode(message)) == message
    assert occupancy.topic == Topic("kobar", "gerai-1", Kind.OCCUPANCY)


def test_health_idle_share_and_cpu_s_are_optional_additions() -> None:
    fields = {
        "site": "kobar",
        "device": "gerai-1",
        "timezone": "Asia/Jakarta",
        "ts": START,
        "fps": 14.8,
        "effective_fps": 3.0,
        "gating_share": 0.8,
        "last_frame_age_s": 0.1,
        "camera_state": "ok",
        "outbox_depth": 0,
        "dropped_records": 0,
        "reconnects": 2,
        "model": "yolo11n.pt",
        "software_version": "0.1.0",
        "uptime_s": 10.0,
    }
    topic = "mpp/v1/kobar/gerai-1/health"
    # A device from before the fields existed: its exact JSON still validates.
    old = json.loads(encode(Health(**fields)))
    del old["idle_share"], old["cpu_s"]
    decoded = decode(topic, json.dumps(old).encode())
    assert isinstance(decoded, Health) and decoded.idle_share is None and decoded.cpu_s is None
    new = Health(**fields, idle_share=0.97, cpu_s=1234.5)
    assert decode(topic, encode(new)) == new
    with pytest.raises(WireError, match="idle_share"):
        decode(topic, json.dumps({**old, "idle_share": 1.5}).encode())
    with pytest.raises(WireError, match="cpu_s"):
        decode(topic, json.dumps({**old, "cpu_s": -1.0}).encode())


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"{", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"{}", "unsupported schema_version None"),
        (changed(schema_version=2), "unsupported schema_version 2"),
        (changed(kind="occupancy"), "disagrees with topic kind"),
        (changed(device="pintu-2", message_id=""), "disagrees with topic"),
        (changed(in_count="many"), "invalid in_count"),
        (changed(in_count=-1), "invalid in_count"),
        (changed(extra=1), "invalid extra"),
        (changed(message_id="forged"), "does not match"),
        (changed(observed_s=61), "observed_s exceeds"),
        (b'{"schema_version": 1, "kind": "counts", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", "not JSON"),
        (b" " * (MAX_PAYLOAD_BYTES + 1), "exceeds"),
    ],
)
def test_bad_payloads_raise_wire_error_with_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(WireError, match=reason):
        decode("mpp/v1/kobar/pintu-1/counts", payload)


def test_nan_is_refused() -> None:
    body = encode(counts()).replace(b'"observed_s":60.0', b'"observed_s":NaN')
    with pytest.raises(WireError, match="observed_s"):
        decode("mpp/v1/kobar/pintu-1/counts", body)


@pytest.mark.parametrize(
    "topic",
    [
        "mpp/v1/kobar/pintu-1",
        "mpp/v2/kobar/pintu-1/counts",
        "mpp/v1/Kobar/pintu-1/counts",
        "mpp/v1/kobar/+/counts",
        "mpp/v1/kobar/pintu-1/video",
        "mpp/v1/kobar/pintu-1/counts/x",
    ],
)
def test_bad_topics_are_refused(topic: str) -> None:
    with pytest.raises(WireError):
        decode(topic, encode(counts()))


def test_topic_filters() -> None:
    assert Topic.device_filter("kobar", "pintu-1") == "mpp/v1/kobar/pintu-1/#"
    assert Topic.all_filter("collectors") == "$share/collectors/mpp/v1/#"
    assert str(Topic.parse("mpp/v1/kobar/pintu-1/status")) == "mpp/v1/kobar/pintu-1/status"


def occupancy_body(**fields: object) -> bytes:
    record = ZoneOccupancy(
        site="kobar", device="pintu-1", timezone="Asia/Jakarta", interval_start=START, interval_s=60,
        observed_s=60.0, zone="antrian", role="queue", mean_count=0.5, max_count=1, occupied_s=30.0, visits=1,
    )  # fmt: skip
    return json.dumps({**json.loads(encode(record)), **fields}).encode()


def health_body(**fields: object) -> bytes:
    health = Health(
        site="kobar", device="pintu-1", timezone="Asia/Jakarta", ts=START, fps=14.8, effective_fps=3.0,
        gating_share=0.8, last_frame_age_s=0.1, camera_state="ok", outbox_depth=0, dropped_records=0,
        reconnects=2, model="yolo11n.pt", software_version="0.1.0", uptime_s=10.0,
    )  # fmt: skip
    return json.dumps({**json.loads(encode(health)), **fields}).encode()


@pytest.mark.parametrize(
    ("topic_kind", "payload", "reason"),
    [
        # Counts an interval cannot hold, up to values no store integer can take.
        ("counts", changed(in_count=10**20), "invalid in_count"),
        ("counts", changed(out_count=2**63 - 1), "invalid out_count"),
        ("counts", changed(in_count=MAX_CROSSINGS_PER_S * 60 + 1), "more than 3000 crossings in 60 s"),
        ("counts", changed(in_count=3.0), "invalid in_count"),
        ("counts", changed(in_count=True), "invalid in_count"),
        ("counts", changed(interval_s=60.0), "invalid interval_s"),
        ("counts", changed(observed_s="60"), "invalid observed_s"),
        ("counts", changed(schema_version=True), "unsupported schema_version True"),
        ("counts", changed(schema_version=1.0), "unsupported schema_version 1.0"),
        ("counts", changed(schema_version="1"), "unsupported schema_version '1'"),
        # Times no store or report can hold, and sub-second starts (a second copy of a record).
        ("counts", changed(interval_start="9999-12-31T00:00:00Z", message_id=""), "outside 2000-2099"),
        ("counts", changed(interval_start="1970-01-01T00:00:00Z", message_id=""), "outside 2000-2099"),
        ("counts", changed(interval_start="2025-05-31T16:30:00.250Z"), "whole second"),
        ("occupancy", occupancy_body(max_count=MAX_PEOPLE_IN_VIEW + 1), "invalid max_count"),
        ("occupancy", occupancy_body(visits=3001), "more than 3000 visits"),
        ("occupancy", occupancy_body(dwells_s=[1e300]), "invalid dwells_s"),
        ("health", health_body(outbox_depth=MAX_COUNTER + 1), "invalid outbox_depth"),
        ("health", health_body(reconnects=10**20), "invalid reconnects"),
        ("health", health_body(ts="9999-12-31T23:59:59Z", message_id=""), "outside 2000-2099"),
    ],
)
def test_numbers_and_times_outside_their_bounds_are_refused(topic_kind: str, payload: bytes, reason: str) -> None:
    with pytest.raises(WireError, match=reason):
        decode(f"mpp/v1/kobar/pintu-1/{topic_kind}", payload)


def test_the_largest_counts_an_interval_can_hold_are_accepted() -> None:
    record = counts(interval_s=86400, observed_s=86400.0, in_count=MAX_CROSSINGS_PER_S * 86400, out_count=0)
    assert decode(str(record.topic), encode(record)) == record


def test_the_collector_clock_window() -> None:
    record = counts()
    topic, payload = str(record.topic), encode(record)
    observed_until = START + timedelta(seconds=60)
    # Observed up to 5 min ahead of the collector's clock: device clock skew.
    assert decode(topic, payload, now=observed_until - timedelta(seconds=MAX_CLOCK_SKEW_S)) == record
    with pytest.raises(WireError, match="lies in the future"):
        decode(topic, payload, now=observed_until - timedelta(seconds=MAX_CLOCK_SKEW_S + 1))
    # A partial last interval (flushed when the edge stops) is not in the future.
    partial = counts(interval_s=900, observed_s=30.0)
    assert decode(topic, encode(partial), now=START + timedelta(seconds=30)) == partial
    assert decode(topic, payload, now=START + timedelta(seconds=MAX_RECORD_AGE_S)) == record
    with pytest.raises(WireError, match="more than 366 days before"):
        decode(topic, payload, now=START + timedelta(seconds=MAX_RECORD_AGE_S + 1))
    # Status and health may be old (a retained status), never ahead.
    status = Status(site="kobar", device="pintu-1", state="offline", ts=START)
    assert decode(str(status.topic), encode(status), now=START + timedelta(days=1000)) == status
    with pytest.raises(WireError, match="ts 2099-01-01T00:00:00Z lies in the future"):
        decode(str(status.topic), json.dumps({**json.loads(encode(status)), "ts": "2099-01-01T00:00:00Z"}).encode(),
               now=START)  # fmt: skip


def audit(**overrides: object) -> Audit:
    fields: dict[str, object] = {
        "site": "mpp-a", "device": "cam-1", "timezone": "Asia/Jakarta",
        "audited_at": datetime(2026, 11, 12, 10, 30, tzinfo=timezone(timedelta(hours=7))),
        "auditor": "Teknisi Uji", "recording_s": 180.0, "frames": 4500, "line_accuracy": 0.97,
        "zone_agreement": 0.9,
        "lines": [{"line": "pintu", "in_true": 50, "out_true": 50, "in_count": 48, "out_count": 49}],
        "zones": [{"zone": "antrian", "frames_marked": 20, "agreement": 0.9}],
    }  # fmt: skip
    return Audit.model_validate(fields | overrides)


def test_audit_round_trips_with_its_own_topic_and_id() -> None:
    record = audit()
    assert str(record.topic) == "mpp/v1/mpp-a/cam-1/audit"
    assert record.message_id == "mpp-a/cam-1/audit/2026-11-12T03:30:00Z"
    assert decode(str(record.topic), encode(record)) == record


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"line_accuracy": 1.5}, "line_accuracy"),
        ({"zone_agreement": -0.1}, "zone_agreement"),
        ({"auditor": ""}, "auditor"),
        ({"lines": [{"line": "pintu", "in_true": -1, "out_true": 0, "in_count": 0, "out_count": 0}]}, "lines"),
        ({"message_id": "mpp-a/cam-1/audit/2020-01-01T00:00:00Z"}, "message_id"),
    ],
)
def test_an_invalid_audit_says_what_is_wrong(overrides: dict[str, object], problem: str) -> None:
    fields = json.loads(encode(audit()))
    with pytest.raises(WireError, match=problem):
        decode("mpp/v1/mpp-a/cam-1/audit", json.dumps(fields | overrides).encode())


def test_an_accuracy_below_zero_is_what_evaluate_gives_for_many_errors() -> None:
    # 1 - errors / true crossings: more errors than crossings is a negative accuracy, not an invalid record.
    assert audit(line_accuracy=-0.5).line_accuracy == -0.5
