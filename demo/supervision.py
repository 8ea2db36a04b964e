"""The demo's broker and child processes, none of which may outlive the demo.

Each child runs in its own session (the terminal's Ctrl-C and hang-up reach only
the demo, which then stops the children in order) and, on Linux, carries a
parent-death signal: if the demo dies without stopping them (SIGKILL, a crash),
the kernel sends them SIGKILL. A hard kill loses nothing: the edge's records
wait in its SQLite outbox, the collector's store commits per batch.
"""

from __future__ import annotations

import ctypes
import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from demo.settings import DemoError

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn asking the kernel to SIGKILL the child when the demo dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded here: after fork only async-signal-safe work
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the demo died between fork and prctl
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


class ManagedProcess:
    """A child tied to the demo's life (see the module's docstring), output appended to a log file."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.killed = False

    def start(self, env: Mapping[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env),
                start_new_session=True,
                preexec_fn=_die_with_parent(),
            )

    def poll(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, first_signal: signal.Signals, timeout_s: float) -> int | None:
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(first_signal)
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop within %.0f s; killing it", self.name, timeout_s)
                self.killed = True
                process.kill()
                process.wait()
        return process.returncode

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def python_entry(module: str, args: Sequence[str]) -> list[str]:
    """``python -c`` calling ``module.main()``: like the console script, but with the
    working directory first on sys.path, so a source checkout runs its own code."""
    code = f"import sys; from {module} import main; sys.exit(main())"
    return [sys.executable, "-c", code, *args]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    """Whether the collector could listen there: no other listener. SO_REUSEADDR, as the collector's
    server sets it, so that the previous run's connections in TIME_WAIT (a minute after its stop)
    do not count as "in use"."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host or "127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for_port(host: str, port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@")


class Broker(Protocol):
    @property
    def url(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class MosquittoProcess:
    """The system's mosquitto binary on a private port, anonymous on localhost only.

    The system's mosquitto, not an in-process Python broker: edge and collector speak
    MQTT v5 (PUBACK reason codes, session expiry, receive maximum, shared
    subscriptions) and amqtt 0.12, the maintained Python broker, serves MQTT 3.1.1 only.
    """

    def __init__(self, port: int, work_dir: Path) -> None:
        self.port = port
        self.work_dir = work_dir / "mosquitto"
        self._process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("mosquitto") or next(
            (str(p) for p in (Path("/usr/sbin/mosquitto"), Path("/usr/local/sbin/mosquitto")) if p.exists()), None
        )
        if binary is None:
            raise DemoError(
                "mosquitto is not installed (apt install mosquitto); or set MQTT_URL=mqtt://host:port "
                "to use a running broker"
            )
        self.work_dir.mkdir(parents=True, exist_ok=True)
        config = self.work_dir / "mosquitto.conf"
        # `user`: started as root, mosquitto would switch to its own user, and a change of
        # user clears the parent-death signal; it stays the demo's user instead.
        config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\nuser {pwd.getpwuid(os.getuid()).pw_name}\n"
            f"persistence true\npersistence_location {self.work_dir}/\n"
        )
        self._process = ManagedProcess("broker", [binary, "-c", str(config)], self.work_dir / "mosquitto.log")
        self._process.start(os.environ)
        if not wait_for_port("127.0.0.1", self.port, 15):
            self._process.stop(signal.SIGTERM, 5)
            raise DemoError(f"mosquitto did not listen on port {self.port}: {self._process.tail()}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop(signal.SIGTERM, 10)
            self._process = None


class ExternalBroker:
    def __init__(self, url: str) -> None:
        self._url = url

    @property
    def url(self) -> str:
        return self._url

    def start(self) -> None:
        parts = urlsplit(self._url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise DemoError(f"MQTT_URL: expected mqtt[s]://[user:pass@]host:port, got scheme {parts.scheme!r}")
        port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        if not wait_for_port(parts.hostname, port, 5):
            raise DemoError(f"MQTT_URL: nothing answers at {parts.hostname}:{port}")

    def stop(self) -> None:
        return None
