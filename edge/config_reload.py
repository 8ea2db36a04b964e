"""Lines and zones saved while the device runs (``mpp-edge setup``, or an edit) apply without a
restart: the file is watched, and a valid change reaches the pipeline, which switches at the
next interval. The outbox, the MQTT link and the model stay as they are.

Any other setting (source, model, interval, MQTT...) takes a restart; a change to one is
logged, and an invalid file changes nothing.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from edge.config import ConfigError, EdgeConfig, load_config

log = logging.getLogger(__name__)

GEOMETRY = frozenset({"lines", "zones"})


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


class GeometryReloader:
    def __init__(
        self,
        path: Path,
        running: EdgeConfig,
        apply: Callable[[EdgeConfig], None],
        *,
        poll_s: float = 2.0,
    ) -> None:
        self.path, self.running, self.apply, self.poll_s = path, running, apply, poll_s
        self._seen = _signature(path)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="config-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_s):
            self.check()

    def check(self) -> bool:
        """Look at the file once; True when a new geometry was handed on."""
        signature = _signature(self.path)
        if signature is None or signature == self._seen:
            return False
        self._seen = signature
        try:
            saved = load_config(self.path)
        except ConfigError as exc:
            log.warning("%s changed but is not valid; counting goes on as before: %s", self.path, exc)
            return False
        before = self.running.model_dump(mode="json")
        after = saved.model_dump(mode="json")
        others = sorted(k for k in before.keys() | after.keys() if k not in GEOMETRY and before.get(k) != after.get(k))
        if others:
            log.warning(
                "%s: %s changed; restart the service to apply (lines and zones apply now)", self.path, ", ".join(others)
            )
        if all(before.get(key) == after.get(key) for key in GEOMETRY):
            return False
        self.running = self.running.model_copy(update={"lines": saved.lines, "zones": saved.zones})
        log.info(
            "%s: %d line(s) and %d zone(s) apply from the next interval", self.path, len(saved.lines), len(saved.zones)
        )
        self.apply(self.running)
        return True
