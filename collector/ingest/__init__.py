"""Ingest: MQTT subscriber -> validation -> batched, acknowledged store writes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from collector.config import CollectorSettings
from collector.ingest.delivery import AckToken, Delivery
from collector.ingest.writer import BatchWriter, IngestStats
from collector.storage.base import Store

__all__ = ["AckToken", "BatchWriter", "Delivery", "IngestService", "IngestStats"]


class IngestService:
    """Owns the subscriber and the writer; start in order, stop in reverse."""

    def __init__(
        self,
        settings: CollectorSettings,
        store: Store,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_death: Callable[[BaseException], None] | None = None,
    ) -> None:
        """``clock`` stamps each message's reception (the window of times a record may
        carry is measured against it); ``on_death`` hears of a writer that died."""
        from collector.ingest.mqtt import MqttSubscriber  # paho only when ingest runs

        self.writer = BatchWriter(store, settings.batch, self._ack, settings.allowed_devices, on_death=on_death)
        self.subscriber = MqttSubscriber(settings.mqtt, self.writer.submit, clock)

    def _ack(self, token: AckToken) -> None:
        self.subscriber.ack(token)

    def start(self) -> None:
        self.writer.start()
        self.subscriber.start()

    def stop(self) -> None:
        # Flush and acknowledge while still connected, then leave the session.
        self.writer.stop()
        self.subscriber.stop()

    def stats(self) -> IngestStats:
        return self.writer.stats()

    def alive(self) -> bool:
        """False once the writer thread died: nothing more is stored."""
        return self.writer.alive
