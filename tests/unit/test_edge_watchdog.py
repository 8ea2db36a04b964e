from __future__ import annotations

import socket
from pathlib import Path

from edge.pipeline import PipelineStats
from edge.watchdog import PipelineWatchdog, SystemdNotifier
from wire import CameraState


def stats(frames: int, state: CameraState = CameraState.OK) -> PipelineStats:
    return PipelineStats(frames, frames, 10.0, 10.0, 0.0, None, state)


def received(sock: socket.socket) -> list[str]:
    messages = []
    sock.setblocking(False)
    while True:
        try:
            messages.append(sock.recv(256).decode())
        except BlockingIOError:
            return messages


def test_pings_only_while_frames_flow_or_the_camera_reconnects(tmp_path: Path) -> None:
    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as systemd:
        systemd.bind(path)
        notifier = SystemdNotifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000000"})
        assert notifier.watchdog_interval_s == 20.0
        current: list[PipelineStats | None] = [None]
        watchdog = PipelineWatchdog(notifier, lambda: current[0])
        watchdog.start()
        assert received(systemd) == ["READY=1"]

        assert watchdog.check()  # model still loading: alive
        current[0] = stats(5)
        assert watchdog.check()
        assert not watchdog.check()  # frame loop stuck: no ping, systemd will restart us
        current[0] = stats(5, CameraState.RECONNECTING)
        assert watchdog.check()  # camera down but retrying: a restart would not help
        current[0] = stats(9)
        assert watchdog.check()
        assert received(systemd) == ["WATCHDOG=1"] * 4
        watchdog.stop()
        assert received(systemd) == ["STOPPING=1"]


def test_outside_systemd_nothing_is_sent() -> None:
    notifier = SystemdNotifier({})
    assert notifier.watchdog_interval_s is None
    watchdog = PipelineWatchdog(notifier, lambda: stats(1))
    watchdog.start()
    assert watchdog.check()
    watchdog.stop()
