"""The README's promise: on a fresh clone, `make demo` brings up broker,
collector and an edge replaying a clip; the API soon reports footfall for
today; Ctrl-C stops everything and leaves nothing running.

It tests what is committed: the repository's HEAD is cloned. Set
MPP_DEMO_TEST_WORKTREE=1 to lay uncommitted changes over the clone (a check
before committing). The clone reuses this checkout's .venv (no 5 GB torch
re-install) without installing into it: through `make demo NO_SETUP=1
VENV=...` when the Makefile offers that switch, otherwise by running the
command the demo target runs (`$(BIN)/python -m demo`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil
import pytest

from tests.conftest import REPO_ROOT
from tests.services import free_port

VENV = REPO_ROOT / ".venv"
STARTUP_TIMEOUT_S = 90
FOOTFALL_TIMEOUT_S = 300
HISTORY_TIMEOUT_S = 300
STOP_TIMEOUT_S = 60


def clone_repository(target: Path) -> None:
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(target)], check=True, timeout=120)
    if os.environ.get("MPP_DEMO_TEST_WORKTREE") == "1":
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--modified", "--others", "--exclude-standard"],
            cwd=REPO_ROOT, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        for name in filter(None, listed.split("\0")):
            source = REPO_ROOT / name
            if source.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)


def demo_command(clone: Path) -> list[str]:
    makefile = (clone / "Makefile").read_text()
    if "NO_SETUP" in makefile and "VENV ?=" in makefile:
        return ["make", "--no-print-directory", "demo", "NO_SETUP=1", f"VENV={VENV}"]
    return [str(VENV / "bin" / "python"), "-m", "demo"]


class Output:
    """Collects a child's combined output from a thread."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def join(self) -> None:
        self._thread.join(timeout=10)


def today_period(port: int, token: str) -> dict[str, object] | None:
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/sites/video-demo/footfall?granularity=day&start={today}&end={today}",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:  # the site appears with its first record
            return None
        raise
    except (urllib.error.URLError, ConnectionError):
        return None
    return next((period for period in body["periods"] if period["start"].startswith(today)), None)


def api_get(port: int, token: str, path: str) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return str(response.read().decode())


def today_footfall(port: int, token: str) -> int:
    period = today_period(port, token)
    return 0 if period is None else int(str(period["in"]))


def venv_install_state() -> dict[str, str]:
    """What pip wrote for this project into the venv (where the editable install points)."""
    site = next((VENV / "lib").glob("python3*/site-packages"))
    files = [*site.glob("__editable__*mpp_counter*"), *site.glob("mpp_counter-*.dist-info/direct_url.json")]
    return {p.name: p.read_text() for p in files}


def processes_in(folder: Path) -> list[str]:
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            if Path(process.cwd()).is_relative_to(folder):
                found.append(f"{process.pid}: {' '.join(process.info['cmdline'] or [])}")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return found


@pytest.mark.slow
def test_make_demo_on_a_fresh_clone_reports_footfall_today_and_stops_cleanly(tmp_path: Path, shared: Path) -> None:
    if not (VENV / "bin" / "python").exists():
        pytest.fail(f"no venv at {VENV}; run `make setup` first")
    clone = tmp_path / "clone"
    clone_repository(clone)
    port = free_port()
    token = "demo-test-token-" + "0123456789abcdef" * 2
    env = {k: v for k, v in os.environ.items() if k not in ("MQTT_URL", "MQTT_PORT", "VIDEO", "MODEL", "MPP_DEMO_DIR")}
    env.update(MPP_SHARED_DIR=str(shared), MPP_LISTEN=f"127.0.0.1:{port}", MPP_API_TOKEN=token, PYTHONUNBUFFERED="1")
    venv_before = venv_install_state()

    # Its own session, so the Ctrl-C below reaches the demo's process group like a terminal's would.
    process = subprocess.Popen(
        demo_command(clone), cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    output = Output(process)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not any("Login token:" in line for line in output.lines):
            assert process.poll() is None, f"the demo exited early:\n{output.text}"
            assert time.monotonic() < deadline, (
                f"no dashboard URL and token after {STARTUP_TIMEOUT_S} s:\n{output.text}"
            )
            time.sleep(0.5)
        assert f"http://127.0.0.1:{port}/" in output.text
        assert token in output.text

        footfall = 0
        deadline = time.monotonic() + FOOTFALL_TIMEOUT_S
        while footfall == 0:
            assert process.poll() is None, f"the demo exited early:\n{output.text}"
            assert time.monotonic() < deadline, f"no footfall for today after {FOOTFALL_TIMEOUT_S} s:\n{output.text}"
            time.sleep(2)
            footfall = today_footfall(port, token)
        assert footfall > 0
        # The replay covers a few seconds of each opening hour: the count says it is incomplete.
        period = today_period(port, token)
        assert period is not None and period["complete"] is False, period
        assert isinstance(period["coverage"], float) and 0 < period["coverage"] < 0.95, period

        # The simulated history: four labelled MPPs listed first (the dashboard opens the first), and
        # the report with no month chosen is last month's, full of visitors.
        deadline = time.monotonic() + HISTORY_TIMEOUT_S
        while not any("simulated records stored" in line for line in output.lines):
            assert process.poll() is None, f"the demo exited early:\n{output.text}"
            assert time.monotonic() < deadline, f"no simulated history after {HISTORY_TIMEOUT_S} s:\n{output.text}"
            time.sleep(1)
        sites = json.loads(api_get(port, token, "/api/v1/sites"))
        assert [s["site"] for s in sites] == ["kobar", "kotim", "lamandau", "sukamara", "video-demo"], sites
        assert all(s["name"].endswith("(simulasi)") for s in sites[:4]), sites
        report = api_get(port, token, "/api/v1/sites/kobar/reports/monthly")
        visitors = report[report.index("id=visitors>") + len("id=visitors>") :].split("<", 1)[0]
        assert int(visitors.replace(".", "")) > 1000, visitors

        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
        process.wait(timeout=STOP_TIMEOUT_S)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        output.join()

    # make re-raises the SIGINT it received too; the demo itself must say it stopped cleanly.
    assert "demo stopped cleanly." in output.text, output.text
    if demo_command(clone)[0] != "make":
        assert process.returncode == 0, output.text
    assert "Traceback" not in output.text, output.text
    time.sleep(1)
    assert processes_in(clone) == [], "children left running after Ctrl-C"
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine, a listener is not
        sock.bind(("127.0.0.1", port))  # the API port is free again
    assert (clone / "var" / "demo" / "collector.db").is_file(), "the demo ran outside the clone"
    edge_log = (clone / "var" / "demo" / "edge.log").read_text()
    assert "Traceback" not in edge_log, edge_log[-3000:]
    assert venv_install_state() == venv_before, "the main venv was re-pointed or re-installed"
