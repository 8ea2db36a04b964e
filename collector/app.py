"""Composition root: store, ingest, HTTP API. Start in order, stop in reverse."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from collector.config import CollectorSettings
from collector.ingest import IngestService
from collector.liveness import LivenessListener
from collector.storage import Store, open_store

logger = logging.getLogger(__name__)


# Exit status when ingest died: the supervisor (systemd Restart=always, compose
# restart: unless-stopped) starts a fresh process and the broker redelivers.
INGEST_DIED = 70  # EX_SOFTWARE


class CollectorApp:
    def __init__(self, settings: CollectorSettings, *, open_store: Callable[..., Store] = open_store) -> None:
        self.settings = settings
        self._open_store = open_store
        self._stop = threading.Event()
        self._ingest_died = threading.Event()
        self._server: Any = None

    def run(self) -> int:
        """Run until SIGINT/SIGTERM, or until ingest dies; returns the exit status."""
        settings = self.settings
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        store = self._open_store(settings.store)
        logger.info("store %s", settings.store.describe())
        ingest = IngestService(settings, store, on_death=self._on_ingest_death)
        ingest.start()
        alerts = self._alerts(store)
        self._install_signal_handlers()
        liveness: LivenessListener | None = None
        try:
            if settings.health_listen is not None:
                liveness = LivenessListener(settings.health_listen.host, settings.health_listen.port)
                logger.info("liveness: /healthz also on http://%s (a process of its own)", settings.health_listen)
            api = self._api(store, ingest, liveness)
            if api is None:
                self._stop.wait()
            else:
                self._serve(api)
        finally:
            if liveness is not None:
                liveness.stop()
            if alerts is not None:
                alerts.stop()
            ingest.stop()
            store.close()
            logger.info("stopped: %s", ingest.stats())
        if self._ingest_died.is_set():
            logger.critical("exiting with status %d because ingest stopped; the supervisor restarts us", INGEST_DIED)
            return INGEST_DIED
        return 0

    def _on_ingest_death(self, _exc: BaseException) -> None:
        # /healthz already answers 503; stop serving so the process exits.
        self._ingest_died.set()
        self._stop.set()
        if self._server is not None:
            self._server.should_exit = True

    def _api(self, store: Store, ingest: IngestService, liveness: LivenessListener | None) -> Any:
        try:
            from collector.api import create_app
        except ImportError as exc:
            logger.warning("HTTP API not available (%s); serving nothing on %s", exc, self.settings.listen)
            return None
        heartbeat = None if liveness is None else lambda: liveness.beat(ingest.alive())
        return create_app(self.settings, store, ingest_alive=ingest.alive, heartbeat=heartbeat)

    def _alerts(self, store: Store) -> Any:
        """The alert loop, on its own connections to the admin db (the API closes its own at shutdown)."""
        try:
            from collector.admin import AdminDb
            from collector.alerts.delivery import configured_channels, report_channel
            from collector.alerts.history import AlertDb
            from collector.alerts.service import AlertService
            from collector.api.app import ADMIN_DB_NAME, utc_now
            from collector.api.directory import SiteDirectory
        except ImportError as exc:
            logger.warning("alerts not available (%s)", exc)
            return None
        path = self.settings.data_dir / ADMIN_DB_NAME
        admin, alert_db = AdminDb(path, utc_now), AlertDb(path)
        service = AlertService(
            store,
            SiteDirectory(store, admin, utc_now),
            alert_db,
            configured_channels(self.settings.alerts),
            utc_now,
            self.settings.alerts.interval_s,
            report_email=report_channel(self.settings.alerts),
            on_stop=(alert_db.close, admin.close),
        )
        service.start()
        return service

    def _serve(self, api: Any) -> None:
        from collector.api.server import build_server  # uvicorn handles SIGINT/SIGTERM here

        listen = self.settings.listen
        logger.info("serving the API and dashboard on http://%s", listen)
        self._server = build_server(api, listen.host, listen.port)
        if self._stop.is_set():  # a signal, or ingest died, while the API was being built
            return
        self._server.run()

    def _install_signal_handlers(self) -> None:
        # uvicorn captures these while serving and re-raises them after its
        # shutdown; landing here lets ingest flush and the store close cleanly.
        def stop(signum: int, _frame: FrameType | None) -> None:
            logger.info("received %s, stopping", signal.Signals(signum).name)
            self._stop.set()
            if self._server is not None:  # arrived before uvicorn took the signals over
                self._server.should_exit = True

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, stop)
