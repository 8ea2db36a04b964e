"""Moves records from the outbox to the broker: QoS 1, delete only after PUBACK.

Runs on its own thread; the frame loop only ever writes to SQLite. Up to
``window`` publishes are in flight at once (throughput over a slow link
without unbounded memory). PUBACKs arrive on paho's thread and are handed over
through a queue, so the mid -> row mapping and all SQLite writes stay on this
thread and acks are committed in batches.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from edge.outbox.mqtt_link import MqttLink, PublishResult
from edge.outbox.sqlite_outbox import SqliteOutbox

log = logging.getLogger(__name__)

_IDLE_WAIT_S = 0.5
# A record the broker refused (e.g. ACL) is retried after this long, never deleted.
_REFUSED_RETRY_S = 60.0


class Forwarder:
    def __init__(self, outbox: SqliteOutbox, link: MqttLink, *, window: int = 100) -> None:
        self._outbox = outbox
        self._link = link
        self._window = window
        self._results: queue.SimpleQueue[PublishResult] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._inflight: dict[int, int] = {}  # mid -> outbox row id
        self._cursor = 0  # highest row id handed to paho
        self._rescan_at_s: float | None = None
        self._idle = threading.Event()
        self._published = 0
        self._thread = threading.Thread(target=self._run, name="forwarder", daemon=True)
        link.add_publish_listener(self._on_result)
        outbox.add_listener(self._wake.set)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    @property
    def published(self) -> int:
        """Records acknowledged by the broker since start."""
        return self._published

    def wait_drained(self, timeout_s: float) -> bool:
        """True once the outbox is empty and nothing is in flight."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._idle.is_set() and self._outbox.depth() == 0:
                return True
            self._wake.set()
            time.sleep(0.05)
        return self._idle.is_set() and self._outbox.depth() == 0

    # -- thread -----------------------------------------------------------------------------

    def _on_result(self, result: PublishResult) -> None:
        self._results.put(result)
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(_IDLE_WAIT_S)
            self._wake.clear()
            try:
                self._step()
            except Exception:
                # Rows stay in the outbox; log, back off and keep the thread alive.
                log.exception("forwarder: unexpected error; records stay in the outbox and are retried")
                self._stop.wait(_IDLE_WAIT_S)
        self._apply_results()

    def _step(self) -> None:
        if self._outbox.unsaved():
            self._outbox.flush_unsaved()
        self._apply_results()
        if self._rescan_at_s is not None and time.monotonic() >= self._rescan_at_s and not self._inflight:
            self._cursor = 0
            self._rescan_at_s = None
        sent = self._publish_more()
        if self._inflight or sent:
            self._idle.clear()
        else:
            self._idle.set()

    def _apply_results(self) -> None:
        acked: list[int] = []
        while True:
            try:
                result = self._results.get_nowait()
            except queue.Empty:
                break
            row_id = self._inflight.pop(result.mid, None)
            if row_id is None:
                continue  # status or health publish, not a record
            if result.ok:
                acked.append(row_id)
            else:
                if self._rescan_at_s is None:
                    log.error(
                        "forwarder: broker refused a record (%s); it stays in the outbox and is retried in %.0f s "
                        "- check the broker ACL for this device's username",
                        result.reason,
                        _REFUSED_RETRY_S,
                    )
                self._rescan_at_s = time.monotonic() + _REFUSED_RETRY_S
        if acked:
            self._outbox.ack(acked)
            self._published += len(acked)

    def _publish_more(self) -> int:
        sent = 0
        while self._link.connected and len(self._inflight) < self._window and not self._stop.is_set():
            rows = self._outbox.pending(self._window - len(self._inflight), after_id=self._cursor)
            if not rows:
                break
            for row in rows:
                mid = self._link.publish(row.topic, row.payload)
                if mid is None:
                    return sent
                self._inflight[mid] = row.id
                self._cursor = row.id
                sent += 1
            # Results may already be waiting; turning them into acks frees window slots.
            self._apply_results()
        return sent
