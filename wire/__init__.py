"""The MQTT contract between edge devices and collectors.

Everything that crosses the wire is defined here once, as versioned pydantic
models, plus the topic grammar. Both sides import this package; it depends on
pydantic alone, so a collector host never pulls in the edge's vision stack.
"""

from wire.messages import (
    SCHEMA_VERSION,
    Audit,
    AuditLine,
    AuditZone,
    CameraState,
    DeviceState,
    Health,
    LineCounts,
    Status,
    WireError,
    WireMessage,
    WireRecord,
    ZoneOccupancy,
    decode,
    encode,
)
from wire.topics import TOPIC_ROOT, Kind, Topic

__all__ = [
    "SCHEMA_VERSION",
    "TOPIC_ROOT",
    "Audit",
    "AuditLine",
    "AuditZone",
    "CameraState",
    "DeviceState",
    "Health",
    "Kind",
    "LineCounts",
    "Status",
    "Topic",
    "WireError",
    "WireMessage",
    "WireRecord",
    "ZoneOccupancy",
    "decode",
    "encode",
]
