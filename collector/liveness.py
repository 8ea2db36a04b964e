"""The liveness listener: ``GET /healthz`` answered by a small process of its own.

Why a process: a supervisor's probe must answer within its timeout while the collector is
healthy, and fail when it is not. On the API's own port it waits for the event loop, and under
dashboard load the loop is busy with the requests queued before it (20 users reloading at once:
/healthz p95 135-178 ms, BENCHMARKS.md "Dashboard under concurrent users"). A thread beside the
loop does not help: it waits for the GIL at each system call (a probe served by a thread next to
three busy ones took p95 55 ms, 143 ms at worst).

So the collector beats: every second, from the API's event loop, it writes one byte to a pipe,
``1`` while ingest stores and ``0`` once it stopped. This process answers

- 200 ``{"status": "ok"}`` while beats come and say ingest lives;
- 503 ``{"status": "ingest stopped"}`` once a beat says so;
- 503 ``{"status": "api not answering"}`` when no beat came for ``stall_s`` (a stuck event loop:
  the API port would not answer either);

and exits when the pipe closes (the collector ended, however it ended). Only the listening socket
and the pipe are handed over (file descriptors, nothing on its command line); it imports nothing
but the standard library.

    python -m collector.liveness LISTEN_FD BEAT_FD STALL_S
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

BEAT_INTERVAL_S = 1.0
STALL_S = 15.0  # a loop that missed 15 beats is stuck, not busy (p95 under load is 0.2 s)
HEADER_TIMEOUT_S = 5.0
MAX_CONNECTIONS = 64
STOP_TIMEOUT_S = 5.0


class LivenessError(Exception):
    """The liveness listener cannot start (address in use, no such host)."""


_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


@dataclass(frozen=True, slots=True)
class Verdict:
    status_code: int
    status: str

    def response(self, head_only: bool = False) -> bytes:
        body = json.dumps({"status": self.status}, separators=(",", ":")).encode()  # as FastAPI writes it
        head = (
            f"HTTP/1.1 {self.status_code} {_REASONS[self.status_code]}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
        ).encode()
        return head if head_only else head + body


def verdict(ingest_alive: bool, last_beat_s: float, now_s: float, stall_s: float) -> Verdict:
    """What the probe hears, from the last beat (monotonic seconds) and what it said."""
    if not ingest_alive:
        return Verdict(503, "ingest stopped")
    if now_s - last_beat_s > stall_s:
        return Verdict(503, "api not answering")
    return Verdict(200, "ok")


class LivenessListener:
    """The collector's side: binds the address (so a port in use fails at start, here), starts the
    listener process, and beats."""

    def __init__(self, host: str, port: int, stall_s: float = STALL_S) -> None:
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            self._socket = socket.socket(family, socket.SOCK_STREAM)
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind((host, port))
            self._socket.listen(MAX_CONNECTIONS)
        except OSError as exc:
            self._socket.close()
            raise LivenessError(f"cannot listen on {host}:{port} for /healthz: {exc.strerror}") from None
        self.port = int(self._socket.getsockname()[1])
        read_end, self._beat = os.pipe()
        os.set_blocking(self._beat, False)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "collector.liveness", str(self._socket.fileno()), str(read_end), str(stall_s)],
            pass_fds=(self._socket.fileno(), read_end),
            stdin=subprocess.DEVNULL,
        )
        os.close(read_end)
        self._socket.close()  # the listener process holds it now

    def beat(self, ingest_alive: bool) -> None:
        """Called every ``BEAT_INTERVAL_S`` from the API's event loop; never blocks."""
        try:
            os.write(self._beat, b"1" if ingest_alive else b"0")
        except BlockingIOError:
            pass  # the listener is not reading: it hangs or died; its probe fails without our help
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise

    def stop(self) -> None:
        """Close the pipe (the listener exits on it) and wait for the process."""
        if self._beat >= 0:
            os.close(self._beat)
            self._beat = -1
        try:
            self._process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class _Listener:
    """The listener process: the last beat, and an HTTP answer for each connection."""

    def __init__(self, beat_fd: int, stall_s: float) -> None:
        self.beat_fd, self.stall_s = beat_fd, stall_s
        self.last_beat_s = time.monotonic()  # the collector's start counts as its first beat
        self.ingest_alive = True
        self.connections = 0
        self.closed = asyncio.Event()

    def on_beat(self) -> None:
        try:
            data = os.read(self.beat_fd, 4096)
        except BlockingIOError:
            return
        if not data:  # the collector closed the pipe or exited
            self.closed.set()
            return
        self.last_beat_s = time.monotonic()
        self.ingest_alive = data[-1:] == b"1"

    async def answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            if self.connections > MAX_CONNECTIONS:
                return
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEADER_TIMEOUT_S)
            method, target, *_ = [*head.split(b"\r\n", 1)[0].split(b" "), b"", b""]
            if target.split(b"?", 1)[0] != b"/healthz":
                writer.write(Verdict(404, "not found: only /healthz here").response())
            elif method not in (b"GET", b"HEAD"):
                writer.write(Verdict(405, "GET or HEAD only").response())
            else:
                found = verdict(self.ingest_alive, self.last_beat_s, time.monotonic(), self.stall_s)
                writer.write(found.response(head_only=method == b"HEAD"))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass  # a client that sent no request or went away: nothing to answer
        finally:
            self.connections -= 1
            writer.close()


async def _serve(listen_fd: int, beat_fd: int, stall_s: float) -> None:
    listener = _Listener(beat_fd, stall_s)
    os.set_blocking(beat_fd, False)
    asyncio.get_running_loop().add_reader(beat_fd, listener.on_beat)
    server = await asyncio.start_server(listener.answer, sock=socket.socket(fileno=listen_fd))
    async with server:
        await listener.closed.wait()


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s liveness: %(message)s")
    listen_fd, beat_fd, stall_s = int(argv[0]), int(argv[1]), float(argv[2])
    asyncio.run(_serve(listen_fd, beat_fd, stall_s))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
