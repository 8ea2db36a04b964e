"""No child outlives the demo: closing its terminal (SIGHUP) stops broker, collector and
edge in order, and a SIGKILL of the demo takes them down with it (their parent-death signal).

The demo runs from this checkout (``python -m demo``) in a temporary folder, replaying
the shared clip with the shared model; the signal goes out once all three children run.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.conftest import REPO_ROOT
from tests.e2e.test_demo_clone import Output
from tests.services import free_port

STARTUP_TIMEOUT_S = 240
CHILDREN = ("broker", "collector", "edge")


def role(process: psutil.Process) -> str | None:
    try:
        command = " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return None
    if "mosquitto" in command:
        return "broker"
    for name in ("collector", "edge"):
        if f"{name}.cli" in command:
            return name
    return None


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def children_once_all_run(demo: subprocess.Popen[str], output: Output) -> dict[str, psutil.Process]:
    parent = psutil.Process(demo.pid)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        assert demo.poll() is None, f"the demo exited early:\n{output.text}"
        assert time.monotonic() < deadline, f"broker, collector and edge not all running:\n{output.text}"
        found = {r: p for p in parent.children(recursive=True) if (r := role(p)) is not None}
        if set(found) == set(CHILDREN):
            return found
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGKILL], ids=["SIGHUP", "SIGKILL"])
def test_no_broker_collector_or_edge_outlives_the_demo(signum: signal.Signals, tmp_path: Path, shared: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MQTT_URL", "MQTT_PORT", "VIDEO", "MODEL")}
    env.update(
        MPP_SHARED_DIR=str(shared),
        MPP_LISTEN=f"127.0.0.1:{free_port()}",
        MPP_API_TOKEN=secrets.token_hex(32),  # the collector refuses a weak admin token
        MPP_DEMO_DIR=str(tmp_path / "demo"),
        PYTHONPATH=str(REPO_ROOT),
        PYTHONUNBUFFERED="1",
    )
    # Its own session, as a terminal's foreground job would be; the signal goes to the demo alone.
    demo = subprocess.Popen(
        [sys.executable, "-m", "demo"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    output = Output(demo)
    children: dict[str, psutil.Process] = {}
    try:
        children = children_once_all_run(demo, output)
        demo.send_signal(signum)
        demo.wait(timeout=90)
        deadline = time.monotonic() + 15
        while any(alive(p) for p in children.values()) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = sorted(name for name, p in children.items() if alive(p))
        assert left == [], f"still running after {signum.name} to the demo: {left}\n{output.text}"
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        for process in children.values():
            if alive(process):
                process.kill()
        output.join()
    if signum == signal.SIGHUP:
        assert "SIGHUP: stopping edge, collector and broker" in output.text, output.text
        assert "demo stopped cleanly." in output.text, output.text
        assert demo.returncode == 0, output.text
    assert "Traceback" not in output.text, output.text
