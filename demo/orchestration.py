"""Start broker, collector and the edge's replays in order; stop them in reverse, on any signal."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml

from collector.storage import StoreError, open_store
from demo import history
from demo.admin_client import configure_simulated_sites, configure_site, healthy
from demo.assets import ONLINE_MODEL, SHARED_MODEL, resolve_model, resolve_video
from demo.edge_config import PASSWORD_VARIABLE, edge_config, replay_starts
from demo.settings import DEVICE, SITE, TIMEZONE, DemoError, DemoSettings, say, settings_from_env
from demo.supervision import (
    Broker,
    ExternalBroker,
    ManagedProcess,
    MosquittoProcess,
    free_port,
    port_is_free,
    python_entry,
    redacted,
)

logger = logging.getLogger(__name__)

# Ctrl-C, `kill`, and a closed terminal all stop the demo in order.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Demo:
    def __init__(self, settings: DemoSettings) -> None:
        self.settings = settings
        self.stop_requested = threading.Event()
        self.broker: Broker | None = None
        self.collector: ManagedProcess | None = None
        self.edge: ManagedProcess | None = None
        self.history: threading.Thread | None = None

    def request_stop(self, signum: int, _frame: FrameType | None) -> None:
        if not self.stop_requested.is_set():
            say(f"\n{signal.Signals(signum).name}: stopping edge, collector and broker ...")
        self.stop_requested.set()

    def run(self) -> int:
        settings = self.settings
        settings.work_dir.mkdir(parents=True, exist_ok=True)
        if not port_is_free(settings.listen_host, settings.listen_port):
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
                configure_site(settings.dashboard_url, settings.api_token, starts)
                self._announce(video, model)  # before the history's thread starts saying its own lines
                if settings.history:
                    configure_simulated_sites(settings.dashboard_url, settings.api_token)
                    self._start_history()
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
        logger.info("broker at %s", redacted(self.broker.url))

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
            if healthy(settings.dashboard_url):
                return
            time.sleep(0.3)
        if not self.stop_requested.is_set():
            raise DemoError(f"the collector did not answer /healthz within 60 s:\n{self.collector.tail()}")

    def _start_history(self) -> None:
        """Load the simulated history beside the replay (the dashboard is usable meanwhile)."""
        self.history = threading.Thread(target=self._load_history, name="demo-history", daemon=True)
        self.history.start()

    def _load_history(self) -> None:
        settings = self.settings
        marker = settings.work_dir / "history.json"
        story = history.plan(datetime.now(ZoneInfo(history.TIMEZONE)))
        first = history.resume_from(marker.read_text() if marker.is_file() else None, story)
        say(f"history: loading simulated history (simulasi) of {len(history.SITES)} MPPs, "
            f"{first or story.first} to {story.last} ...")  # fmt: skip
        started = time.monotonic()
        store = open_store(f"sqlite:///{settings.work_dir / 'collector.db'}")
        try:
            result = history.load(store, story, first, stop=self.stop_requested.is_set)
        except StoreError as exc:
            say(f"history: not loaded ({exc})")
            return
        finally:
            store.close()
        if self.stop_requested.is_set():
            return
        marker.write_text(history.marker_text(story))
        say(f"history: {result.records:,} simulated records stored in {time.monotonic() - started:.0f} s")

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
        say(f"  Broker:      {redacted(self.broker.url if self.broker else '')}")
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
        if self.history is not None:
            self.history.join(timeout=60)  # stops after the batch it is writing
        if self.edge is not None:
            # SIGTERM: graceful once `run` handles signals, and a quiet exit (no traceback) if it
            # arrives while the edge is still importing its libraries.
            self.edge.stop(signal.SIGTERM, 30)
        if self.collector is not None:
            self.collector.stop(signal.SIGINT, 20)
        if self.broker is not None:
            self.broker.stop()
        return [p.name for p in (self.edge, self.collector) if p is not None and p.killed]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        demo = Demo(settings_from_env(os.environ, Path.cwd()))
    except DemoError as exc:
        say(f"demo: {exc}")
        return 2
    for signum in STOP_SIGNALS:
        signal.signal(signum, demo.request_stop)
    try:
        return demo.run()
    except DemoError as exc:
        say(f"demo: {exc}")
        return 1
    finally:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, signal.default_int_handler)
