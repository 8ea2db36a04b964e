"""The demo's settings, from its environment variables."""

from __future__ import annotations

import contextlib
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The live replay's site; its id sorts after the simulated MPPs (demo/history.py), so the
# dashboard opens on one with history.
SITE = "video-demo"
DEVICE = "cam-1"
TIMEZONE = "Asia/Jakarta"
DEFAULT_LISTEN = "127.0.0.1:8080"


class DemoError(Exception):
    """The demo cannot go on; the message says what to do."""


def say(message: str) -> None:
    """A line for the person at the terminal; a closed terminal (SIGHUP) must not stop the shutdown.

    One write per line: the history loader says its lines from another thread, and print()'s
    separate write of the newline let the two splice into one line."""
    with contextlib.suppress(OSError):
        sys.stdout.write(f"{message}\n")
        sys.stdout.flush()


@dataclass(frozen=True, slots=True)
class DemoSettings:
    work_dir: Path
    shared_dir: Path
    listen_host: str
    listen_port: int
    api_token: str
    token_generated: bool
    mqtt_url: str | None
    mqtt_port: int | None
    video: str | None
    model: str | None
    history: bool = True  # load the simulated history (MPP_DEMO_HISTORY=0: the live replay only)

    @property
    def dashboard_url(self) -> str:
        host = "127.0.0.1" if self.listen_host in ("0.0.0.0", "::", "") else self.listen_host  # noqa: S104
        return f"http://{host}:{self.listen_port}/"


def settings_from_env(environ: Mapping[str, str], cwd: Path) -> DemoSettings:
    listen = environ.get("MPP_LISTEN") or DEFAULT_LISTEN
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise DemoError(f"MPP_LISTEN: expected host:port, got {listen!r}")
    token = environ.get("MPP_API_TOKEN") or ""
    mqtt_port = environ.get("MQTT_PORT") or None
    if mqtt_port is not None and not mqtt_port.isdigit():
        raise DemoError(f"MQTT_PORT: expected a port number, got {mqtt_port!r}")
    return DemoSettings(
        work_dir=cwd / (environ.get("MPP_DEMO_DIR") or "var/demo"),
        shared_dir=Path(environ.get("MPP_SHARED_DIR") or cwd.parent / "shared"),
        listen_host=host.strip("[]"),
        listen_port=int(port),
        api_token=token or secrets.token_urlsafe(24),
        token_generated=not token,
        mqtt_url=environ.get("MQTT_URL") or None,
        mqtt_port=int(mqtt_port) if mqtt_port else None,
        video=environ.get("VIDEO") or None,
        model=environ.get("MODEL") or None,
        history=environ.get("MPP_DEMO_HISTORY", "1") != "0",
    )
