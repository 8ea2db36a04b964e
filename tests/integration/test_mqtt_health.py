"""Health messages through a real broker, validated with the shared wire decoder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import edge
from edge.config import MqttConfig, OutboxConfig
from edge.outbox.health import HealthReporter, process_cpu_s, read_cpu_temp_c
from edge.outbox.mqtt_link import MqttLink
from edge.outbox.sqlite_outbox import SqliteOutbox
from edge.pipeline import PipelineStats
from tests.mqtt_support import Recorder
from tests.services import MosquittoBroker
from wire import CameraState, Health, LineCounts, decode


@pytest.fixture
def broker(mosquitto: MosquittoBroker) -> MosquittoBroker:
    return mosquitto


def test_health_reports_pipeline_outbox_and_link(broker: MosquittoBroker, tmp_path: Path) -> None:
    outbox = SqliteOutbox(OutboxConfig(path=tmp_path / "outbox.db"))
    start = datetime(2026, 1, 5, 2, tzinfo=UTC)
    outbox.put(
        [
            LineCounts(
                site="site-a",
                device="dev-1",
                timezone="Asia/Jakarta",
                interval_start=start + timedelta(minutes=i),
                interval_s=60,
                observed_s=60.0,
                line="pintu",
                role="entrance",
                in_count=0,
                out_count=0,
            )
            for i in range(3)
        ]
    )  # no forwarder: they stay pending and must show as depth
    now = datetime(2026, 1, 5, 2, 30, tzinfo=UTC)
    stats = PipelineStats(
        frames_read=100,
        frames_inferred=40,
        fps=12.5,
        effective_fps=5.0,
        gating_share=0.6,
        last_frame_at=now - timedelta(seconds=2),
        camera_state=CameraState.OK,
        idle_share=0.75,
    )
    recorder = Recorder(broker.port, None, None)
    link = MqttLink(MqttConfig(url=broker.url), "site-a", "dev-1")
    reporter = HealthReporter(
        site="site-a",
        device="dev-1",
        timezone="Asia/Jakarta",
        model="yolov8n_int8",
        interval_s=1,
        stats=lambda: stats,
        outbox=outbox,
        link=link,
        now=lambda: now,
    )
    topic = "mpp/v1/site-a/dev-1/health"
    try:
        assert recorder.connected.wait(5)
        link.start()
        reporter.start()
        recorder.wait_for(lambda: len(recorder.payloads.get(topic, [])) >= 1, 15, "a health message")
    finally:
        reporter.stop()
        link.stop()
        recorder.close()
        outbox.close()
    health = decode(topic, recorder.payloads[topic][0])
    assert isinstance(health, Health)
    assert (health.outbox_depth, health.dropped_records, health.reconnects) == (3, 0, 0)
    assert (health.fps, health.effective_fps, health.gating_share) == (12.5, 5.0, 0.6)
    assert health.last_frame_age_s == 2.0 and health.camera_state is CameraState.OK
    assert health.software_version == edge.__version__ and health.model == "yolov8n_int8"
    assert health.cpu_temp_c == read_cpu_temp_c()
    assert health.uptime_s >= 0
    # What the device spends: time-weighted idle share and this process's CPU seconds so far.
    assert health.idle_share == 0.75
    # Reported to the millisecond: rounding may put it up to 0.5 ms past a later reading.
    assert health.cpu_s is not None and 0 < health.cpu_s <= process_cpu_s() + 0.0005


def test_cpu_temperature_from_sysfs(tmp_path: Path) -> None:
    assert read_cpu_temp_c(tmp_path) is None  # no thermal zones (containers, most VMs)
    for name, value in (("thermal_zone0", "48312\n"), ("thermal_zone1", "51000\n"), ("thermal_zone2", "n/a\n")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "temp").write_text(value)
    assert read_cpu_temp_c(tmp_path) == 51.0
