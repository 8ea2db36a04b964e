"""Turn received messages into a store Batch: valid ones by kind, every bad
one into a DeadLetter with its reason (pure; no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from collector.ingest.delivery import Delivery
from collector.storage.base import Batch, DeadLetter
from wire import Audit, Health, LineCounts, Status, WireError, ZoneOccupancy, decode

EXCERPT_BYTES = 256
MAX_REASON_CHARS = 500


def dead_letter(delivery: Delivery, reason: str) -> DeadLetter:
    return DeadLetter(
        received_at=delivery.received_at,
        topic=delivery.topic[:512],
        reason=" ".join(reason.split())[:MAX_REASON_CHARS],
        payload_excerpt=delivery.payload[:EXCERPT_BYTES].decode("utf-8", "replace"),
    )


@dataclass(slots=True)
class BatchBuilder:
    """Collects the messages of one batch; ``allowed_devices`` None accepts any device."""

    allowed_devices: frozenset[str] | None = None
    counts: list[LineCounts] = field(default_factory=list)
    occupancy: list[ZoneOccupancy] = field(default_factory=list)
    health: list[Health] = field(default_factory=list)
    status: list[Status] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    audits: list[Audit] = field(default_factory=list)

    def add(self, delivery: Delivery) -> bool:
        """Add one message; False when it became a dead letter."""
        try:
            message = decode(delivery.topic, delivery.payload)
        except WireError as exc:
            self.dead_letters.append(dead_letter(delivery, exc.reason))
            return False
        if self.allowed_devices is not None and f"{message.site}/{message.device}" not in self.allowed_devices:
            self.dead_letters.append(dead_letter(delivery, f"device {message.site}/{message.device} is not allowed"))
            return False
        if isinstance(message, LineCounts):
            self.counts.append(message)
        elif isinstance(message, ZoneOccupancy):
            self.occupancy.append(message)
        elif isinstance(message, Health):
            self.health.append(message)
        elif isinstance(message, Audit):
            self.audits.append(message)
        else:
            self.status.append(message)
        return True

    def batch(self) -> Batch:
        return Batch(
            counts=tuple(self.counts),
            occupancy=tuple(self.occupancy),
            health=tuple(self.health),
            status=tuple(self.status),
            dead_letters=tuple(self.dead_letters),
            audits=tuple(self.audits),
        )


def build_batch(deliveries: Iterable[Delivery], allowed_devices: frozenset[str] | None = None) -> Batch:
    builder = BatchBuilder(allowed_devices)
    for delivery in deliveries:
        builder.add(delivery)
    return builder.batch()
