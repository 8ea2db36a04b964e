"""The HTTP server (the only uvicorn import) with the limits that keep one LAN client from
starving the others.

- A request's headers must be complete within ``HEADER_TIMEOUT_S`` of the connection opening
  (or of the previous response): a slowloris client that dribbles header bytes is cut off.
  uvicorn has no such timer of its own; its keep-alive timer restarts on every byte.
- ``MAX_CONNECTIONS`` open connections at most; beyond it uvicorn answers 503 at once, and we log
  one WARNING a minute while that lasts. The systemd unit's ``LimitNOFILE`` leaves room for
  these plus the store, the broker and the admin database, so ``accept`` never runs out of
  descriptors before this limit speaks.
- Headers are capped at ``MAX_HEADER_BYTES`` (h11 answers 400 beyond); bodies at
  ``collector.api.guard.MAX_BODY_BYTES``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

HEADER_TIMEOUT_S = 10.0
KEEP_ALIVE_TIMEOUT_S = 5
MAX_CONNECTIONS = 4096
MAX_HEADER_BYTES = 16 * 1024
OVERLOAD_LOG_INTERVAL_S = 60.0


class _HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for each request's headers."""

    header_timeout_s = HEADER_TIMEOUT_S
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the request line and headers are in
            self._disarm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_deadline()  # the next request on this connection gets the same deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout_s, self._header_deadline_passed)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _header_deadline_passed(self) -> None:
        self._header_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


class _OverloadLogLimit(logging.Filter):
    """uvicorn logs every request refused for the concurrency limit; keep one line a minute, with a count."""

    def __init__(self) -> None:
        super().__init__()
        self._last_s = float("-inf")
        self._suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() != "Exceeded concurrency limit.":
            return True
        now = time.monotonic()
        if now - self._last_s < OVERLOAD_LOG_INTERVAL_S:
            self._suppressed += 1
            return False
        record.msg = (
            f"HTTP: {MAX_CONNECTIONS} connections open, answering 503 "
            f"({self._suppressed} more refused since the last warning)"
        )
        record.args = ()
        self._last_s = now
        self._suppressed = 0
        return True


def build_server(app: Any, host: str, port: int) -> uvicorn.Server:
    """The HTTP server with the project's limits; ``run()`` serves until SIGINT/SIGTERM (uvicorn
    handles them and re-raises them after its shutdown) or until ``should_exit`` is set."""
    logging.getLogger("uvicorn.error").addFilter(_OverloadLogLimit())
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        http=_HeaderDeadlineProtocol,
        limit_concurrency=MAX_CONNECTIONS,
        timeout_keep_alive=KEEP_ALIVE_TIMEOUT_S,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )
    return uvicorn.Server(config)
