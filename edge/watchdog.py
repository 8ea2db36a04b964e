"""systemd notification (sd_notify): READY once started, WATCHDOG while frames flow.

The protocol is one datagram per message on the socket named by NOTIFY_SOCKET,
so no library is needed. Outside systemd (no NOTIFY_SOCKET) every call is a no-op.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Mapping

from edge.pipeline import PipelineStats
from wire import CameraState

log = logging.getLogger(__name__)


class SystemdNotifier:
    def __init__(self, environ: Mapping[str, str]) -> None:
        address = environ.get("NOTIFY_SOCKET", "")
        # "@name" is an abstract socket: a leading NUL byte on Linux.
        self._address = "\0" + address[1:] if address.startswith("@") else address
        usec = environ.get("WATCHDOG_USEC", "")
        self.watchdog_interval_s = int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 else None

    def notify(self, state: str) -> None:
        if not self._address:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            try:
                sock.sendto(state.encode(), self._address)
            except OSError as exc:
                log.warning("cannot notify systemd (%s): %s", state, exc)


class PipelineWatchdog:
    """Pings systemd's watchdog only while the frame loop makes progress.

    Progress is a new frame since the last check, or a camera that is
    reconnecting (the source is alive and retrying; a restart would not help).
    A frame loop stuck anywhere else stops the pings, and systemd restarts us.
    """

    def __init__(self, notifier: SystemdNotifier, stats: Callable[[], PipelineStats | None]) -> None:
        self._notifier = notifier
        self._stats = stats
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_frames = -1

    def start(self) -> None:
        self._notifier.notify("READY=1")
        if self._notifier.watchdog_interval_s is None:
            return
        self._thread = threading.Thread(target=self._run, name="systemd-watchdog", daemon=True)
        self._thread.start()

    def check(self) -> bool:
        """Ping if the pipeline progressed since the previous check; True when it pinged."""
        stats = self._stats()
        if stats is None:  # still loading the model
            progressed = True
        else:
            progressed = stats.frames_read != self._last_frames or stats.camera_state is CameraState.RECONNECTING
            self._last_frames = stats.frames_read
        if progressed:
            self._notifier.notify("WATCHDOG=1")
        return progressed

    def _run(self) -> None:
        interval_s = self._notifier.watchdog_interval_s or 0.0
        while not self._stop.wait(interval_s / 2):
            self.check()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._notifier.notify("STOPPING=1")
