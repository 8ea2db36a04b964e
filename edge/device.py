"""Composition root of ``mpp-edge run``: outbox, MQTT link, forwarder, pipeline, health.

Start order: outbox (the sink must exist first) -> MQTT link (fails fast on a
missing password, before the model loads) -> forwarder (drains what a previous
run left) -> pipeline -> health. Stop in reverse; the link publishes retained
``offline`` last. SIGTERM/SIGINT stop the frame loop; a second SIGINT kills.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from edge.app import build_counting, build_pipeline
from edge.config import EdgeConfig
from edge.config_reload import GeometryReloader
from edge.outbox.forwarder import Forwarder
from edge.outbox.health import HealthReporter
from edge.outbox.mqtt_link import MqttLink
from edge.outbox.sqlite_outbox import SqliteOutbox
from edge.pipeline import Pipeline, PipelineStats
from edge.watchdog import PipelineWatchdog, SystemdNotifier

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_NOT_DRAINED = 3
EXIT_SOURCE_ENDED = 4
_FORWARDER_WINDOW = 100


def _install_signal_handlers(stop: threading.Event, hurry: threading.Event) -> dict[int, object]:
    previous: dict[int, object] = {}

    def handle(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            # A second signal: stop waiting for the outbox; a third SIGINT kills.
            hurry.set()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            return
        log.warning("received %s: finishing the current interval and stopping", signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, handle)
    return previous


def _wait_drained(forwarder: Forwarder, outbox: SqliteOutbox, hurry: threading.Event, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    log.info("waiting up to %.0f s for %d record(s) to reach the broker", timeout_s, outbox.depth())
    while not hurry.is_set():
        remaining_s = deadline - time.monotonic()
        if remaining_s <= 0:
            return False
        if forwarder.wait_drained(min(remaining_s, 0.5)):
            return True
    return False


def run_device(config: EdgeConfig, *, gating: bool, drain_timeout_s: float, config_path: Path | None = None) -> int:
    """Run until stopped (live source) or until a file is processed and its records delivered.

    Returns 0 on a clean stop or a drained file run, EXIT_NOT_DRAINED when records
    are still in the outbox after ``drain_timeout_s`` (they are kept and sent by
    the next run). Raises ConfigError for bad settings (the message names them).
    With ``config_path``, lines and zones saved there apply from the next interval.
    """
    outbox = SqliteOutbox(config.outbox)
    link = MqttLink(config.mqtt, config.site, config.device)
    link.set_max_inflight(_FORWARDER_WINDOW)
    forwarder = Forwarder(outbox, link, window=_FORWARDER_WINDOW)
    stop = threading.Event()
    hurry = threading.Event()
    previous_handlers = _install_signal_handlers(stop, hurry)
    pipeline: Pipeline | None = None
    health: HealthReporter | None = None
    reloader: GeometryReloader | None = None

    def stats() -> PipelineStats | None:
        return pipeline.stats() if pipeline is not None else None

    # Under systemd (Type=notify, WatchdogSec): READY once running, pings while frames flow.
    watchdog = PipelineWatchdog(SystemdNotifier(os.environ), stats)
    try:
        link.start()
        forwarder.start()
        watchdog.start()
        pipeline = build_pipeline(config, outbox, gating=gating, clock=lambda: datetime.now(UTC))

        health = HealthReporter(
            site=config.site,
            device=config.device,
            timezone=config.timezone,
            model=config.model,
            interval_s=config.health_interval_s,
            stats=stats,
            outbox=outbox,
            link=link,
        )
        health.start()
        if config_path is not None:
            running = pipeline
            reloader = GeometryReloader(config_path, config, lambda new: running.replace_counting(*build_counting(new)))
            reloader.start()
        pipeline.run(stop)
        if stop.is_set():
            # Deliver what we can (e.g. the interval just flushed); the rest waits on disk for the next run.
            if not _wait_drained(forwarder, outbox, hurry, drain_timeout_s):
                log.warning("stopped; %d record(s) stay in %s for the next run", outbox.depth(), config.outbox.path)
            return EXIT_OK
        if config.source_kind != "file":
            log.error("camera source %s ended unexpectedly; restart the service", config.source_shown)
            return EXIT_SOURCE_ENDED
        drain_started_s = time.monotonic()
        if _wait_drained(forwarder, outbox, stop, drain_timeout_s):  # a signal ends the wait
            log.info("all records delivered (%d this run)", forwarder.published)
            return EXIT_OK
        log.error(
            "outbox not drained after %.0f s: %d record(s) remain in %s (broker %s %s); "
            "they are kept and sent by the next run",
            time.monotonic() - drain_started_s,
            outbox.depth(),
            config.outbox.path,
            config.mqtt.url,
            "connected" if link.connected else "unreachable",
        )
        return EXIT_NOT_DRAINED
    finally:
        if reloader is not None:
            reloader.stop()
        if health is not None:
            health.stop()
        watchdog.stop()
        forwarder.stop()
        link.stop()
        outbox.close()
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
