"""Response bodies of the API (pydantic models, one per table or document)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from collector.admin.models import GeraiZoneRef, Holiday, OpeningDay, Role
from wire import CameraState, DeviceState

Granularity = Literal["month", "day", "hour"]
OutputFormat = Literal["json", "csv"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class Healthz(_Out):
    status: Literal["ok"] = "ok"


class Me(_Out):
    role: Role
    now: datetime = Field(description="the server's clock (UTC); the dashboard builds site-local dates from it")


class FootfallPeriodOut(_Out):
    start: datetime = Field(description="local start of the period, with the site's UTC offset")
    in_count: int = Field(alias="in")
    out_count: int = Field(alias="out")


class SiteFootfall(_Out):
    site: str
    timezone: str
    granularity: Granularity
    start: datetime
    end: datetime
    periods: list[FootfallPeriodOut]


class FootfallComparison(_Out):
    granularity: Granularity
    sites: list[SiteFootfall]


class FootfallRow(_Out):
    """CSV row of footfall tables."""

    site: str
    timezone: str
    granularity: Granularity
    start: datetime
    in_count: int = Field(alias="in")
    out_count: int = Field(alias="out")


class OccupancyPointOut(_Out):
    device: str
    zone: str
    role: str
    gerai: str | None
    start: datetime
    interval_s: int
    observed_s: float
    mean_count: float | None
    max_count: int
    occupied_share: float | None
    visits: int


class OccupancySeries(_Out):
    site: str
    timezone: str
    resolution: str
    start: datetime
    end: datetime
    points: list[OccupancyPointOut]


class LiveZoneOut(_Out):
    device: str
    zone: str
    role: str
    gerai: str | None
    interval_start: datetime
    interval_s: int
    observed_s: float
    mean_count: float
    max_count: int
    occupied_s: float


class LiveOccupancy(_Out):
    site: str
    timezone: str
    as_of: datetime
    zones: list[LiveZoneOut]


class StretchOut(_Out):
    start: datetime
    end: datetime
    duration_s: float


class HourShareOut(_Out):
    hour: int
    observed_s: float
    staffed_share: float | None


class GeraiStaffingOut(_Out):
    gerai: str
    name: str
    staff_zones: list[str]
    open_s: float = Field(description="opening time in the range")
    observed_s: float = Field(description="opening time the camera observed")
    staffed_s: float
    staffed_share: float | None = Field(description="staffed_s / observed_s; null when nothing was observed")
    observed_share: float | None
    longest_unstaffed_s: float
    unstaffed: list[StretchOut]
    unobserved: list[StretchOut]
    by_hour: list[HourShareOut]


class StaffingReport(_Out):
    site: str
    timezone: str
    start: datetime
    end: datetime
    min_gap_min: float
    gerai: list[GeraiStaffingOut]


class StaffingRow(_Out):
    site: str
    gerai: str
    name: str
    open_s: float
    observed_s: float
    staffed_s: float
    staffed_share: float | None
    observed_share: float | None
    longest_unstaffed_s: float
    unstaffed_stretches: int
    unobserved_stretches: int


class DwellOut(_Out):
    count: int
    mean_s: float | None
    p50_s: float | None
    p90_s: float | None
    p95_s: float | None
    max_s: float | None


class QueuePointOut(_Out):
    start: datetime
    mean_count: float | None
    max_count: int


class GeraiWaitingOut(_Out):
    gerai: str
    name: str
    queue_zones: list[str]
    visits: int
    dwell: DwellOut
    queue: list[QueuePointOut]


class WaitingReport(_Out):
    site: str
    timezone: str
    start: datetime
    end: datetime
    resolution: str
    gerai: list[GeraiWaitingOut]


class WaitingRow(_Out):
    site: str
    gerai: str
    name: str
    visits: int
    dwell_count: int
    dwell_mean_s: float | None
    dwell_p50_s: float | None
    dwell_p90_s: float | None
    dwell_p95_s: float | None
    mean_queue: float | None
    max_queue: int


class SiteOut(_Out):
    site: str
    name: str
    timezone: str
    timezone_source: Literal["config", "telemetry", "default"]
    configured: bool
    seen_in_telemetry: bool


class GeraiOut(_Out):
    gerai: str
    name: str
    source: Literal["config", "telemetry"]
    zones: list[GeraiZoneRef]


class GeraiRow(_Out):
    site: str
    gerai: str
    name: str
    source: Literal["config", "telemetry"]
    device: str
    zone: str
    role: str


class OpeningHoursOut(_Out):
    site: str
    timezone: str
    source: Literal["config", "default"]
    days: list[OpeningDay]
    holidays: list[Holiday]


class OpeningRow(_Out):
    site: str
    kind: Literal["day", "holiday"]
    weekday: int | None
    opens: str | None
    closes: str | None
    date: date | None
    name: str | None


class HealthOut(_Out):
    ts: datetime
    fps: float
    effective_fps: float
    gating_share: float
    last_frame_age_s: float | None
    camera_state: CameraState
    outbox_depth: int
    dropped_records: int
    reconnects: int
    cpu_temp_c: float | None
    model: str
    software_version: str
    uptime_s: float
    # Devices that report them (None from older ones): share of camera time not inferred and
    # process CPU seconds, both since the device started.
    idle_share: float | None = None
    cpu_s: float | None = None


class DeviceOut(_Out):
    site: str
    device: str
    timezone: str | None
    state: DeviceState | None
    state_at: datetime | None
    last_seen: datetime | None
    silent: bool = Field(description="no message for longer than the collector's silent_after_s")
    health: HealthOut | None


class DeviceRow(_Out):
    site: str
    device: str
    timezone: str | None
    state: DeviceState | None
    state_at: datetime | None
    last_seen: datetime | None
    silent: bool
    health_ts: datetime | None
    fps: float | None
    camera_state: CameraState | None
    outbox_depth: int | None
    dropped_records: int | None
    cpu_temp_c: float | None
    software_version: str | None


class DeadLetterOut(_Out):
    received_at: datetime
    topic: str
    reason: str
    payload_excerpt: str


class NewToken(_Out):
    model_config = ConfigDict(frozen=True, extra="forbid")
    role: Role = Role.VIEWER
    label: str = Field(min_length=1, max_length=120)


class CreatedToken(_Out):
    id: int
    role: Role
    label: str
    created_at: datetime
    token: str = Field(description="the bearer secret; shown only once")
