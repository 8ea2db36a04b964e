"""What the MQTT adapter hands to the writer: one received message and the
token that acknowledges it (no paho types cross this seam)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AckToken:
    mid: int
    qos: int
    # Connection generation: packet ids are only meaningful on the connection
    # that delivered them (the broker resends unacked ones after a reconnect).
    generation: int


@dataclass(frozen=True, slots=True)
class Delivery:
    topic: str
    payload: bytes
    received_at: datetime  # UTC
    token: AckToken


Acknowledge = Callable[[AckToken], None]
