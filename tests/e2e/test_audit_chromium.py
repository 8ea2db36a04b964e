"""The accuracy audit end to end: ``mpp-edge audit`` on a shared clip, a real headless Chromium
that enters the clip's true crossings (from its MOT ground truth) and zone presence on the
audit page, the accuracy equal to ``mpp-edge evaluate`` on the same clip and lines, the
recording gone; then ``mpp-edge run`` publishes the queued audit record through mosquitto to
a collector on SQLite and one on InfluxDB, whose device list and monthly report show it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
import yaml
from fastapi.testclient import TestClient
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from collector.api import create_app
from collector.config import from_args
from collector.ingest import IngestService
from collector.storage import open_store
from edge.evaluation.scenes import load_scenes
from tests.conftest import REPO_ROOT
from tests.e2e.test_dashboard_chromium import ARTIFACTS, browser  # noqa: F401 - the browser fixture
from tests.integration.test_api_stores import ADMIN_TOKEN, HEADERS, ApiSettings
from tests.integration.test_edge_audit import CLIP, evaluate, true_counts
from tests.integration.test_ingest_pipeline import wait_until
from tests.services import InfluxServer, MosquittoBroker, free_port

pytestmark = pytest.mark.slow

PASSWORD = "audit-pintu-2026"
SITE, DEVICE = "mpp-audit", "cam-1"
START = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta
CLI = [sys.executable, "-m", "edge.cli"]


def device_yaml(folder: Path, mot15: Path, model_path: Path, mqtt_url: str) -> Path:
    scene = load_scenes(REPO_ROOT / "benchmarks" / "edge_scenes.yaml")[CLIP]
    path = folder / "device.yaml"
    path.write_text(yaml.safe_dump({
        "site": SITE, "device": DEVICE, "timezone": "Asia/Jakarta",
        "source": str(mot15 / CLIP / f"{CLIP}.mp4"), "video_start": START.isoformat(),
        "model": str(model_path), "interval_s": 1, "health_interval_s": 2,
        "lines": [line.model_dump(mode="json") for line in scene.lines],
        "zones": [zone.model_dump(mode="json") for zone in scene.zones],
        "mqtt": {"url": mqtt_url}, "outbox": {"path": str(folder / "data" / "outbox.db")},
    }, sort_keys=False))  # fmt: skip
    return path


def start_audit(config: Path, port: int) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [*CLI, "audit", "--config", str(config), "--listen", f"127.0.0.1:{port}", "--zone-samples", "4"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
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
    if not ready.wait(300):
        process.kill()
        pytest.fail("mpp-edge audit did not serve its page:\n" + "".join(output))
    return process, output


def go_to_frame(driver: webdriver.Chrome, frame: int) -> None:
    box = driver.find_element(By.ID, "frame-no")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(str(frame), Keys.TAB)
    WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.ID, "frame").get_attribute("src").endswith(f"/frame/{frame}.png")
    )


def test_audit_in_the_browser_equals_evaluate_and_reaches_both_stores(
    browser: webdriver.Chrome,  # noqa: F811 - the fixture
    mosquitto: MosquittoBroker, influxdb: InfluxServer, mot15: Path, model_path: Path, tmp_path: Path,
) -> None:  # fmt: skip
    config = device_yaml(tmp_path, mot15, model_path, mosquitto.url)
    recording = tmp_path / "data" / "audit-recording"
    port = free_port()
    process, output = start_audit(config, port)
    try:
        browser.get(f"http://127.0.0.1:{port}/audit")
        WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "login").is_displayed())
        browser.find_element(By.ID, "password").send_keys(PASSWORD, Keys.ENTER)
        WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "app").is_displayed())
        frames = int(browser.find_element(By.ID, "frames").text)
        truth = true_counts(mot15, config, frames)

        # Step to each true crossing and press in or out on its line, as the installer would.
        entered = 0
        for line, tally in truth.lines.items():
            for event in tally.events:
                go_to_frame(browser, event.frame)
                browser.find_element(By.ID, f"{event.direction.value}-{line}").click()
                entered += 1
                WebDriverWait(browser, 10).until(
                    lambda d, f=event.frame: f"bingkai {f}" in d.find_element(By.ID, "status").text
                )
        for line, tally in truth.lines.items():
            WebDriverWait(browser, 10).until(
                lambda d, n=line, t=tally: (
                    d.find_element(By.ID, f"entered-{n}").text == f"masuk {t.in_count}, keluar {t.out_count}"
                )
            )
        # Zone presence on each sampled frame ("next sample" walks them).
        samples = browser.execute_script("return audit.zoneFrames")
        assert len(samples) == 4
        for frame in samples:
            go_to_frame(browser, frame)
            for zone, per_frame in truth.zones.items():
                present = frame <= len(per_frame) and per_frame[frame - 1] > 0
                browser.find_element(By.ID, f"{'present' if present else 'empty'}-{zone}").click()
                WebDriverWait(browser, 10).until(
                    lambda d, z=zone, f=frame: (
                        f"{z}:" in d.find_element(By.ID, "status").text
                        and f"bingkai {f}" in d.find_element(By.ID, "status").text
                    )
                )
        browser.set_window_size(390, 2400)
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "audit-390px.png"))
        browser.set_window_size(1280, 2400)

        browser.find_element(By.ID, "who").send_keys("Teknisi Uji")
        browser.find_element(By.ID, "save-audit").click()
        shown = WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "accuracy").text)
        assert process.wait(timeout=60) == 0, "".join(output)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not recording.exists(), "the recording outlived the audit"

    reference = evaluate(config, mot15)
    accuracy = reference["line_accuracy"]
    assert shown == f"{round(accuracy * 1000) / 10:g} %"
    [kept] = (tmp_path / "data" / "audits").glob("audit-*.json")
    saved = json.loads(kept.read_text())
    assert saved["line_accuracy"] == accuracy and len(saved["truth"]["crossings"]) == entered

    # The device service publishes the queued audit with its counts: to both stores.
    port_influx = influxdb.url.rsplit(":", 1)[1]
    urls = [f"sqlite:///{tmp_path}/mpp.db", f"influxdb://127.0.0.1:{port_influx}/audit_{uuid.uuid4().hex[:8]}"]
    services = []
    for url in urls:
        settings = from_args(["--mqtt-url", mosquitto.url, "--store", url, "--data-dir", str(tmp_path / "var"),
                              "--client-id", f"audit-{uuid.uuid4().hex[:6]}"], {})  # fmt: skip
        store = open_store(settings.store)
        service = IngestService(settings, store)
        service.start()
        assert service.subscriber.subscribed.wait(10)
        services.append((service, store))
    try:
        run = subprocess.run([*CLI, "run", "--config", str(config), "--drain-timeout-s", "60"],
                             capture_output=True, text=True, timeout=400, cwd=REPO_ROOT)  # fmt: skip
        assert run.returncode == 0, run.stderr[-3000:]
        for _service, store in services:
            wait_until(lambda s=store: bool(s.latest_audits()), 30, "the audit record in the store")
            [audit] = store.latest_audits()
            assert (audit.site, audit.device, audit.auditor) == (SITE, DEVICE, "Teknisi Uji")
            assert audit.line_accuracy == accuracy
            app = create_app(ApiSettings(tmp_path / "api"), store, clock=lambda: datetime(2026, 12, 2, tzinfo=UTC))
            with TestClient(app, headers=HEADERS) as client:
                [device] = client.get("/api/v1/devices", params={"site": SITE}).json()
                assert device["audit"]["line_accuracy"] == accuracy
                assert device["audit"]["auditor"] == "Teknisi Uji"
                page = client.get(f"/api/v1/sites/{SITE}/reports/monthly", params={"month": "2026-11"})
                assert page.status_code == 200, page.text
                day = audit.audited_at.astimezone(ZoneInfo("Asia/Jakarta")).strftime("%d/%m/%Y")
                assert f"{DEVICE}: akurasi terverifikasi {accuracy * 100:.0f} % pada {day}" in page.text
        # The dashboard's device table (SQLite collector): accuracy and date of the audit.
        shown_in_table = f"{round(accuracy * 100)} % ({audit.audited_at:%d/%m/%Y})"
        app = create_app(ApiSettings(tmp_path / "api"), services[0][1], clock=lambda: datetime.now(UTC))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=(api_port := free_port()),
                                               log_level="warning"))  # fmt: skip
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            wait_until(lambda: server.started, 15, "uvicorn")
            browser.get(f"http://127.0.0.1:{api_port}/")
            browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
            browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
            WebDriverWait(browser, 30).until(lambda d: shown_in_table in d.find_element(By.ID, "devices").text)
            assert "Akurasi terverifikasi" in browser.find_element(By.ID, "devices").text
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    finally:
        for service, store in services:
            service.stop()
            store.close()
