"""Turn received messages into a store Batch: valid ones by kind, every bad
one into a DeadLetter with its reason (pure; no I/O). The window of times a
record may carry is measured against the message's reception time, the
collector's (injected) clock."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from collector.ingest.delivery import Delivery
from collector.storage.base import Batch, DeadLetter
from wire import Audit, Health, LineCounts, Status, WireError, ZoneOccupancy, decode

logger = logging.getLogger(__name__)

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
    # id() of each valid message -> the delivery it came from (for store conflicts)
    origin: dict[int, Delivery] = field(default_factory=dict)

    def add(self, delivery: Delivery) -> bool:
        """Add one message; False when it became a dead letter."""
        try:
            message = decode(delivery.topic, delivery.payload, now=delivery.received_at)
        except WireError as exc:
            self.dead_letters.append(dead_letter(delivery, exc.reason))
            return False
        except Exception as exc:  # a validator bug must cost one message, not the consumer
            logger.exception("validating a message on %s failed unexpectedly", delivery.topic[:512])
            self.dead_letters.append(dead_letter(delivery, f"could not validate: {type(exc).__name__}: {exc}"))
            return False
        if self.allowed_devices is not None and f"{message.site}/{message.device}" not in self.allowed_devices:
            self.dead_letters.append(dead_letter(delivery, f"device {message.site}/{message.device} is not allowed"))
            return False
        self.origin[id(message)] = delivery
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


def build_batch(deliveries: Iterable[Delivery], allowed_devices: frozenset[str] | None = None) -> BatchBuilder:
    builder = BatchBuilder(allowed_devices)
    for delivery in deliveries:
        builder.add(delivery)
    return builder
