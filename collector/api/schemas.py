"""Response bodies of the API (pydantic models, one per table or document)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, get_type_hints

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from collector.admin.models import GeraiZoneRef, Holiday, OpeningDay, Role, SiteList
from collector.report.coverage import GapCause, Use
from collector.report.dwell import DwellStats
from collector.report.periods import Granularity
from collector.report.schedule import HolidaySource
from collector.report.sites import SiteInfo
from collector.report.staffing import CellState
from wire import CameraState, DeviceState

OutputFormat = Literal["json", "csv"]


class _Out(BaseModel):
    # from_attributes: routes build these from the report services' dataclasses (Model.model_validate(obj)).
    model_config = ConfigDict(frozen=True, populate_by_name=True, from_attributes=True)


def _fields_of(source: type) -> type[_Out]:
    """A base with the fields of a report dataclass, in their order: where the response is that
    dataclass as it is, its fields are declared once, there."""
    hints = get_type_hints(source)
    fields: dict[str, Any] = {f.name: (hints[f.name], ...) for f in dataclasses.fields(source)}
    return create_model(f"_{source.__name__}Fields", __base__=_Out, **fields)


if TYPE_CHECKING:  # mypy sees plain response models; their fields are the dataclasses'
    _DwellFields = _Out
    _SiteFields = _Out
else:
    _DwellFields = _fields_of(DwellStats)
    _SiteFields = _fields_of(SiteInfo)


class Healthz(_Out):
    # "api not answering" only from the liveness listener (MPP_HEALTH_LISTEN): the event loop missed its beats.
    status: Literal["ok", "ingest stopped", "api not answering"] = "ok"


class Me(_Out):
    role: Role
    sites: list[str] | None = Field(default=None, description="the only sites this token may read; null: every site")
    now: datetime = Field(description="the server's clock (UTC); the dashboard builds site-local dates from it")


_EXPECTED = "opening time in the period times the entrance devices expected (s)"
_OBSERVED = "of that, the time the entrance cameras observed (s)"
_COVERAGE = "observed_s / expected_s; null where nothing was expected (closed)"
_COMPLETE = "coverage at or above the site's threshold; a count from an incomplete period is a lower bound"


class FootfallPeriodOut(_Out):
    start: datetime = Field(description="local start of the period, with the site's UTC offset")
    end: datetime = Field(description="local end of the period (exclusive)")
    in_count: int = Field(alias="in", description="counted, never estimated")
    out_count: int = Field(alias="out")
    expected_s: float = Field(description=_EXPECTED)
    observed_s: float = Field(description=_OBSERVED)
    coverage: float | None = Field(description=_COVERAGE)
    complete: bool = Field(description=_COMPLETE)


class SiteFootfall(_Out):
    site: str
    timezone: str
    granularity: Granularity
    start: datetime
    end: datetime
    complete_at: float = Field(description="the site's coverage threshold for complete")
    periods: list[FootfallPeriodOut] = Field(description="every period of the range, none left out")


class FootfallComparison(_Out):
    granularity: Granularity
    sites: list[SiteFootfall]


class FootfallRow(_Out):
    """CSV row of footfall tables."""

    site: str
    timezone: str
    granularity: Granularity
    start: datetime
    end: datetime
    in_count: int = Field(alias="in")
    out_count: int = Field(alias="out")
    expected_s: float
    observed_s: float
    coverage: float | None
    complete: bool


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


class ShareCellOut(_Out):
    state: CellState = Field(
        description="closed: no opening time; not_observed: the camera saw too little of it (grey, no share); "
        "observed: staffed_share is meaningful"
    )
    open_s: float
    observed_s: float
    staffed_s: float
    staffed_share: float | None = Field(description="of the observed time; null unless state is observed")
    observed_share: float | None = Field(description="of the opening time; null when closed")


class HourCellOut(ShareCellOut):
    hour: int = Field(description="local hour of day")


class GeraiStaffingOut(_Out):
    gerai: str
    name: str
    staff_zones: list[str]
    open_s: float = Field(description="opening time in the range")
    observed_s: float = Field(description="opening time the camera observed")
    staffed_s: float
    staffed_share: float | None = Field(description="staffed_s / observed_s; null when nothing was observed")
    observed_share: float | None
    total: ShareCellOut = Field(description="the range as one cell: staffed share beside the observed share")
    longest_unstaffed_s: float
    unstaffed: list[StretchOut]
    unobserved: list[StretchOut]
    by_hour: list[HourShareOut]
    hours: list[HourCellOut] = Field(description="every local hour with opening time, observed or not")

    @field_validator("hours", mode="before")
    @classmethod
    def _hour_pairs(cls, value: Any) -> Any:
        """The report service keeps each hour's cell as (hour, ShareCell)."""
        return [{"hour": item[0], **dataclasses.asdict(item[1])} if isinstance(item, tuple) else item for item in value]


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
    state: CellState = Field(description="observed: staffed_share is meaningful; not_observed: too little seen")
    staffed_share: float | None
    observed_share: float | None
    longest_unstaffed_s: float
    unstaffed_stretches: int
    unobserved_stretches: int


class DwellOut(_DwellFields):
    pass


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
    mean_queue: float | None = Field(description="people in the queue zones, over the observed opening hours")
    observed_share: float | None = Field(description="observed share of the opening hours; null: none in the range")


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


class SiteOut(_SiteFields):
    pass


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


class HolidayOut(_Out):
    date: date
    name: str
    source: HolidaySource = Field(
        description="national: a public holiday (closed unless the site works through it); cuti_bersama: joint "
        "leave (open unless the site observes it); site: the site's own day"
    )
    closed: bool = Field(description="no opening time that day: coverage expects nothing, so it is no gap")
    overridden: bool = Field(description="an admin decided this day for the site")


class HolidayCalendarOut(_Out):
    site: str
    year: int
    holidays: list[HolidayOut] = Field(description="by date; national and cuti bersama days from the holidays library")


class ClosedDayIn(_Out):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(default="", max_length=120, description="e.g. Hari Jadi Kabupaten, Cuti Bersama Idul Fitri")


class NewReportLink(_Out):
    model_config = ConfigDict(frozen=True, extra="forbid")
    month: str | None = Field(
        default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM; default: the last complete month"
    )
    valid_days: int = Field(default=30, ge=1, le=366, description="the link opens for this many days")


class ReportLinkOut(_Out):
    path: str = Field(description="the link, from the collector's root (/reports/monthly?...&sig=...)")
    month: str
    expires_at: datetime


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


class AuditOut(_Out):
    audited_at: datetime
    auditor: str
    frames: int
    recording_s: float
    line_accuracy: float | None = Field(
        description="1 - sum(|in-in_true| + |out-out_true|) / sum(in_true + out_true), as mpp-edge evaluate"
    )
    zone_agreement: float | None


class DeviceOut(_Out):
    site: str
    device: str
    timezone: str | None
    state: DeviceState | None
    state_at: datetime | None
    last_seen: datetime | None
    silent: bool = Field(description="no message for longer than the collector's silent_after_s")
    health: HealthOut | None
    audit: AuditOut | None = Field(default=None, description="the device's latest on-site accuracy audit")


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
    audited_at: datetime | None = None
    audit_line_accuracy: float | None = None


class DeadLetterOut(_Out):
    received_at: datetime
    topic: str
    reason: str
    payload_excerpt: str


class NewToken(_Out):
    model_config = ConfigDict(frozen=True, extra="forbid")
    role: Role = Role.VIEWER
    label: str = Field(min_length=1, max_length=120)
    expires_at: AwareDatetime | None = Field(default=None, description="refused from this time on; null: never")
    sites: SiteList | None = Field(default=None, description="viewer tokens only: the only sites it may read")

    @model_validator(mode="after")
    def _viewer_scope(self) -> NewToken:
        if self.sites is not None and self.role is not Role.VIEWER:
            raise ValueError("only viewer tokens are scoped to sites")
        return self


class CreatedToken(_Out):
    id: int
    role: Role
    label: str
    created_at: datetime
    expires_at: datetime | None
    sites: list[str] | None
    token: str = Field(description="the bearer secret; shown only once")


class PeriodCoverageOut(_Out):
    start: datetime = Field(description="local start of the period (clipped to the range)")
    end: datetime
    expected_s: float = Field(description="opening time the device(s) should have observed (s)")
    observed_s: float = Field(description="of that, the time observed (s)")
    coverage: float | None = Field(description="observed_s / expected_s; null where nothing was expected (closed)")
    complete: bool = Field(description="coverage at or above the site's threshold")


class WatchOut(_Out):
    use: Use = Field(description="why the device is expected to observe")
    name: str = Field(description="the line or zone")
    gerai: str | None


class GapOut(_Out):
    device: str
    start: datetime = Field(description="in the site's local time")
    end: datetime
    duration_s: float
    cause: GapCause = Field(
        description="offline: status or Last Will; camera_error / no_frames: its health said so; "
        "no_records: nothing explains it"
    )


class DeviceCoverageOut(_Out):
    device: str
    uses: list[WatchOut]
    total: PeriodCoverageOut
    periods: list[PeriodCoverageOut] = Field(description="every period of the range")
    gaps: list[GapOut]


class SiteCoverageOut(_Out):
    site: str
    timezone: str
    start: datetime
    end: datetime
    granularity: Granularity
    complete_at: float = Field(description="the site's coverage threshold for complete")
    min_gap_s: float = Field(description="shorter stretches without observation are not listed as gaps")
    entrance: list[PeriodCoverageOut] = Field(description="the entrance cameras together: footfall's coverage")
    devices: list[DeviceCoverageOut]
    gaps: list[GapOut] = Field(description="every device's gaps, by start")


class CoverageRow(_Out):
    """CSV row of the coverage table: one per device and period."""

    site: str
    device: str
    start: datetime
    end: datetime
    expected_s: float
    observed_s: float
    coverage: float | None
    complete: bool
    gaps: int = Field(description="gaps of this device starting in the period")
