"""Alerts end to end with real parts: the real `mpp-collector` process, a mosquitto broker, an SMTP server
(aiosmtpd) and a webhook receiver (http.server). A device stops during opening hours: each channel gets
exactly one alert; a restarted collector sends no duplicate; the device's return resolves the episode.
A failed delivery is retried with backoff."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from collector.admin import AdminDb, OpeningDay, OpeningHoursSettings
from collector.alerts.delivery import PAYLOAD_SCHEMA, WebhookChannel
from collector.alerts.evaluate import Finding
from collector.alerts.history import AlertDb
from collector.alerts.rules import AlertKind, AlertRules
from collector.alerts.service import AlertService
from collector.api.directory import SiteDirectory
from collector.config import SqliteStoreSettings
from collector.storage import open_store
from tests.integration.test_ingest_pipeline import Publisher, health_of, publisher, store_url, wait_until
from tests.services import MosquittoBroker, free_port, wait_for_port

__all__ = ["publisher"]  # the fixture, re-used

TOKEN = "d2f1c0b9a8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1"
WEBHOOK_SECRET = "gateway-secret-7f3a9c"


class Mailbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, _server: object, _session: object, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


class Webhook:
    """A JSON receiver on a free loopback port; answers ``fail_first`` requests with HTTP 500."""

    def __init__(self, fail_first: int = 0) -> None:
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.fail_first = fail_first
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append((dict(self.headers), json.loads(body)))
                self.send_response(500 if len(hook.requests) <= hook.fail_first else 200)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?key=abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


def collector(
    broker: MosquittoBroker, tmp_path: Path, port: int, smtp_port: int, hook: Webhook, url: str
) -> subprocess.Popen[bytes]:
    secret_file = tmp_path / "webhook.secret"
    secret_file.write_text(WEBHOOK_SECRET + "\n")
    env = {
        **os.environ,
        "MPP_MQTT_URL": broker.url,
        "MPP_STORE_URL": url,
        "MPP_LISTEN": f"127.0.0.1:{port}",
        "MPP_DATA_DIR": str(tmp_path / "var"),
        "MPP_CLIENT_ID": "alerts-test",
        "MPP_API_TOKEN": TOKEN,
        "MPP_BATCH_LATENCY_MS": "50",
        "MPP_ALERT_INTERVAL_S": "0.5",
        "MPP_SMTP_HOST": "127.0.0.1",
        "MPP_SMTP_PORT": str(smtp_port),
        "MPP_SMTP_SECURITY": "none",
        "MPP_SMTP_FROM": "mpp@dpmptsp.example.go.id",
        "MPP_ALERT_EMAIL_TO": "kepala@example.go.id, teknisi@example.go.id",
        "MPP_ALERT_WEBHOOK_URL": hook.url,
        "MPP_ALERT_WEBHOOK_SECRET_FILE": str(secret_file),
    }
    log = (tmp_path / "collector.log").open("ab")
    process = subprocess.Popen([str(Path(sys.executable).parent / "mpp-collector")], env=env, stdout=log,
                               stderr=subprocess.STDOUT)  # fmt: skip
    wait_for_port(port, 60, process)
    return process


def alerts_api(port: int) -> list[dict[str, Any]]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/sites/mpp-a/alerts",
                                     headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        result: list[dict[str, Any]] = json.loads(response.read())
        return result


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(30)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "influxdb"])
def test_a_device_that_stops_during_opening_hours_alerts_each_channel_once_across_a_restart(
    kind: str,
    mosquitto: MosquittoBroker,
    publisher: Publisher,
    smtp: tuple[Mailbox, int],
    webhook: Webhook,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    mailbox, smtp_port = smtp
    url = store_url(kind, tmp_path, request.getfixturevalue("influxdb") if kind == "influxdb" else None)
    # The site is open around the clock, so "now" is opening time whenever the test runs.
    var = tmp_path / "var"
    var.mkdir()
    admin = AdminDb(var / "admin.db")
    admin.put_opening_hours("mpp-a", OpeningHoursSettings(
        days=[OpeningDay(weekday=d, opens="00:00", closes="24:00") for d in range(7)]))  # fmt: skip
    admin.close()
    rules = AlertDb(var / "admin.db")
    rules.put_rules("mpp-a", AlertRules(device_silent_after_s=3, unstaffed_after_s=None, entrance_coverage_below=None))
    rules.close()
    reader = open_store(url)

    def seen() -> bool:
        return any(d.device == "cam-1" and d.last_seen is not None for d in reader.devices())

    port = free_port()
    process = collector(mosquitto, tmp_path, port, smtp_port, webhook, url)
    try:
        # The device reports until the collector has stored it (earlier messages find no subscriber), then stops.
        deadline = time.monotonic() + 30
        while not seen():
            assert time.monotonic() < deadline, "the collector never stored the device"
            last_message = datetime.now(UTC)
            publisher.messages([health_of("cam-1", last_message)])
            time.sleep(0.3)

        wait_until(lambda: len(mailbox.messages) >= 1 and len(webhook.requests) >= 1, 30, "one alert on each channel")
        time.sleep(3)  # six more evaluations: still the same episode
        assert len(mailbox.messages) == 1 and len(webhook.requests) == 1

        sender, recipients, raw = mailbox.messages[0]
        mail = message_from_bytes(raw)
        assert sender == "mpp@dpmptsp.example.go.id"
        assert recipients == ["kepala@example.go.id", "teknisi@example.go.id"]
        assert "perangkat cam-1 tidak mengirim data" in str(mail["Subject"])
        headers, body = webhook.requests[0]
        assert headers["Authorization"] == f"Bearer {WEBHOOK_SECRET}"
        assert body["schema"] == PAYLOAD_SCHEMA and body["event"] == "opened"
        assert (body["site"], body["kind"], body["subject"]) == ("mpp-a", "device_silent", "cam-1")
        assert body["detail"]["silent_open_s"] >= 3 and "tidak mengirim data" in body["text_id"]
        assert datetime.fromisoformat(body["opened_at"]) - last_message >= timedelta(seconds=3)  # not before

        # Restart: the open episode is in the admin db, so nothing is sent again.
        stop(process)
        process = collector(mosquitto, tmp_path, port, smtp_port, webhook, url)
        wait_until(lambda: b"alerts every" in (tmp_path / "collector.log").read_bytes().split(b"stopped:")[-1],
                   30, "the restarted alert loop")  # fmt: skip
        time.sleep(3)
        assert len(mailbox.messages) == 1 and len(webhook.requests) == 1
        (listed,) = alerts_api(port)
        assert listed["id"] == body["id"] and listed["resolved_at"] is None
        assert listed["deliveries"] == {"email": "delivered", "webhook": "delivered"}

        # The device comes back: the episode is resolved, and a resolution sends nothing.
        publisher.messages([health_of("cam-1", datetime.now(UTC))])
        wait_until(lambda: alerts_api(port)[0]["resolved_at"] is not None, 30, "the episode resolved")
        assert len(mailbox.messages) == 1 and len(webhook.requests) == 1
    finally:
        stop(process)
        reader.close()
    assert "Traceback" not in (tmp_path / "collector.log").read_text()
    assert WEBHOOK_SECRET not in (tmp_path / "collector.log").read_text()


def test_a_failed_delivery_is_retried_with_backoff_and_warned_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hook = Webhook(fail_first=2)
    now = datetime(2026, 4, 6, 2, 0, tzinfo=UTC)
    clock = [now]
    store = open_store(SqliteStoreSettings(path=tmp_path / "mpp.db"))
    admin, db = AdminDb(tmp_path / "admin.db"), AlertDb(tmp_path / "admin.db")
    service = AlertService(store, SiteDirectory(store, admin, lambda: clock[0]), db,
                           [WebhookChannel(hook.url)], lambda: clock[0])  # fmt: skip
    try:
        (alert,) = db.apply("mpp-a", [Finding(AlertKind.DEVICE_SILENT, "cam-1", "cam-1", True)], [], ["webhook"], now)
        with caplog.at_level(logging.WARNING, "collector.alerts.service"):
            service.deliver_due(now)  # 500: retry in 30 s
            service.deliver_due(now + timedelta(seconds=29))  # not yet
            assert len(hook.requests) == 1
            service.deliver_due(now + timedelta(seconds=30))  # 500 again: retry in 60 s
            service.deliver_due(now + timedelta(seconds=89))
            assert len(hook.requests) == 2 and db.delivery_states(alert.id) == {"webhook": "pending"}
            service.deliver_due(now + timedelta(seconds=90))
        assert len(hook.requests) == 3 and db.delivery_states(alert.id) == {"webhook": "delivered"}
        service.deliver_due(now + timedelta(hours=2))
        assert len(hook.requests) == 3
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "HTTP 500" in warnings[0].getMessage()
        assert "key=abc" not in warnings[0].getMessage()  # a gateway key in the URL stays out of the log
    finally:
        hook.close()
        db.close()
        admin.close()
        store.close()


def test_the_monthly_report_is_emailed_once_on_the_1st_with_its_pdf(
    smtp: tuple[Mailbox, int], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from collector.alerts.delivery import EmailChannel
    from tests.integration.test_api_stores import seed

    mailbox, port = smtp
    store = open_store(SqliteStoreSettings(path=tmp_path / "mpp.db"))
    seed(store)
    clock = [datetime(2025, 7, 1, 0, 5, tzinfo=UTC)]  # 07:05 WIB, 08:05 WITA on 1 July

    def service(smtp_port: int) -> tuple[AlertService, AdminDb, AlertDb]:
        admin, db = AdminDb(tmp_path / "admin.db"), AlertDb(tmp_path / "admin.db")
        db.put_rules("mpp-jakarta", AlertRules(device_silent_after_s=None, unstaffed_after_s=None,
                                               entrance_coverage_below=None))  # fmt: skip
        db.put_rules("mpp-makassar", AlertRules(device_silent_after_s=None, unstaffed_after_s=None,
                                                entrance_coverage_below=None))  # fmt: skip
        email = EmailChannel("127.0.0.1", smtp_port, "none", "mpp@example.go.id", ("bupati@example.go.id",))
        sites = SiteDirectory(store, admin, lambda: clock[0])
        return AlertService(store, sites, db, [], lambda: clock[0], report_email=email), admin, db

    try:
        # The mail server is down at first: a rate-limited warning, and a retry after the backoff.
        first, admin, db = service(free_port())
        with caplog.at_level(logging.WARNING, "collector.alerts.service"):
            first.tick()
            first.tick()
        assert mailbox.messages == [] and len([r for r in caplog.records if "monthly report" in r.getMessage()]) == 1
        admin.close()
        db.close()

        second, admin, db = service(port)
        second.tick()
        assert mailbox.messages == []  # waiting for the retry
        clock[0] += timedelta(minutes=5)
        second.tick()
        second.tick()
        assert len(mailbox.messages) == 2  # one per site
        admin.close()
        db.close()
        restarted, admin, db = service(port)
        clock[0] += timedelta(hours=1)
        restarted.tick()
        assert len(mailbox.messages) == 2
        admin.close()
        db.close()
    finally:
        store.close()
    by_subject = {str(message_from_bytes(raw)["Subject"]): message_from_bytes(raw) for _, _, raw in mailbox.messages}
    mail = by_subject["[MPP] Laporan bulanan mpp-jakarta 06-2025"]
    (attachment,) = [part for part in mail.walk() if part.get_content_type() == "application/pdf"]
    assert attachment.get_filename() == "laporan-mpp-jakarta-2025-06.pdf"
    pdf = attachment.get_payload(decode=True)
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    assert mailbox.messages[0][1] == ["bupati@example.go.id"]
