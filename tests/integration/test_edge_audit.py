"""``mpp-edge audit`` through the real CLI, the real model and the page's HTTP API: the true
crossings of a shared clip (from its MOT ground truth) are entered as an installer would;
the accuracy equals ``mpp-edge evaluate`` on the same clip and lines, the result is kept on
the device and queued as a wire ``audit`` record, and the recording is gone afterwards,
whether the audit is saved, abandoned or the command is stopped."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
import yaml

from edge.config import load_config
from edge.counting import TRUTH_RULES
from edge.evaluation import load_mot
from edge.evaluation.counts import SceneCounts, count_tracks
from edge.evaluation.scenes import load_scenes
from tests.services import free_port
from wire import Audit, decode

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "edge.cli"]
PASSWORD = "audit-password-1"
CLIP = "TUD-Campus"


@dataclass
class AuditRun:
    process: subprocess.Popen[str]
    url: str
    config: Path
    data_dir: Path
    opener: urllib.request.OpenerDirector
    output: list[str]

    @property
    def recording(self) -> Path:
        return self.data_dir / "audit-recording"

    def call(self, path: str, body: object | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(self.url + path)
        if body is not None:
            request.data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(request, timeout=30) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        return status, json.loads(raw) if raw[:1] in (b"{", b"[") else raw

    def wait(self, timeout_s: float = 60) -> int:
        return self.process.wait(timeout=timeout_s)


def device_yaml(folder: Path, mot15: Path, model_path: Path) -> Path:
    scene = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")[CLIP]
    path = folder / "device.yaml"
    path.write_text(yaml.safe_dump({
        "site": "mpp-a", "device": "cam-1", "source": str(mot15 / CLIP / f"{CLIP}.mp4"),
        "model": str(model_path), "imgsz": 640,
        "lines": [line.model_dump(mode="json") for line in scene.lines],
        "zones": [zone.model_dump(mode="json") for zone in scene.zones],
        "outbox": {"path": str(folder / "data" / "outbox.db")},
    }, sort_keys=False))  # fmt: skip
    return path


@pytest.fixture
def audit_run(tmp_path: Path, mot15: Path, model_path: Path) -> Iterator[AuditRun]:
    config = device_yaml(tmp_path, mot15, model_path)
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "audit", "--config", str(config), "--listen", f"127.0.0.1:{port}", "--duration-s", "60",
         "--zone-samples", "12"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "MPP_SETUP_PASSWORD": PASSWORD},
    )  # fmt: skip
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if "audit page on" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(300):
            pytest.fail("mpp-edge audit did not serve its page within 300 s:\n" + "".join(output))
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        run = AuditRun(process, f"http://127.0.0.1:{port}", config, tmp_path / "data", opener, output)
        status, _ = run.call("/api/login", {"password": PASSWORD})
        assert status == 200
        yield run
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def true_counts(mot15: Path, config: Path, frames: int) -> SceneCounts:
    """What ``mpp-edge evaluate`` takes as the truth: the counting rule on the ground-truth tracks."""
    device = load_config(config)
    tracks = load_mot(mot15 / CLIP / "gt" / "gt.txt", 640, 480)
    start = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)
    return count_tracks(tracks, frames, device.lines, device.zones, TRUTH_RULES, start=start, fps=25.0)


def enter_truth(run: AuditRun, truth: SceneCounts) -> int:
    """Press in/out at each true crossing, and mark the zones on the sampled frames."""
    entered = 0
    for line, tally in truth.lines.items():
        for event in tally.events:
            status, body = run.call(
                "/api/audit/crossing", {"line": line, "direction": event.direction.value, "frame": event.frame}
            )
            assert status == 200, body
            entered += 1
    status, state = run.call("/api/audit")
    for zone in state["zones"]:
        per_frame = truth.zones[zone]
        for frame in state["zone_frames"]:
            present = frame <= len(per_frame) and per_frame[frame - 1] > 0
            status, body = run.call("/api/audit/zone", {"zone": zone, "frame": frame, "present": present})
            assert status == 200, body
    return entered


def evaluate(config: Path, mot15: Path) -> dict[str, Any]:
    done = subprocess.run(
        [*CLI, "evaluate", str(mot15 / CLIP / f"{CLIP}.mp4"), "--config", str(config),
         str(mot15 / CLIP / "gt" / "gt.txt"), "--json"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def queued_audits(data_dir: Path) -> list[Audit]:
    with sqlite3.connect(data_dir / "outbox.db") as db:
        rows = db.execute("SELECT topic, payload FROM records WHERE topic LIKE '%/audit'").fetchall()
    messages = [decode(topic, bytes(payload)) for topic, payload in rows]
    assert all(isinstance(m, Audit) for m in messages)
    return messages  # type: ignore[return-value]


def test_saved_audit_equals_evaluate_and_deletes_the_recording(audit_run: AuditRun, mot15: Path) -> None:
    run = audit_run
    # The recording: private (0700), frames only, while the audit is open.
    assert stat.S_IMODE(run.recording.stat().st_mode) == 0o700
    status, state = run.call("/api/audit")
    assert status == 200 and state["state"] == "open"
    assert state["frames"] == 71 and "result" not in state  # the device's counts stay hidden until saved
    status, png = run.call("/api/audit/frame/1.png")
    assert status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n"
    # Bad entries get a clear error and change nothing.
    status, body = run.call("/api/audit/crossing", {"line": "nope", "direction": "in", "frame": 3})
    assert status == 400 and "unknown line 'nope'" in body["error"]
    status, body = run.call("/api/audit/crossing", {"line": "x40", "direction": "in", "frame": 999})
    assert status == 400 and "1..71" in body["error"]

    # The recording was counted on this geometry: the page refuses a new one while the audit is open.
    before = run.config.read_text()
    status, body = run.call("/api/config", {"lines": [], "zones": []})
    assert status == 400 and "an audit is open" in body["error"] and run.config.read_text() == before

    truth = true_counts(mot15, run.config, state["frames"])
    entered = enter_truth(run, truth)
    assert entered > 0
    status, saved = run.call("/api/audit/save", {"who": "Teknisi Uji"})
    assert status == 200, saved
    assert run.wait() == 0, "".join(run.output)
    assert not run.recording.exists(), "the recording outlived the saved audit"
    # No frame anywhere else either: only the config, the outbox and the result stay.
    left = sorted(str(p.relative_to(run.config.parent)) for p in run.config.parent.rglob("*") if p.is_file())
    assert [p for p in left if not p.startswith("data/outbox.db")] == [
        "data/audits/" + Path(saved["saved"]).name,
        "device.yaml",
    ], left

    reference = evaluate(run.config, mot15)
    assert saved["line_accuracy"] == reference["line_accuracy"]
    for name, line in reference["lines"].items():
        assert saved["lines"][name] == {"in_true": line["in_true"], "out_true": line["out_true"],
                                        "in_count": line["in"], "out_count": line["out"]}  # fmt: skip
    # Marked on the truth's own presence, the agreement is the device's on those frames (0..1).
    assert saved["zone_agreement"] is not None and 0 <= saved["zone_agreement"] <= 1

    kept = json.loads(Path(saved["saved"]).read_text())
    assert kept["auditor"] == "Teknisi Uji" and kept["line_accuracy"] == reference["line_accuracy"]
    assert len(kept["truth"]["crossings"]) == entered
    [record] = queued_audits(run.data_dir)
    assert record.line_accuracy == reference["line_accuracy"] and record.auditor == "Teknisi Uji"
    assert str(record.topic) == "mpp/v1/mpp-a/cam-1/audit"


def test_abandoned_audit_deletes_the_recording(audit_run: AuditRun) -> None:
    assert any(audit_run.recording.rglob("*.png"))
    status, _ = audit_run.call("/api/audit/abandon", {})
    assert status == 200
    assert audit_run.wait() == 1
    assert not audit_run.recording.exists()
    assert not (audit_run.data_dir / "audits").exists()


# SIGHUP: the installer's SSH connection or terminal closes while the page is open.
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stopped_audit_deletes_the_recording(audit_run: AuditRun, stop: signal.Signals) -> None:
    assert any(audit_run.recording.rglob("*.png"))
    audit_run.process.send_signal(stop)
    assert audit_run.wait() == 130
    assert not audit_run.recording.exists()
    assert not (audit_run.data_dir / "audits").exists()


def test_stopped_while_recording_deletes_the_recording(tmp_path: Path, mot15: Path, model_path: Path) -> None:
    """Stopped before the page is up (recording or counting): nothing stays behind."""
    config = device_yaml(tmp_path, mot15, model_path)
    process = subprocess.Popen(
        [*CLI, "audit", "--config", str(config), "--listen", f"127.0.0.1:{free_port()}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "MPP_SETUP_PASSWORD": PASSWORD},
    )  # fmt: skip
    recording = tmp_path / "data" / "audit-recording"
    deadline = time.monotonic() + 120
    while not any(recording.rglob("*.png")):
        assert time.monotonic() < deadline and process.poll() is None, "no recording started"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) == 130
    assert not recording.exists()


def test_the_camera_password_in_a_stream_url_is_never_shown(tmp_path: Path, mot15: Path, model_path: Path) -> None:
    """An RTSP camera's URL usually carries its password: the audit names the camera without it."""
    config = device_yaml(tmp_path, mot15, model_path)
    port = free_port()  # nothing listens: the camera stays unreachable
    data = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**data, "source": f"rtsp://admin:kamera-rahasia-9@127.0.0.1:{port}/stream"}))
    process = subprocess.Popen(
        [*CLI, "audit", "--config", str(config), "--listen", f"127.0.0.1:{free_port()}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "MPP_SETUP_PASSWORD": PASSWORD},
    )  # fmt: skip
    assert process.stdout is not None
    first = process.stdout.readline()
    process.send_signal(signal.SIGTERM)
    output = first + process.communicate(timeout=60)[0]
    assert process.returncode == 130
    assert f"recording up to 180 s of rtsp://127.0.0.1:{port}/stream" in output
    assert "kamera-rahasia-9" not in output
