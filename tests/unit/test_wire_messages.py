from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire import Audit, Health, Kind, LineCounts, Status, Topic, WireError, ZoneOccupancy, decode, encode
from wire.messages import MAX_PAYLOAD_BYTES

START = datetime(2025, 5, 31, 16, 30, tzinfo=UTC)


def changed(**fields: object) -> bytes:
    return json.dumps({**json.loads(encode(counts())), **fields}).encode()


def counts(**overrides: object) -> LineCounts:
    fields: dict[str, object] = dict(
        site="kobar", device="pintu-1", timezone="Asia/Jakarta", interval_start=START,
        interval_s=60, observed_s=60.0, line="utama", role="entrance", in_count=3, out_count=1,
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
    in_count=st.integers(0, 10_000),
    out_count=st.integers(0, 10_000),
    minute=st.integers(0, 60 * 24 * 365),
)
def test_counts_round_trip(in_count: int, out_count: int, minute: int) -> None:
    record = counts(in_count=in_count, out_count=out_count, interval_start=START + timedelta(minutes=minute))
    assert decode(str(record.topic), encode(record)) == record


def test_occupancy_and_health_and_status_round_trip() -> None:
    occupancy = ZoneOccupancy(
        site="kobar", device="gerai-1", timezone="Asia/Jakarta", interval_start=START, interval_s=60,
        observed_s=60.0, zone="staf", role="staff", gerai="dukcapil", mean_count=0.5, max_count=1,
        occupied_s=30.0, visits=1, dwells_s=(12.5,),
    )
    health = Health(
        site="kobar", device="gerai-1", timezone="Asia/Jakarta", ts=START, fps=14.8, effective_fps=3.0,
        gating_share=0.8, last_frame_age_s=0.1, camera_state="ok", outbox_depth=0, dropped_records=0,
        reconnects=2, cpu_temp_c=None, model="yolo11n.pt", software_version="0.1.0", uptime_s=10.0,
    )
    status = Status(site="kobar", device="gerai-1", state="offline", ts=START)
    for message in (occupancy, health, status):
        assert decode(str(message.topic), encode(message)) == message
    assert occupancy.topic == Topic("kobar", "gerai-1", Kind.OCCUPANCY)


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
    ["mpp/v1/kobar/pintu-1", "mpp/v2/kobar/pintu-1/counts", "mpp/v1/Kobar/pintu-1/counts",
     "mpp/v1/kobar/+/counts", "mpp/v1/kobar/pintu-1/video", "mpp/v1/kobar/pintu-1/counts/x"],
)
def test_bad_topics_are_refused(topic: str) -> None:
    with pytest.raises(WireError):
        decode(topic, encode(counts()))


def test_topic_filters() -> None:
    assert Topic.device_filter("kobar", "pintu-1") == "mpp/v1/kobar/pintu-1/#"
    assert Topic.all_filter("collectors") == "$share/collectors/mpp/v1/#"
    assert str(Topic.parse("mpp/v1/kobar/pintu-1/status")) == "mpp/v1/kobar/pintu-1/status"


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
