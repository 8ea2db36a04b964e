"""Topic grammar: ``mpp/v1/{site}/{device}/{kind}``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Re-exported: the topic grammar's identifiers are the vocabulary's.
from wire.vocabulary import IDENTIFIER_PATTERN as IDENTIFIER_PATTERN
from wire.vocabulary import is_identifier as is_identifier

TOPIC_ROOT = "mpp/v1"


class Kind(StrEnum):
    COUNTS = "counts"
    OCCUPANCY = "occupancy"
    STATUS = "status"
    HEALTH = "health"
    # Added after schema 1 shipped: a collector without it dead-letters the topic (unknown kind).
    AUDIT = "audit"


@dataclass(frozen=True, slots=True)
class Topic:
    site: str
    device: str
    kind: Kind

    def __post_init__(self) -> None:
        for name in ("site", "device"):
            value = getattr(self, name)
            if not is_identifier(value):
                raise ValueError(f"{name} {value!r} must match {IDENTIFIER_PATTERN}")

    def __str__(self) -> str:
        return f"{TOPIC_ROOT}/{self.site}/{self.device}/{self.kind.value}"

    @classmethod
    def parse(cls, topic: str) -> Topic:
        """Parse a concrete topic; raises ValueError with the reason."""
        parts = topic.split("/")
        if len(parts) != 5 or "/".join(parts[:2]) != TOPIC_ROOT:
            raise ValueError(f"topic {topic!r} is not {TOPIC_ROOT}/<site>/<device>/<kind>")
        try:
            kind = Kind(parts[4])
        except ValueError:
            raise ValueError(f"topic {topic!r} has unknown kind {parts[4]!r}") from None
        return cls(site=parts[2], device=parts[3], kind=kind)

    @staticmethod
    def device_filter(site: str, device: str) -> str:
        """Everything one device may publish (its broker ACL pattern)."""
        return f"{TOPIC_ROOT}/{site}/{device}/#"

    @staticmethod
    def all_filter(shared_group: str | None = None) -> str:
        base = f"{TOPIC_ROOT}/#"
        return f"$share/{shared_group}/{base}" if shared_group else base
