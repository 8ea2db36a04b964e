"""Periodic ``health`` message: pipeline rates, camera state, outbox and link figures.

Health goes straight to the link at QoS 1, not through the outbox: it is a
snapshot, and a backlog of old snapshots after an outage would only delay the
interval records that matter. While disconnected a health tick is skipped.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from edge import __version__
from edge.outbox.mqtt_link import MqttLink
from edge.outbox.sqlite_outbox import SqliteOutbox
from wire import CameraState, Health, Kind, Topic, encode

log = logging.getLogger(__name__)

_THERMAL_ROOT = Path("/sys/class/thermal")


class PipelineSnapshot(Protocol):
    """What health needs from the pipeline's stats (``edge.pipeline.PipelineStats`` fits)."""

    @property
    def fps(self) -> float: ...
    @property
    def effective_fps(self) -> float: ...
    @property
    def gating_share(self) -> float: ...
    @property
    def idle_share(self) -> float: ...
    @property
    def last_frame_at(self) -> datetime | None: ...
    @property
    def camera_state(self) -> CameraState: ...


def process_cpu_s() -> float:
    """CPU seconds this process has used since it started (user + system, all its threads)."""
    times = os.times()
    return times.user + times.system


def read_cpu_temp_c(root: Path = _THERMAL_ROOT) -> float | None:
    """Highest readable thermal zone in °C (millidegrees in sysfs), or None where there is none."""
    readings = []
    for zone in sorted(root.glob("thermal_zone*/temp")):
        try:
            readings.append(int(zone.read_text().strip()) / 1000.0)
        except (OSError, ValueError):
            continue
    return max(readings) if readings else None


class HealthReporter:
    """Publishes one Health message every ``interval_s`` on its own thread."""

    def __init__(
        self,
        *,
        site: str,
        device: str,
        timezone: str,
        model: str,
        interval_s: float,
        stats: Callable[[], PipelineSnapshot | None],
        outbox: SqliteOutbox,
        link: MqttLink,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._site = site
        self._device = device
        self._timezone = timezone
        self._model = model
        self._interval_s = interval_s
        self._stats = stats
        self._outbox = outbox
        self._link = link
        self._now = now
        self._monotonic = monotonic
        self._started_s = monotonic()
        self._topic = str(Topic(site, device, Kind.HEALTH))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def build(self) -> Health:
        now = self._now()
        stats = self._stats()
        last_frame_age_s = None
        if stats is not None and stats.last_frame_at is not None:
            last_frame_age_s = max(0.0, (now - stats.last_frame_at).total_seconds())
        return Health(
            site=self._site,
            device=self._device,
            timezone=self._timezone,
            ts=now,
            fps=stats.fps if stats else 0.0,
            effective_fps=stats.effective_fps if stats else 0.0,
            gating_share=stats.gating_share if stats else 0.0,
            idle_share=stats.idle_share if stats else None,
            cpu_s=round(process_cpu_s(), 3),
            last_frame_age_s=last_frame_age_s,
            camera_state=stats.camera_state if stats else CameraState.RECONNECTING,
            outbox_depth=self._outbox.depth(),
            dropped_records=self._outbox.dropped(),
            reconnects=self._link.reconnects,
            cpu_temp_c=read_cpu_temp_c(),
            model=self._model[-256:],
            software_version=__version__,
            uptime_s=self._monotonic() - self._started_s,
        )

    def publish_now(self) -> bool:
        """Publish one health message if connected; True when handed to the link."""
        if not self._link.connected:
            log.debug("health: not connected, tick skipped")
            return False
        return self._link.publish(self._topic, encode(self.build())) is not None

    def _run(self) -> None:
        # First report soon after start so a new device shows up without waiting a full interval.
        if self._link.wait_connected(min(self._interval_s, 10.0)):
            self.publish_now()
        while not self._stop.wait(self._interval_s):
            self.publish_now()
