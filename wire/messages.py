"""Versioned telemetry messages (schema_version 1).

Times are timezone-aware and normalised to UTC; each device also reports its
IANA timezone so that the collector can build local calendar periods. Every
record carries a stable ``message_id`` built from device, kind, line or zone
and interval start: a redelivered record is the same record.

Every number and time is bounded (see the constants below), so that no value
a device sends can overflow a store (SQLite and InfluxDB integers are 64-bit),
a sum of a year of values, or a report. Bounds that need a clock (how far in
the future or the past a record may lie) are checked by ``decode`` against the
reception time the collector passes in; the models themselves stay pure.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from wire.topics import Kind, Topic
from wire.vocabulary import Identifier, Name, TimezoneName

SCHEMA_VERSION: Final = 1
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_DWELLS_PER_RECORD = 1000
MAX_INTERVAL_S = 86400
# People crossing one line in one direction, per second. The densest walking
# crowd moves about 1.5 persons per metre of width per second (Fruin's level of
# service F); a camera line spans a doorway or corridor of at most ~20 m, so
# 30/s; 50 leaves margin. An interval of interval_s seconds holds at most
# MAX_CROSSINGS_PER_S * interval_s crossings (and as many zone entries). A year
# of such records for one line sums to 50 * 31.6e6 = 1.6e9, far inside int64
# (9.2e18) for any fleet, so no store sum can overflow.
MAX_CROSSINGS_PER_S = 50
# People in one zone at once: the detector reports at most 300 boxes per frame.
MAX_PEOPLE_IN_VIEW = 1000
# One visit (enter -> leave) of a zone; keeps sums of dwell times finite.
MAX_DWELL_S = 366 * 86400
# Device counters (outbox depth, reconnects): exact in every JSON reader, within int64.
MAX_COUNTER = 2**53 - 1
# Times outside these years are refused outright (every store and timezone
# conversion handles them; InfluxDB's own range is 1677-2262).
EARLIEST_TIME: Final = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_TIME: Final = datetime(2100, 1, 1, tzinfo=UTC)
# Against the collector's clock (``decode(..., now=...)``): device clocks are
# NTP-synchronised, so nothing observed may lie more than MAX_CLOCK_SKEW_S
# ahead of reception; an interval record older than MAX_RECORD_AGE_S (edge
# outboxes keep records 30 days by default) is refused as a backfill no
# report wants. Status and health may be old (retained status of a device
# long gone) but never in the future: they move "last seen" and the state.
MAX_CLOCK_SKEW_S = 300
MAX_RECORD_AGE_S = 366 * 86400


class WireError(ValueError):
    """A message that does not follow the contract; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _utc(value: datetime) -> datetime:
    value = value.astimezone(UTC)
    if not EARLIEST_TIME <= value < LATEST_TIME:
        raise ValueError(f"{value:%Y-%m-%dT%H:%M:%SZ} is outside {EARLIEST_TIME.year}-{LATEST_TIME.year - 1}")
    return value


def _whole_second(value: datetime) -> datetime:
    # Both stores key a record on its start to the second; a sub-second start
    # would be a second copy of the same record under another time.
    if value.microsecond:
        raise ValueError("interval_start must be a whole second")
    return value


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]
# Strict numbers: JSON `true`, `"3"` or (for integers) `3.0` are refused, not coerced.
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
Counter = Annotated[int, Field(ge=0, le=MAX_COUNTER, strict=True)]
Crossings = Annotated[int, Field(ge=0, le=MAX_CROSSINGS_PER_S * MAX_INTERVAL_S, strict=True)]
Dwell = Annotated[float, Field(ge=0, le=MAX_DWELL_S, allow_inf_nan=False, strict=True)]


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # An integer 1, not `true` or `1.0` (a Literal would accept both).
    schema_version: Annotated[int, Field(ge=SCHEMA_VERSION, le=SCHEMA_VERSION, strict=True)] = SCHEMA_VERSION
    kind: str
    site: Identifier
    device: Identifier

    @property
    def topic(self) -> Topic:
        return Topic(self.site, self.device, Kind(self.kind))


class _IntervalRecord(_Message):
    timezone: TimezoneName
    interval_start: Annotated[UtcDatetime, AfterValidator(_whole_second)]
    interval_s: int = Field(gt=0, le=MAX_INTERVAL_S, strict=True)
    # Seconds of the interval for which the camera delivered frames: an
    # interval with no frames says "not observed", never "empty".
    observed_s: NonNegative
    message_id: str = ""

    @model_validator(mode="after")
    def _check(self) -> _IntervalRecord:
        if self.observed_s > self.interval_s + 1e-6:
            raise ValueError("observed_s exceeds interval_s")
        expected = self.expected_message_id()
        if not self.message_id:
            object.__setattr__(self, "message_id", expected)
        elif self.message_id != expected:
            raise ValueError(f"message_id {self.message_id!r} does not match its content")
        return self

    def _name(self) -> str:
        raise NotImplementedError

    def expected_message_id(self) -> str:
        start = self.interval_start.strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{self.site}/{self.device}/{self.kind}/{self._name()}/{start}"


class LineCounts(_IntervalRecord):
    """Crossings of one directed line during one interval."""

    kind: Literal["counts"] = "counts"
    line: Name
    role: Name
    in_count: Crossings
    out_count: Crossings

    @model_validator(mode="after")
    def _crossings_within_interval(self) -> LineCounts:
        most = MAX_CROSSINGS_PER_S * self.interval_s
        if max(self.in_count, self.out_count) > most:
            raise ValueError(f"more than {most} crossings in {self.interval_s} s ({MAX_CROSSINGS_PER_S}/s)")
        return self

    def _name(self) -> str:
        return self.line


class ZoneOccupancy(_IntervalRecord):
    """Occupancy of one zone (polygon) during one interval."""

    kind: Literal["occupancy"] = "occupancy"
    zone: Name
    role: Name
    gerai: Identifier | None = None
    mean_count: NonNegative
    max_count: int = Field(ge=0, le=MAX_PEOPLE_IN_VIEW, strict=True)
    occupied_s: NonNegative
    visits: Crossings
    # Durations of the visits that ended in this interval (enter -> leave).
    dwells_s: tuple[Dwell, ...] = Field(default=(), max_length=MAX_DWELLS_PER_RECORD)

    @model_validator(mode="after")
    def _occupied_within_interval(self) -> ZoneOccupancy:
        if self.occupied_s > self.interval_s + 1e-6:
            raise ValueError("occupied_s exceeds interval_s")
        if self.mean_count > self.max_count + 1e-9:
            raise ValueError("mean_count exceeds max_count")
        most = MAX_CROSSINGS_PER_S * self.interval_s
        if self.visits > most:
            raise ValueError(f"more than {most} visits in {self.interval_s} s ({MAX_CROSSINGS_PER_S}/s)")
        return self

    def _name(self) -> str:
        return self.zone


class CameraState(StrEnum):
    OK = "ok"
    RECONNECTING = "reconnecting"
    ENDED = "ended"


class Health(_Message):
    kind: Literal["health"] = "health"
    timezone: TimezoneName
    ts: UtcDatetime
    fps: NonNegative
    effective_fps: NonNegative
    gating_share: Annotated[float, Field(ge=0, le=1, strict=True)]
    last_frame_age_s: NonNegative | None
    camera_state: CameraState
    outbox_depth: Counter
    dropped_records: Counter
    reconnects: Counter
    cpu_temp_c: Annotated[float, Field(allow_inf_nan=False, strict=True)] | None = None
    model: str = Field(max_length=256)
    software_version: str = Field(max_length=64)
    uptime_s: NonNegative
    # Optional (newer devices): share of camera time not inferred by the idle gate since
    # start, frames weighted by the time each stands for; and the device process's CPU
    # seconds (user + system, all threads) since start, so that a district sees what each
    # device spends (the difference between two health messages: CPU-s per interval).
    idle_share: Annotated[float, Field(ge=0, le=1, strict=True)] | None = None
    cpu_s: NonNegative | None = None
    message_id: str = ""

    @model_validator(mode="after")
    def _id(self) -> Health:
        expected = f"{self.site}/{self.device}/health/{self.ts.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}"
        if not self.message_id:
            object.__setattr__(self, "message_id", expected)
        elif self.message_id != expected:
            raise ValueError(f"message_id {self.message_id!r} does not match its content")
        return self


class DeviceState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class Status(_Message):
    """Retained device status; the broker publishes ``offline`` as Last Will."""

    kind: Literal["status"] = "status"
    state: DeviceState
    ts: UtcDatetime


MAX_AUDIT_ITEMS = 64
Accuracy = Annotated[float, Field(le=1, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class AuditLine(BaseModel):
    """One line of an accuracy audit: the installer's count (true) against the device's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line: Name
    in_true: int = Field(ge=0)
    out_true: int = Field(ge=0)
    in_count: int = Field(ge=0)
    out_count: int = Field(ge=0)


class AuditZone(BaseModel):
    """One zone of an accuracy audit: presence marked by the installer on sampled frames."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    zone: Name
    frames_marked: int = Field(ge=0)
    # Share of the marked frames on which the device agreed (someone there or not); None: none marked.
    agreement: Share | None


class Audit(_Message):
    """An on-site accuracy audit: a recording of the device's own camera counted with its own
    config and compared with the crossings an installer entered (``mpp-edge audit``).

    ``line_accuracy`` is ``mpp-edge evaluate``'s: 1 - sum(|in-in_true| + |out-out_true|) /
    sum(in_true + out_true), None without true crossings (it can be negative)."""

    kind: Literal["audit"] = "audit"
    timezone: TimezoneName
    audited_at: UtcDatetime
    auditor: str = Field(min_length=1, max_length=128)
    recording_s: NonNegative
    frames: int = Field(ge=0)
    line_accuracy: Accuracy | None
    zone_agreement: Share | None
    lines: tuple[AuditLine, ...] = Field(default=(), max_length=MAX_AUDIT_ITEMS)
    zones: tuple[AuditZone, ...] = Field(default=(), max_length=MAX_AUDIT_ITEMS)
    message_id: str = ""

    @model_validator(mode="after")
    def _id(self) -> Audit:
        expected = f"{self.site}/{self.device}/audit/{self.audited_at.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        if not self.message_id:
            object.__setattr__(self, "message_id", expected)
        elif self.message_id != expected:
            raise ValueError(f"message_id {self.message_id!r} does not match its content")
        return self


WireRecord = LineCounts | ZoneOccupancy
WireMessage = Annotated[LineCounts | ZoneOccupancy | Health | Status | Audit, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[LineCounts | ZoneOccupancy | Health | Status | Audit] = TypeAdapter(WireMessage)


def encode(message: LineCounts | ZoneOccupancy | Health | Status | Audit) -> bytes:
    return message.model_dump_json().encode()


def decode(
    topic: str, payload: bytes, now: datetime | None = None
) -> LineCounts | ZoneOccupancy | Health | Status | Audit:
    """Validate one MQTT message against topic and schema; raise WireError.

    ``now`` (the collector's clock when the message arrived) adds the window
    check: nothing observed in the future, no interval record older than
    MAX_RECORD_AGE_S."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise WireError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        parsed_topic = Topic.parse(topic)
    except ValueError as exc:
        raise WireError(str(exc)) from None
    try:
        # Fast path: the collector decodes every message; parse and validate in one pass.
        message = _ADAPTER.validate_json(payload)
    except ValidationError:
        raise _explain(payload, parsed_topic.kind) from None
    if message.kind != parsed_topic.kind.value:
        raise WireError(f"payload kind {message.kind!r} disagrees with topic kind {parsed_topic.kind.value!r}")
    if (message.site, message.device) != (parsed_topic.site, parsed_topic.device):
        raise WireError(
            f"payload site/device {message.site}/{message.device} disagrees with topic "
            f"{parsed_topic.site}/{parsed_topic.device}"
        )
    if now is not None:
        check_window(message, now)
    return message


def check_window(message: LineCounts | ZoneOccupancy | Health | Status | Audit, now: datetime) -> None:
    """Raise WireError when ``message`` lies outside the window around ``now``."""
    if isinstance(message, LineCounts | ZoneOccupancy):
        # Nothing can have been observed after it arrived: start + observed_s, not the
        # interval's end (an edge flushes its partial last interval when it stops).
        name, at = "interval_start", message.interval_start
        observed_until = at + timedelta(seconds=message.observed_s)
        if at < now - timedelta(seconds=MAX_RECORD_AGE_S):
            raise WireError(f"interval_start {at:%Y-%m-%dT%H:%M:%SZ} is more than {MAX_RECORD_AGE_S // 86400} days "
                            f"before the collector's clock ({now:%Y-%m-%dT%H:%M:%SZ})")  # fmt: skip
    elif isinstance(message, Audit):
        name, at = "audited_at", message.audited_at
        observed_until = at
    else:
        name, at = "ts", message.ts
        observed_until = at
    if observed_until > now + timedelta(seconds=MAX_CLOCK_SKEW_S):
        raise WireError(f"{name} {at:%Y-%m-%dT%H:%M:%SZ} lies in the future: more than {MAX_CLOCK_SKEW_S} s ahead of "
                        f"the collector's clock ({now:%Y-%m-%dT%H:%M:%SZ})")  # fmt: skip


def _explain(payload: bytes, topic_kind: Kind) -> WireError:
    """The reason an invalid payload failed, in the order a reader would check it."""
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return WireError(f"payload is not JSON: {exc}")
    if not isinstance(raw, dict):
        return WireError("payload is not a JSON object")
    version = raw.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        return WireError(f"unsupported schema_version {version!r} (expected {SCHEMA_VERSION})")
    if raw.get("kind") != topic_kind.value:
        return WireError(f"payload kind {raw.get('kind')!r} disagrees with topic kind {topic_kind.value!r}")
    try:
        _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "payload"
        problem = first["msg"].removeprefix("Value error, ")
        return WireError(f"invalid {where}: {problem} ({exc.error_count()} error(s))")
    return WireError("invalid payload")
