"""Response bodies of the dashboard's analytics: KPI figures, the footfall heat map and staffing per period."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from collector.api.schemas import FootfallPeriodOut, ShareCellOut, _Out
from collector.report.staffing import CellState
from collector.report.staffing_periods import StaffingGranularity


class ChangeOut(_Out):
    ratio: float | None = Field(description="(current - previous) / previous; null when previous is 0")
    comparable: bool = Field(description="both counts complete; otherwise the change mixes in unobserved time")


class SiteKpiOut(_Out):
    site: str
    timezone: str
    as_of: datetime = Field(description="the server's clock, site-local")
    complete_at: float = Field(description="the site's coverage threshold for complete")
    today: FootfallPeriodOut = Field(description="local midnight to now")
    month: FootfallPeriodOut = Field(description="the 1st of this month to now")
    last_month: FootfallPeriodOut = Field(description="the same stretch of last month (same day and time, cut "
                                          "at its end)")  # fmt: skip
    last_year: FootfallPeriodOut = Field(description="the same stretch of this month a year ago")
    vs_last_month: ChangeOut
    vs_last_year: ChangeOut
    staffing: ShareCellOut = Field(description="every gerai's staff zones pooled, this month to now")


class WeekHourCellOut(_Out):
    weekday: int = Field(ge=0, le=6, description="0 = Monday, site-local")
    hour: int = Field(ge=0, le=23, description="local hour of day")
    hours: int = Field(description="occurrences of this weekday and hour in the range")
    in_count: int = Field(alias="in", description="counted, never estimated")
    out_count: int = Field(alias="out")
    mean_in: float | None = Field(description="in / hours: entries per occurrence")
    expected_s: float = Field(description="opening time in the cell times the entrance devices expected (s)")
    observed_s: float
    coverage: float | None = Field(description="observed_s / expected_s; null where the cell has no opening time")
    complete: bool = Field(description="coverage at or above the site's threshold; else the count is a lower bound")


class FootfallHeatmapOut(_Out):
    site: str
    timezone: str
    start: datetime
    end: datetime
    complete_at: float
    cells: list[WeekHourCellOut] = Field(description="all 168 hours of the week, Monday 00:00 first")


class HeatmapRow(WeekHourCellOut):
    """CSV row of the heat map."""

    site: str
    start: datetime = Field(description="the range asked for")
    end: datetime


class PeriodShareOut(_Out):
    start: datetime = Field(description="local start of the period (clipped to the range)")
    end: datetime
    state: CellState = Field(description="closed / not_observed (grey, no share) / observed")
    open_s: float
    observed_s: float
    staffed_s: float
    staffed_share: float | None = Field(description="of the observed time; null unless state is observed")
    observed_share: float | None = Field(description="of the opening time; null when closed")


class GeraiPeriodsOut(_Out):
    gerai: str
    name: str
    periods: list[PeriodShareOut] = Field(description="every period of the range")
    total: ShareCellOut


class StaffingPeriodsReport(_Out):
    site: str
    timezone: str
    granularity: StaffingGranularity
    start: datetime
    end: datetime
    gerai: list[GeraiPeriodsOut]
    site_periods: list[PeriodShareOut] = Field(description="all gerai pooled, per period")
    total: ShareCellOut


class StaffingPeriodRow(PeriodShareOut):
    """CSV row of staffing per period: one per gerai and period."""

    site: str
    gerai: str
    name: str
