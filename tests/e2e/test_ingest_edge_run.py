"""`mpp-edge run` on a real clip with the real model -> mosquitto -> collector
-> SQLite and InfluxDB: every store holds exactly the edge's totals."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from collector.config import from_args
from collector.ingest import IngestService
from collector.storage import open_store
from tests.integration.test_ingest_pipeline import recent_monday, wait_until
from tests.mqtt_support import Recorder
from tests.services import InfluxServer, MosquittoBroker

SITE, DEVICE = "mpp-e2e", "pintu-1"
START = recent_monday(3, 2)  # 09:00 in Jakarta
LINES = [
    {"name": "tengah", "points": [[0.0, 0.6], [1.0, 0.6]]},
    {"name": "kiri", "points": [[0.3, 0.0], [0.3, 1.0]], "role": "internal"},
]
ZONES = [{"name": "loket", "points": [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9]], "role": "queue"}]


def caught_up(service: IngestService, messages: int) -> bool:
    return service.stats().acked >= messages


@pytest.mark.slow
def test_edge_run_to_both_stores_totals_match_exactly(
    mosquitto: MosquittoBroker, influxdb: InfluxServer, mot15: Path, model_path: Path, tmp_path: Path
) -> None:
    port = influxdb.url.rsplit(":", 1)[1]
    urls = [f"sqlite:///{tmp_path}/mpp.db", f"influxdb://127.0.0.1:{port}/e2e_{uuid.uuid4().hex[:8]}"]
    services = []
    for url in urls:
        settings = from_args(["--mqtt-url", mosquitto.url, "--store", url, "--data-dir", str(tmp_path / "var"),
                              "--client-id", f"e2e-{uuid.uuid4().hex[:6]}"], {})  # fmt: skip
        store = open_store(settings.store)
        service = IngestService(settings, store)
        service.start()
        assert service.subscriber.subscribed.wait(10)
        services.append((service, store))
    witness = Recorder(mosquitto.port, None, None, client_id=f"witness-{uuid.uuid4().hex[:6]}")
    try:
        assert witness.connected.wait(10)
        config = {
            "site": SITE, "device": DEVICE, "timezone": "Asia/Jakarta",
            "source": str(mot15 / "TUD-Stadtmitte" / "TUD-Stadtmitte.mp4"), "video_start": START.isoformat(),
            "model": str(model_path), "interval_s": 1, "health_interval_s": 2, "lines": LINES, "zones": ZONES,
            "mqtt": {"url": mosquitto.url}, "outbox": {"path": str(tmp_path / "outbox.db")},
        }  # fmt: skip
        config_path = tmp_path / "edge.yaml"
        config_path.write_text(yaml.safe_dump(config))
        edge = subprocess.run(
            [str(Path(sys.executable).parent / "mpp-edge"), "run", "--config", str(config_path),
             "--drain-timeout-s", "60"],
            capture_output=True, text=True, timeout=400, check=False,
        )  # fmt: skip
        assert edge.returncode == 0, edge.stderr[-3000:]

        # What the edge published (deduplicated by message_id): its totals.
        records: dict[str, dict[str, Any]] = {}
        with witness._lock:
            for topic, payloads in witness.payloads.items():
                if topic.endswith(("/counts", "/occupancy")):
                    for payload in payloads:
                        body = json.loads(payload)
                        records[str(body["message_id"])] = body
        counts = [r for r in records.values() if r["kind"] == "counts"]
        zones = [r for r in records.values() if r["kind"] == "occupancy"]
        assert counts and zones
        entrance = [r for r in counts if r["role"] == "entrance"]
        expected = (
            sum(int(r["in_count"]) for r in entrance),
            sum(int(r["out_count"]) for r in entrance),
            len(zones),
            sum(int(r["visits"]) for r in zones),
            sum(len(r["dwells_s"]) for r in zones),
        )
        assert expected[0] + expected[1] > 0, "the clip must produce crossings"
        expected_messages = sum(len(p) for p in witness.payloads.values())
        for service, _ in services:
            wait_until(partial(caught_up, service, expected_messages), 60, "the collector to catch up")

        lo, hi = START - timedelta(days=1), START + timedelta(days=1)
        for (service, store), url in zip(services, urls, strict=True):
            days = store.footfall([SITE], lo, hi, "day", "Asia/Jakarta")
            intervals = store.zone_intervals(SITE, lo, hi)
            got = (
                sum(d.in_count for d in days),
                sum(d.out_count for d in days),
                len(intervals),
                sum(z.visits for z in intervals),
                len(store.dwell_samples(SITE, lo, hi)),
            )
            assert got == expected, url.split(":", 1)[0]
            assert service.stats().dead_lettered == 0
            (device,) = store.devices()
            assert device.health is not None and device.timezone == "Asia/Jakarta"
    finally:
        witness.client.disconnect()
        witness.client.loop_stop()
        for service, store in services:
            service.stop()
            store.close()
