"""The liveness listener (MPP_HEALTH_LISTEN): /healthz from a process of its own, answering at once
while the API's event loop is busy, 503 when the loop is stuck or ingest stopped, gone with the collector."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from collector.api import create_app
from collector.api.server import build_server
from collector.liveness import LivenessError, LivenessListener
from collector.storage import open_store
from tests.conftest import REPO_ROOT
from tests.integration.test_api_stores import ApiSettings
from tests.services import MosquittoBroker, free_port, wait_for_port


def probe(port: int, path: str = "/healthz", timeout_s: float = 2.0) -> tuple[int, str]:
    """(status, body); status 0 when nothing answers within the timeout or nothing listens."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout_s) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def wait_for(port: int, wanted: tuple[int, str], within_s: float) -> tuple[int, str]:
    deadline = time.monotonic() + within_s
    while (got := probe(port)) != wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    return got


OK = (200, '{"status":"ok"}')
INGEST_STOPPED = (503, '{"status":"ingest stopped"}')
API_STUCK = (503, '{"status":"api not answering"}')


def test_the_listener_answers_from_the_beats_and_exits_when_they_end() -> None:
    listener = LivenessListener("127.0.0.1", free_port(), stall_s=1.0)
    try:
        assert wait_for(listener.port, OK, 10) == OK  # the start counts as a beat
        assert probe(listener.port, "/api/v1/sites")[0] == 404
        assert wait_for(listener.port, API_STUCK, 5) == API_STUCK  # no beat for 1 s
        listener.beat(True)
        assert probe(listener.port) == OK
        listener.beat(False)
        assert probe(listener.port) == INGEST_STOPPED
        with pytest.raises(LivenessError, match=f"cannot listen on 127.0.0.1:{listener.port}"):
            LivenessListener("127.0.0.1", listener.port)
    finally:
        listener.stop()
    assert probe(listener.port) == (0, "")


def test_it_answers_while_the_api_loop_is_busy_and_says_when_it_is_stuck(tmp_path: Path) -> None:
    """A coroutine that blocks the API's event loop for 4 s stands for a loop too busy to answer: the API's
    own /healthz is silent, the listener answers at once, then reports the stall, then recovers."""
    store = open_store(f"sqlite:///{tmp_path}/mpp.db")
    listener = LivenessListener("127.0.0.1", free_port(), stall_s=1.5)
    app = create_app(ApiSettings(tmp_path / "var"), store, heartbeat=lambda: listener.beat(True))

    async def block_the_loop() -> dict[str, str]:
        time.sleep(4)  # on the event loop, on purpose
        return {}

    app.add_api_route("/block-the-loop", block_the_loop)
    app.router.routes.insert(0, app.router.routes.pop())  # ahead of the dashboard's mount at /

    api_port = free_port()
    server = build_server(app, "127.0.0.1", api_port)
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    try:
        wait_for_port(api_port, 30)
        assert wait_for(api_port, OK, 10) == OK and wait_for(listener.port, OK, 5) == OK
        blocker = threading.Thread(target=probe, args=(api_port, "/block-the-loop", 10))
        blocker.start()
        time.sleep(0.3)
        assert probe(api_port, timeout_s=0.5) == (0, ""), "the API loop answered while blocked"
        started = time.perf_counter()
        assert probe(listener.port, timeout_s=0.5) == OK
        assert time.perf_counter() - started < 0.5
        assert wait_for(listener.port, API_STUCK, 4) == API_STUCK
        blocker.join(10)
        assert wait_for(listener.port, OK, 5) == OK  # beats again once the loop runs
    finally:
        server.should_exit = True
        serving.join(10)
        listener.stop()
        store.close()


def docker_health_check(env: dict[str, str]) -> int:
    """The collector image's HEALTHCHECK command, run here with the container's variables."""
    dockerfile = (REPO_ROOT / "deploy/collector/Dockerfile").read_text()
    command = json.loads(dockerfile.split("HEALTHCHECK", 1)[1].split("CMD ", 1)[1].split("\n", 1)[0])
    assert command[0] == "python"
    return subprocess.run([sys.executable, *command[1:]], env=env, capture_output=True, timeout=30).returncode


def test_the_collector_serves_it_and_it_dies_with_the_collector(mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    api_port, health_port = free_port(), free_port()
    env = {
        **os.environ,
        "MPP_MQTT_URL": mosquitto.url,
        "MPP_STORE_URL": f"sqlite:///{tmp_path}/mpp.db",
        "MPP_LISTEN": f"127.0.0.1:{api_port}",
        "MPP_HEALTH_LISTEN": f"127.0.0.1:{health_port}",
        "MPP_DATA_DIR": str(tmp_path / "var"),
    }
    log = tmp_path / "collector.log"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "mpp-collector")], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(api_port, 30, process)
        assert wait_for(health_port, OK, 10) == OK, log.read_text()
        assert docker_health_check(env) == 0
        process.send_signal(signal.SIGKILL)  # no shutdown at all: the listener must not outlive it
        process.wait(10)
        assert wait_for(health_port, (0, ""), 5) == (0, ""), "the listener outlived the collector"
        assert docker_health_check(env) != 0
    finally:
        process.kill()
        process.wait(10)
