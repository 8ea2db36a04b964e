"""BatchWriter: received messages -> bounded batches -> store -> acknowledgements.

A message is acknowledged to the broker only after the store confirmed the
batch that holds it (at-least-once; the stores are idempotent, so redelivery
changes nothing). While the store is down the batch is kept and retried with
backoff and nothing is acknowledged, so the broker keeps everything else in
our persistent session: nothing is lost and nothing crashes.

Any other failure of a store write, whatever its exception type, refuses that
batch only: it is written message by message and the refused one becomes a
dead letter. Should the thread die all the same (a bug outside the store
write), ``on_death`` is called: the collector reports it on /healthz and exits
for its supervisor to restart it, and the broker redelivers what was pending.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from collector.config import BatchSettings
from collector.ingest.delivery import Acknowledge, Delivery
from collector.ingest.validation import build_batch, dead_letter
from collector.storage.base import Batch, Store, StoreUnavailable

logger = logging.getLogger(__name__)

OUTAGE_LOG_INTERVAL_S = 30.0


@dataclass(frozen=True, slots=True)
class IngestStats:
    received: int
    stored: int  # valid messages confirmed by the store
    dead_lettered: int
    acked: int
    batches: int
    write_failures: int
    store_ok: bool


class BatchWriter:
    def __init__(
        self,
        store: Store,
        settings: BatchSettings,
        acknowledge: Acknowledge,
        allowed_devices: frozenset[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_death: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._store = store
        self._on_death = on_death
        self.died: BaseException | None = None
        self._settings = settings
        self._acknowledge = acknowledge
        self._allowed = allowed_devices
        self._clock = clock
        self._queue: queue.SimpleQueue[Delivery] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._received = self._stored = self._dead = self._acked = self._batches = self._failures = 0
        self._store_ok = True
        self._last_outage_log = -OUTAGE_LOG_INTERVAL_S
        self._random = random.Random()  # noqa: S311 - backoff jitter

    # Called from the MQTT network thread: cheap, never blocks.
    def submit(self, delivery: Delivery) -> None:
        self._queue.put(delivery)

    @property
    def alive(self) -> bool:
        """False once the thread died (or never started)."""
        return self.died is None and self._thread is not None and self._thread.is_alive()

    def stats(self) -> IngestStats:
        return IngestStats(self._received, self._stored, self._dead, self._acked, self._batches, self._failures,
                           self._store_ok)  # fmt: skip

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="ingest-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Flush what is pending (one attempt while the store is down), then return."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                logger.warning("ingest writer still busy after %.0f s; unacknowledged messages will be redelivered",
                               timeout_s)  # fmt: skip

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:
            # Unreachable by design: store and validation failures are caught per message.
            self.died = exc
            logger.critical("ingest writer died (%s: %s); nothing is stored until the collector restarts",
                            type(exc).__name__, exc, exc_info=True)  # fmt: skip
            if self._on_death is not None:
                self._on_death(exc)

    def _run(self) -> None:
        pending: list[Delivery] = []
        deadline = 0.0
        limit = self._settings.max_messages
        while True:
            wait_s = max(0.0, deadline - self._clock()) if pending else 0.2
            try:
                delivery = self._queue.get(timeout=0 if self._stopping.is_set() else wait_s)
            except queue.Empty:
                delivery = None
            if delivery is not None:
                if not pending:
                    deadline = self._clock() + self._settings.max_latency_s
                pending.append(delivery)
                while len(pending) < limit:
                    try:
                        pending.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
            if pending and (len(pending) >= limit or self._clock() >= deadline or self._stopping.is_set()):
                if not self.flush(pending):
                    return  # stopping during an outage: the broker redelivers them
                pending = []
            elif self._stopping.is_set() and delivery is None:
                return
            elif not pending and delivery is None:
                self._maintain()

    def _maintain(self) -> None:
        # Deferred store upkeep (InfluxStore's rollup settle pass and observed-time recompute) while idle;
        # a failure here loses nothing, the next write or tick retries.
        try:
            self._store.maintain()
        except Exception as exc:  # noqa: BLE001 - upkeep is retried on the next tick; it may never stop ingest
            logger.debug("store upkeep postponed: %s", exc)

    def flush(self, deliveries: Sequence[Delivery]) -> bool:
        """Write one batch durably, then acknowledge it; False if stopped first."""
        self._received += len(deliveries)
        if not self._write_messages(deliveries):
            return False
        for delivery in deliveries:
            self._acknowledge(delivery.token)
        self._acked += len(deliveries)
        return True

    def _write_messages(self, deliveries: Sequence[Delivery]) -> bool:
        builder = build_batch(deliveries, self._allowed)
        return self._write_durably(builder.batch(), deliveries, builder.origin)

    def _write_durably(self, batch: Batch, deliveries: Sequence[Delivery], origin: dict[int, Delivery]) -> bool:
        delay_s = self._settings.retry_min_s
        while True:
            try:
                conflicts = self._store.write(batch)
            except StoreUnavailable as exc:
                self._failures += 1
                self._outage(exc, len(deliveries))
            except Exception as exc:  # noqa: BLE001 - whatever the store raises refuses this batch, not the thread
                return self._isolate(batch, deliveries, exc)
            else:
                self._written(batch, len(conflicts))
                if not conflicts:
                    return True
                # The first copy of a key stays; a later one with other content is a dead letter.
                letters = tuple(dead_letter(origin[id(c.record)], c.reason) for c in conflicts)
                return self._write_durably(Batch(dead_letters=letters), deliveries, {})
            if self._stopping.wait(delay_s):
                return False
            delay_s = min(delay_s * 2, self._settings.retry_max_s) * self._random.uniform(0.8, 1.0)

    def _isolate(self, batch: Batch, deliveries: Sequence[Delivery], exc: Exception) -> bool:
        """The store refused the batch itself: find the message it refuses and
        dead-letter that one, so one poison record cannot stall the consumer."""
        reason = str(exc) or type(exc).__name__
        if len(deliveries) > 1:
            logger.warning("store refused a batch of %d (%s); writing its messages one by one", len(deliveries),
                           reason)  # fmt: skip
            return all(self._write_messages([d]) for d in deliveries)
        if batch.dead_letters and not (batch.counts or batch.occupancy or batch.health or batch.status or batch.audits):
            # Even the dead letter is refused: a human must look; keep the evidence in the log.
            logger.error("store refused dead letter for %s (%s): %r", deliveries[0].topic, reason,
                         batch.dead_letters[0].payload_excerpt)  # fmt: skip
            return True
        letter = dead_letter(deliveries[0], f"store refused the record: {reason}")
        return self._write_durably(Batch(dead_letters=(letter,)), deliveries, {})

    def _written(self, batch: Batch, refused: int = 0) -> None:
        if not self._store_ok:
            logger.info("store available again after %d failed writes", self._failures)
        self._store_ok = True
        self._batches += 1
        self._stored += len(batch.counts) + len(batch.occupancy) + len(batch.health) + len(batch.status) - refused
        self._stored += len(batch.audits)
        self._dead += len(batch.dead_letters)

    def _outage(self, exc: StoreUnavailable, size: int) -> None:
        self._store_ok = False
        now = self._clock()
        if now - self._last_outage_log >= OUTAGE_LOG_INTERVAL_S:
            self._last_outage_log = now
            logger.warning("store unavailable (%s); holding %d messages unacknowledged and retrying", exc, size)
