"""The collector process as shipped (the unit's descriptor limit) against hostile HTTP clients:
a huge body without a token, and a slowloris holding many half-open connections."""

from __future__ import annotations

import configparser
import os
import resource
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.services import MosquittoBroker, free_port, wait_for_port

UNIT = REPO_ROOT / "deploy/collector/mpp-collector.service"
SYSTEMD_DEFAULT_NOFILE = 1024  # systemd's soft limit for services that set no LimitNOFILE


def unit_nofile() -> int:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT)
    value = parser["Service"].get("LimitNOFILE")
    return int(value.split(":")[0]) if value else SYSTEMD_DEFAULT_NOFILE


@dataclass
class Collector:
    process: subprocess.Popen[bytes]
    port: int
    token: str
    log: Path

    def rss_kib(self, field: str = "VmRSS") -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise AssertionError(f"no {field} for the collector")


@pytest.fixture
def collector(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[Collector]:
    port = free_port()
    token = secrets.token_hex(32)
    env = {
        **os.environ,
        "MPP_MQTT_URL": mosquitto.url,
        "MPP_STORE_URL": f"sqlite:///{tmp_path}/mpp.db",
        "MPP_LISTEN": f"127.0.0.1:{port}",
        "MPP_DATA_DIR": str(tmp_path / "var"),
        "MPP_API_TOKEN": token,
    }
    nofile = unit_nofile()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    assert hard == resource.RLIM_INFINITY or hard >= nofile, "this machine's hard limit is below the unit's"

    def as_the_unit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))

    log = tmp_path / "collector.log"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "mpp-collector")], env=env, preexec_fn=as_the_unit,
        stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port, 30, process)
        yield Collector(process, port, token, log)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def http_get(port: int, path: str, timeout_s: float) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout_s) as response:
        return int(response.status)


def test_a_50_mb_body_without_a_token_is_refused_before_it_is_read(collector: Collector) -> None:
    body_bytes = 50 * 1024 * 1024
    assert http_get(collector.port, "/healthz", 5) == 200
    before = collector.rss_kib()
    with socket.create_connection(("127.0.0.1", collector.port), timeout=30) as sock:
        sock.sendall(
            b"PUT /api/v1/sites/kobar HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {body_bytes}\r\n\r\n".encode()
        )
        sock.settimeout(1.0)
        try:
            answer = sock.recv(4096)  # a server that decides from the headers has answered by now
        except TimeoutError:
            answer = b""
        sock.settimeout(30)
        chunk = b'{"name": "' + b"x" * (1024 * 1024 - 10)
        sent = 0
        try:
            while sent < body_bytes:
                sock.sendall(chunk[: body_bytes - sent])
                sent += len(chunk)
            answer = answer or sock.recv(4096)
        except OSError:
            assert answer, "the connection broke before any answer"  # refused early, then cut off
    peak = collector.rss_kib("VmHWM")
    # Reading and parsing the body would cost at least its own size, 50 MB.
    assert peak - before < 20 * 1024, f"RSS grew from {before} KiB to a peak of {peak} KiB"
    assert int(answer.split()[1]) in (401, 413), answer[:200]
    assert collector.process.poll() is None


def test_half_open_connections_do_not_starve_a_normal_request(collector: Collector) -> None:
    """1,100 clients each send half a request line and wait (the slowloris pattern)."""
    held: list[socket.socket] = []
    try:
        for _ in range(1100):
            sock = socket.create_connection(("127.0.0.1", collector.port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never the final blank line
            held.append(sock)
        started = time.monotonic()
        assert http_get(collector.port, "/healthz", 10) == 200
        assert time.monotonic() - started < 3.0
        # The server cuts the half-open ones off once their header deadline has passed.
        held[0].settimeout(20)
        assert held[0].recv(1024) == b"", "a half-open connection was kept open"
    finally:
        for sock in held:
            sock.close()
    assert collector.process.poll() is None
