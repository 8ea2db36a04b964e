"""`mpp-edge run` end to end: real clip, real model, the project's mosquitto config, real outages."""

from __future__ import annotations

import configparser
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.mqtt_support import VENV_BIN, Recorder, SecuredBroker

SITE, DEVICE = "mpp-uji", "pintu-1"
START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta
LINES = [
    {"name": "tengah", "points": [[0.0, 0.6], [1.0, 0.6]]},
    {"name": "kiri", "points": [[0.3, 0.0], [0.3, 1.0]]},
]
ZONES = [{"name": "loket", "points": [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9]]}]
MODEL_LOAD_S = 120  # model load and first interval on 2 shared cores


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[SecuredBroker]:
    secured = SecuredBroker(tmp_path / "secured")
    secured.broker.start()
    yield secured
    secured.broker.stop()


def clip(mot15: Path, name: str) -> tuple[Path, int, float]:
    info = configparser.ConfigParser()
    info.read(mot15 / name / "seqinfo.ini")
    return mot15 / name / f"{name}.mp4", int(info["Sequence"]["seqLength"]), float(info["Sequence"]["frameRate"])


def expected_ids(start: datetime, frames: int, fps: float) -> set[str]:
    """Independent oracle: one record per line and zone for every 1 s interval that holds a frame."""
    seconds = {int(i / fps) for i in range(frames)}
    ids = set()
    for second in seconds:
        stamp = (start + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")
        ids |= {f"{SITE}/{DEVICE}/counts/{line['name']}/{stamp}" for line in LINES}
        ids |= {f"{SITE}/{DEVICE}/occupancy/{zone['name']}/{stamp}" for zone in ZONES}
    return ids


def write_config(tmp_path: Path, starter: Path, source: Path, start: datetime, model: Path, name: str) -> Path:
    config = yaml.safe_load(starter.read_text())  # mqtt section exactly as mpp-provision wrote it
    config.update(
        source=str(source),
        video_start=start.isoformat(),
        model=str(model),
        interval_s=1,
        health_interval_s=2,
        lines=LINES,
        zones=ZONES,
        outbox={"path": str(tmp_path / "outbox.db")},
    )
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def start_edge(config: Path, log: Path, drain_timeout_s: float = 180) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(VENV_BIN / "mpp-edge"), "-v", "run", "--config", str(config), "--drain-timeout-s", str(drain_timeout_s)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def outbox_ids(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT message_id FROM records")}


@pytest.mark.slow
def test_broker_down_30s_mid_run_every_record_arrives_once(
    secured: SecuredBroker, mot15: Path, model_path: Path, tmp_path: Path
) -> None:
    starter = secured.add_device(SITE, DEVICE)
    secured.reload()
    source, frames, fps = clip(mot15, "TUD-Stadtmitte")
    config = write_config(tmp_path, starter, source, START, model_path, "outage")
    expected = expected_ids(START, frames, fps)
    recorder = Recorder(secured.broker.port, "collector", secured.collector_password)
    log = tmp_path / "edge.log"
    edge = start_edge(config, log)
    try:
        assert recorder.connected.wait(5)
        recorder.wait_for(lambda: len(recorder.records()) >= 1, MODEL_LOAD_S, "the first record")
        secured.broker.stop()
        before = recorder.records()
        time.sleep(30)
        assert edge.poll() is None, "the edge must wait for the broker, not give up"
        secured.broker.start()
        assert edge.wait(timeout=240) == 0, log.read_text()[-3000:]
        recorder.wait_for(lambda: recorder.records() >= expected, 30, "every record")
    finally:
        if edge.poll() is None:
            edge.kill()
        recorder.close()
    received = recorder.records()
    assert received == expected
    assert before < expected, "the outage must fall in the middle of the run"
    duplicates = {m: n for m, n in recorder.counts.items() if n > 1 and m in expected}
    # QoS 1 is at-least-once; the message_id makes a redelivery harmless. Report what happened.
    print(f"{len(expected)} records, {len(before)} before the outage, {len(duplicates)} redelivered")
    assert outbox_ids(tmp_path / "outbox.db") == set()
    text = log.read_text()
    assert text.count("connection to") + text.count("cannot reach broker") <= 3, "outage warnings are rate-limited"
    assert "ERROR" not in text


@pytest.mark.slow
def test_sigkill_mid_run_last_will_then_restart_drains_outbox(
    secured: SecuredBroker, mot15: Path, model_path: Path, tmp_path: Path
) -> None:
    starter = secured.add_device(SITE, DEVICE)
    secured.reload()
    recorder = Recorder(secured.broker.port, "collector", secured.collector_password)
    source, _, _ = clip(mot15, "TUD-Stadtmitte")
    log = tmp_path / "edge.log"
    edge = start_edge(write_config(tmp_path, starter, source, START, model_path, "first"), log)
    broker = secured.broker.process
    assert broker is not None
    try:
        assert recorder.connected.wait(5)
        recorder.wait_for(lambda: len(recorder.records()) >= 1, MODEL_LOAD_S, "the first record")
        assert recorder.status[-1] == "online"
        # Freeze the broker: records keep coming but get no PUBACK, so they must stay in the outbox.
        broker.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + 60
        while len(outbox_ids(tmp_path / "outbox.db")) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        edge.send_signal(signal.SIGKILL)
        edge.wait(timeout=10)
        unacked = outbox_ids(tmp_path / "outbox.db")
        assert len(unacked) >= 3, "records produced while the broker was frozen must be in the outbox"
    finally:
        broker.send_signal(signal.SIGCONT)
        if edge.poll() is None:
            edge.kill()
    try:
        recorder.wait_for(lambda: recorder.status[-1:] == ["offline"], 15, "the Last Will")
        # The next day's footage: its records differ, so the old ones can only come from the outbox.
        campus, frames, fps = clip(mot15, "TUD-Campus")
        next_day = START + timedelta(days=1)
        edge = start_edge(write_config(tmp_path, starter, campus, next_day, model_path, "second"), log)
        recorder.wait_for(lambda: recorder.status[-1:] == ["online"], MODEL_LOAD_S, "online after restart")
        assert edge.wait(timeout=240) == 0, log.read_text()[-3000:]
        wanted = unacked | expected_ids(next_day, frames, fps)
        recorder.wait_for(lambda: recorder.records() >= wanted, 30, "the old outbox and the new records")
        assert outbox_ids(tmp_path / "outbox.db") == set()
        recorder.wait_for(lambda: recorder.status[-1:] == ["offline"], 10, "offline on clean exit")
    finally:
        if edge.poll() is None:
            edge.kill()
        recorder.close()


def test_bad_mqtt_settings_are_named_by_the_cli(tmp_path: Path, mot15: Path) -> None:
    base = {
        "site": SITE,
        "device": DEVICE,
        "source": str(clip(mot15, "TUD-Campus")[0]),
        "outbox": {"path": str(tmp_path / "outbox.db")},
    }
    cases = {
        "malformed-url": ({"url": "mqtt//broker:1883"}, "mqtt.url"),
        "bad-port": ({"url": "mqtt://broker:port"}, "mqtt.url: has an invalid port"),
        "missing-variable": (
            {"url": "mqtt://127.0.0.1:1", "username": "a/b", "password_env": "MPP_TEST_NOT_SET"},
            "mqtt.password_env: environment variable MPP_TEST_NOT_SET is not set",
        ),
        "missing-file": (
            {"url": "mqtt://127.0.0.1:1", "username": "a/b", "password_file": str(tmp_path / "nope")},
            "mqtt.password_file: cannot read",
        ),
    }
    env = {k: v for k, v in os.environ.items() if k != "MPP_TEST_NOT_SET"}
    for name, (mqtt, message) in cases.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump({**base, "mqtt": mqtt}))
        result = subprocess.run(
            [str(VENV_BIN / "mpp-edge"), "run", "--config", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert result.returncode == 2, (name, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.startswith("mpp-edge: error:")]
        assert len(lines) == 1 and message in lines[0], (name, result.stderr)
        assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_sigterm_stops_cleanly_with_offline_status(
    secured: SecuredBroker, mot15: Path, model_path: Path, tmp_path: Path
) -> None:
    import json

    starter = secured.add_device(SITE, DEVICE)
    secured.reload()
    recorder = Recorder(secured.broker.port, "collector", secured.collector_password)
    source, _, _ = clip(mot15, "TUD-Stadtmitte")
    log = tmp_path / "edge.log"
    edge = start_edge(write_config(tmp_path, starter, source, START, model_path, "term"), log)
    try:
        assert recorder.connected.wait(5)
        recorder.wait_for(lambda: len(recorder.records()) >= 1, MODEL_LOAD_S, "the first record")
        edge.send_signal(signal.SIGTERM)
        assert edge.wait(timeout=30) == 0, log.read_text()[-3000:]
        recorder.wait_for(lambda: recorder.status[-1:] == ["offline"], 10, "offline status")
    finally:
        if edge.poll() is None:
            edge.kill()
        recorder.close()
    statuses = [json.loads(p) for p in recorder.payloads[f"mpp/v1/{SITE}/{DEVICE}/status"]]
    assert [s["state"] for s in statuses] == ["online", "offline"]
    # Published at shutdown, not the Last Will (whose time is the connect time, before "online").
    assert statuses[1]["ts"] > statuses[0]["ts"]
    assert "received SIGTERM" in log.read_text()


@pytest.mark.slow
def test_file_run_not_drained_exits_non_zero_and_keeps_records(mot15: Path, model_path: Path, tmp_path: Path) -> None:
    from tests.services import free_port

    source, frames, fps = clip(mot15, "TUD-Campus")
    config = {
        "site": SITE,
        "device": DEVICE,
        "source": str(source),
        "video_start": START.isoformat(),
        "model": str(model_path),
        "interval_s": 1,
        "lines": LINES,
        "zones": ZONES,
        "mqtt": {"url": f"mqtt://127.0.0.1:{free_port()}"},  # nothing listens there
        "outbox": {"path": str(tmp_path / "outbox.db")},
    }
    path = tmp_path / "unreachable.yaml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [str(VENV_BIN / "mpp-edge"), "run", "--config", str(path), "--drain-timeout-s", "2"],
        capture_output=True,
        text=True,
        timeout=MODEL_LOAD_S + 60,
    )
    assert result.returncode == 3, result.stderr[-3000:]
    assert "outbox not drained after 2 s" in result.stderr and "unreachable" in result.stderr
    assert outbox_ids(tmp_path / "outbox.db") == expected_ids(START, frames, fps)  # all kept for the next run
