"""`make demo`: the whole system on one machine, on embedded defaults.

Starts an MQTT broker (unless ``MQTT_URL`` names one), the collector on SQLite
through its real entry point, and an edge device as a subprocess that replays
a sample clip once for each of today's hours so far, up to eight (site
``demo``; the demo opens the site during those hours), so the
dashboard fills with footfall and gerai occupancy. Prints the dashboard URL
and a login token. Ctrl-C stops everything in reverse order.

Environment: ``MQTT_URL`` (external broker), ``MQTT_PORT`` (port of the
demo's own broker), ``VIDEO``, ``MODEL``, ``MPP_SHARED_DIR``, ``MPP_LISTEN``,
``MPP_API_TOKEN``, ``MPP_DEMO_DIR`` (default ``var/demo``).

The broker is the system's mosquitto on a private localhost port, not an
in-process Python broker: edge and collector speak MQTT v5 (PUBACK reason
codes, session expiry, receive maximum, shared subscriptions) and amqtt 0.12,
the maintained Python broker, serves MQTT 3.1.1 only.

The edge runs as ``python -m edge.cli run``: the collector never imports the
edge (an import-linter contract), and the counts travel the real MQTT path.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml

logger = logging.getLogger(__name__)

SITE = "demo"
DEVICE = "cam-1"
TIMEZONE = "Asia/Jakarta"
# One replay of the clip per hour: the hours of today that have begun, the
# latest REPLAY_HOURS of them, so that every view (staffing, live occupancy)
# has data in the past whatever the time of day.
REPLAY_HOURS = 8
SHARED_CLIP = Path("data/mot15/TUD-Stadtmitte/TUD-Stadtmitte.mp4")
SHARED_MODEL = Path("models/yolov8n_int8_openvino_model")
ONLINE_MODEL = "yolo11n.pt"  # Ultralytics downloads it on first use
ONLINE_CLIP_URL = "https://github.com/ultralytics/assets/releases/download/v0.0.0/solutions_ci_demo.mp4"
DEFAULT_LISTEN = "127.0.0.1:8080"
# The edge reads an MQTT_URL password from this variable (configs hold no secrets).
PASSWORD_VARIABLE = "MPP_DEMO_MQTT_PASSWORD"  # noqa: S105 - a variable name, not a password

# Geometry drawn for TUD-Stadtmitte (640x480, a pedestrian street): people
# walking right-to-left across x=0.58 count `in`; a person standing at the
# left shop front fills the staff zone, people stopping on the right the queue.
DEMO_LINES = ({"name": "entrance", "role": "entrance", "points": [[0.58, 0.35], [0.58, 0.95]]},)
DEMO_ZONES = (
    {
        "name": "gerai-1-staff",
        "role": "staff",
        "gerai": "gerai-1",
        "points": [[0.2, 0.42], [0.44, 0.42], [0.44, 0.62], [0.2, 0.62]],
    },
    {
        "name": "gerai-1-queue",
        "role": "queue",
        "gerai": "gerai-1",
        "points": [[0.6, 0.44], [0.86, 0.44], [0.86, 0.62], [0.6, 0.62]],
    },
)


class DemoError(Exception):
    """The demo cannot go on; the message says what to do."""


def say(message: str) -> None:
    print(message, flush=True)  # noqa: T201 - the demo is a command-line program


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
    )


# --- assets ------------------------------------------------------------------


def resolve_video(settings: DemoSettings) -> str:
    """VIDEO, else the shared clip, else the public sample clip (downloaded once)."""
    if settings.video:
        if "://" not in settings.video and not Path(settings.video).is_file():
            raise DemoError(f"VIDEO: no such file {settings.video}")
        return settings.video
    shared = settings.shared_dir / SHARED_CLIP
    if shared.is_file():
        return str(shared)
    target = settings.work_dir / Path(urlsplit(ONLINE_CLIP_URL).path).name
    if not target.is_file():
        say(f"downloading the sample clip {ONLINE_CLIP_URL} ...")
        partial = target.with_suffix(".part")
        try:
            with urllib.request.urlopen(ONLINE_CLIP_URL, timeout=30) as response, partial.open("wb") as out:
                shutil.copyfileobj(response, out)
        except (urllib.error.URLError, OSError) as exc:
            partial.unlink(missing_ok=True)
            raise DemoError(
                f"cannot download the sample clip ({exc}); offline, set VIDEO=path/to/clip.mp4 "
                f"or MPP_SHARED_DIR to a folder holding {SHARED_CLIP}"
            ) from None
        partial.rename(target)
    return str(target)


def resolve_model(settings: DemoSettings) -> str:
    """MODEL, else the shared OpenVINO model, else yolo11n.pt (Ultralytics downloads it)."""
    if settings.model:
        return settings.model
    shared = settings.shared_dir / SHARED_MODEL
    if shared.is_dir():
        return str(shared)
    return ONLINE_MODEL


def edge_config(
    settings: DemoSettings, mqtt_url: str, video: str, model: str, video_start: datetime
) -> dict[str, object]:
    """One device config (edge/config.py's schema) for one replay of the clip."""
    parts = urlsplit(mqtt_url)
    mqtt: dict[str, object] = {"url": f"{parts.scheme}://{parts.hostname}:{parts.port or 1883}"}
    if parts.username:
        mqtt["username"] = parts.username
    if parts.password:
        mqtt["password_env"] = PASSWORD_VARIABLE
    return {
        "site": SITE,
        "device": DEVICE,
        "timezone": TIMEZONE,
        "source": video,
        "video_start": video_start.isoformat(),
        "model": model,
        # The clip lasts ~7 s: 10-s intervals are mostly observed, so the staffing
        # view counts them (it treats intervals observed under half as unobserved).
        "interval_s": 10,
        "lines": [dict(line) for line in DEMO_LINES],
        "zones": [dict(zone) for zone in DEMO_ZONES],
        "mqtt": mqtt,
        "outbox": {"path": str(settings.work_dir / "outbox.db")},
    }


def replay_starts(now: datetime, timezone: str = TIMEZONE) -> list[datetime]:
    """Starts of today's latest REPLAY_HOURS hours that have begun by ``now``, site-local."""
    local = now.astimezone(ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    first = max(0, local.hour - REPLAY_HOURS + 1)
    # Wall-clock hours: replace() keeps each start on the hour across any DST change.
    return [midnight.replace(hour=hour) for hour in range(first, local.hour + 1)]


# --- brokers -------------------------------------------------------------------


class Broker(Protocol):
    @property
    def url(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class MosquittoProcess:
    """The system's mosquitto binary on a private port, anonymous on localhost only."""

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
        config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
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


# --- child processes ---------------------------------------------------------


class ManagedProcess:
    """A child in its own session (the terminal's Ctrl-C reaches only the demo,
    which then stops children in order), output appended to a log file."""

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
                self.argv, stdout=log, stderr=subprocess.STDOUT, env=dict(env), start_new_session=True
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


# --- orchestration -------------------------------------------------------------


class Demo:
    def __init__(self, settings: DemoSettings) -> None:
        self.settings = settings
        self.stop_requested = threading.Event()
        self.broker: Broker | None = None
        self.collector: ManagedProcess | None = None
        self.edge: ManagedProcess | None = None

    def request_stop(self, signum: int, _frame: FrameType | None) -> None:
        if not self.stop_requested.is_set():
            say(f"\n{signal.Signals(signum).name}: stopping edge, collector and broker ...")
        self.stop_requested.set()

    def run(self) -> int:
        settings = self.settings
        settings.work_dir.mkdir(parents=True, exist_ok=True)
        if not _port_is_free(settings.listen_host, settings.listen_port):
            raise DemoError(
                f"port {settings.listen_port} is in use; set MPP_LISTEN=127.0.0.1:<free port> (e.g. 127.0.0.1:8081)"
            )
        video = resolve_video(settings)
        model = resolve_model(settings)
        try:
            self._start_broker()
            self._start_collector()
            if not self.stop_requested.is_set():  # Ctrl-C while the collector was starting
                starts = replay_starts(datetime.now(ZoneInfo(TIMEZONE)))
                self._configure_site(starts)
                self._announce(video, model)
                self._replay(video, model, starts)
            if not self.stop_requested.is_set():
                say("all hours replayed; the dashboard stays up. Ctrl-C stops the demo.")
            while not self.stop_requested.wait(0.5):
                self._check_collector()
        finally:
            killed = self._stop_all()
        if killed:
            say(f"demo stopped, but {' and '.join(killed)} had to be killed (see the logs in {settings.work_dir}/).")
            return 1
        say("demo stopped cleanly.")
        return 0

    def _start_broker(self) -> None:
        settings = self.settings
        if settings.mqtt_url:
            self.broker = ExternalBroker(settings.mqtt_url)
        else:
            self.broker = MosquittoProcess(settings.mqtt_port or free_port(), settings.work_dir)
        self.broker.start()
        logger.info("broker at %s", _redacted(self.broker.url))

    def _start_collector(self) -> None:
        settings = self.settings
        assert self.broker is not None
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "MPP_MQTT_URL": self.broker.url,
            "MPP_STORE_URL": f"sqlite:///{settings.work_dir / 'collector.db'}",
            "MPP_LISTEN": f"{settings.listen_host}:{settings.listen_port}",
            "MPP_API_TOKEN": settings.api_token,
            "MPP_DATA_DIR": str(settings.work_dir),
            "MPP_CLIENT_ID": "mpp-demo-collector",
        }
        self.collector = ManagedProcess(
            "collector", python_entry("collector.cli", []), settings.work_dir / "collector.log"
        )
        self.collector.start(env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.stop_requested.is_set():
            self._check_collector()
            if _healthy(settings.dashboard_url + "healthz"):
                return
            time.sleep(0.3)
        if not self.stop_requested.is_set():
            raise DemoError(f"the collector did not answer /healthz within 60 s:\n{self.collector.tail()}")

    def _configure_site(self, starts: Sequence[datetime]) -> None:
        """Name the demo site and open it every day during the replayed hours, through
        the admin API, so that the staffing view has opening hours to measure."""
        closes = "23:59" if starts[-1].hour == 23 else f"{starts[-1].hour + 1:02d}:00"
        days = [{"weekday": day, "opens": f"{starts[0].hour:02d}:00", "closes": closes} for day in range(7)]
        for path, body in (
            (f"sites/{SITE}", {"name": "MPP Demo", "timezone": TIMEZONE}),
            (f"sites/{SITE}/opening-hours", {"days": days, "holidays": []}),
        ):
            request = urllib.request.Request(  # noqa: S310 - our own local http URL
                f"{self.settings.dashboard_url}api/v1/{path}",
                data=json.dumps(body).encode(),
                method="PUT",
                headers={"Authorization": f"Bearer {self.settings.api_token}", "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - our own local URL
                    pass
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:300].decode(errors="replace")
                raise DemoError(f"the collector refused PUT /api/v1/{path}: {exc.code} {detail}") from None
            except (urllib.error.URLError, OSError) as exc:
                raise DemoError(f"cannot reach the collector's API for /api/v1/{path}: {exc}") from None

    def _check_collector(self) -> None:
        if self.collector is not None and (code := self.collector.poll()) is not None:
            raise DemoError(
                f"the collector exited with code {code} (log: {self.collector.log_path}):\n{self.collector.tail()}"
            )

    def _announce(self, video: str, model: str) -> None:
        settings = self.settings
        token_note = "generated for this run" if settings.token_generated else "from MPP_API_TOKEN"
        say("")
        say(f"  Dashboard:   {settings.dashboard_url}")
        say(f"  Login token: {settings.api_token}   ({token_note})")
        say(f"  Broker:      {_redacted(self.broker.url if self.broker else '')}")
        say(f"  Clip:        {video}")
        say(f"  Model:       {model}")
        say(f"  Logs:        {settings.work_dir}/")
        say("")

    def _replay(self, video: str, model: str, starts: Sequence[datetime]) -> None:
        settings = self.settings
        assert self.broker is not None
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        password = urlsplit(self.broker.url).password
        if password:
            env[PASSWORD_VARIABLE] = password
        for start in starts:
            if self.stop_requested.is_set():
                return
            config_path = settings.work_dir / f"edge-{start:%H%M}.yaml"
            config = edge_config(settings, self.broker.url, video, model, start)
            config_path.write_text(yaml.safe_dump(config, sort_keys=False))
            say(f"edge: replaying the clip as {SITE}/{DEVICE} at {start:%Y-%m-%d %H:%M %Z} ...")
            self.edge = ManagedProcess(
                "edge",
                python_entry("edge.cli", ["-v", "run", "--config", str(config_path), "--drain-timeout-s", "60"]),
                settings.work_dir / "edge.log",
            )
            self.edge.start(env)
            while (code := self.edge.poll()) is None:
                if self.stop_requested.wait(0.3):
                    return
                self._check_collector()
            if code != 0:
                hint = ""
                if model == ONLINE_MODEL:
                    hint = f"\noffline? set MODEL=path/to/model or MPP_SHARED_DIR to a folder holding {SHARED_MODEL}"
                raise DemoError(
                    f"the edge exited with code {code} (log: {self.edge.log_path}):\n{self.edge.tail()}{hint}"
                )
            self.edge = None

    def _stop_all(self) -> list[str]:
        """Stop in reverse order of start: the edge flushes its outbox, the collector
        acknowledges what it stored, then the broker goes. Returns what had to be killed."""
        if self.edge is not None:
            # SIGTERM: graceful once `run` handles signals, and a quiet exit (no traceback) if it
            # arrives while the edge is still importing its libraries.
            self.edge.stop(signal.SIGTERM, 30)
        if self.collector is not None:
            self.collector.stop(signal.SIGINT, 20)
        if self.broker is not None:
            self.broker.stop()
        return [p.name for p in (self.edge, self.collector) if p is not None and p.killed]


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host or "127.0.0.1", port))
        except OSError:
            return False
    return True


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own local URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        demo = Demo(settings_from_env(os.environ, Path.cwd()))
    except DemoError as exc:
        say(f"demo: {exc}")
        return 2
    signal.signal(signal.SIGINT, demo.request_stop)
    signal.signal(signal.SIGTERM, demo.request_stop)
    try:
        return demo.run()
    except DemoError as exc:
        say(f"demo: {exc}")
        return 1
    finally:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, signal.default_int_handler)


if __name__ == "__main__":
    sys.exit(main())
