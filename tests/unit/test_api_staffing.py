"""Staffing from zone intervals and opening hours, occupancy resampling and dwell percentiles (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.report.dwell import dwell_stats, percentile
from collector.report.occupancy import bucket_start, resample
from collector.report.periods import TimeRange
from collector.report.staffing import CellState, share_cell, staffing
from collector.storage.base import ZoneInterval

WIB = ZoneInfo("Asia/Jakarta")
DAY = datetime(2025, 6, 2, tzinfo=WIB)


def minute(at: datetime, *, occupied_s: float, observed_s: float = 60.0, zone: str = "staf") -> ZoneInterval:
    return ZoneInterval(
        site="s",
        device="d",
        zone=zone,
        role="staff",
        gerai="g",
        interval_start=at.astimezone(UTC),
        interval_s=60,
        observed_s=observed_s,
        mean_count=occupied_s / 60,
        max_count=1,
        occupied_s=occupied_s,
        visits=0,
    )


def hours(start_h: int, end_h: int) -> list[TimeRange]:
    return [TimeRange(DAY + timedelta(hours=start_h), DAY + timedelta(hours=end_h))]


def test_staffed_share_counts_observed_seconds_only() -> None:
    records = [minute(DAY + timedelta(hours=8, minutes=m), occupied_s=30.0) for m in range(60)]
    summary = staffing(records, hours(8, 10), WIB, min_gap_s=15 * 60)
    assert summary.open_s == 7200
    assert summary.observed_s == 3600
    assert summary.staffed_share == pytest.approx(0.5)
    assert summary.observed_share == pytest.approx(0.5)
    assert summary.unstaffed == ()
    assert [(s.start, s.end) for s in summary.unobserved] == [(DAY + timedelta(hours=9), DAY + timedelta(hours=10))]


def test_blind_minutes_are_unobserved_never_unstaffed() -> None:
    records = []
    for m in range(120):
        at = DAY + timedelta(hours=8, minutes=m)
        if m < 20:
            records.append(minute(at, occupied_s=60))
        elif m < 50:
            records.append(minute(at, occupied_s=0))  # seen, nobody there: unstaffed
        elif m < 80:
            records.append(minute(at, occupied_s=0, observed_s=10))  # camera mostly blind
        else:
            records.append(minute(at, occupied_s=60))
    summary = staffing(records, hours(8, 10), WIB, min_gap_s=15 * 60)
    assert [(s.start.astimezone(WIB).time().isoformat("minutes"), s.duration_s) for s in summary.unstaffed] == [
        ("08:20", 1800.0)
    ]
    assert [(s.start.astimezone(WIB).time().isoformat("minutes"), s.duration_s) for s in summary.unobserved] == [
        ("08:50", 1800.0)
    ]
    assert summary.staffed_share == pytest.approx(60 / 90)
    assert summary.longest_unstaffed_s == 1800


def test_short_gaps_are_not_reported_and_hours_are_local() -> None:
    records = [minute(DAY + timedelta(hours=8, minutes=m), occupied_s=0 if 5 <= m < 10 else 60) for m in range(60)]
    summary = staffing(records, hours(8, 9), WIB, min_gap_s=15 * 60)
    assert summary.unstaffed == ()
    assert [(h.hour, h.staffed_share) for h in summary.by_hour] == [(8, pytest.approx(55 / 60))]


def test_two_staff_zones_count_as_staffed_when_either_is_occupied() -> None:
    at = DAY + timedelta(hours=8)
    records = [minute(at, occupied_s=0, zone="a"), minute(at, occupied_s=45, zone="b")]
    summary = staffing(records, [TimeRange(at, at + timedelta(minutes=1))], WIB, min_gap_s=60)
    assert summary.staffed_s == 45 and summary.unstaffed == ()


def test_nothing_observed_gives_no_share() -> None:
    summary = staffing([], hours(8, 16), WIB, min_gap_s=60)
    assert summary.staffed_share is None
    assert summary.open_s == 8 * 3600
    assert [s.duration_s for s in summary.unobserved] == [8 * 3600]


def test_hour_cells_show_a_staffed_share_only_beside_enough_observation() -> None:
    # 08:00: a few observed minutes, all staffed (the demo's "99 %, green" hour); 09:00: fully observed,
    # staffed half the time; 10:00: open, no record at all.
    records = [minute(DAY + timedelta(hours=8, minutes=m), occupied_s=60) for m in range(7)]
    records += [minute(DAY + timedelta(hours=9, minutes=m), occupied_s=60 if m < 30 else 0) for m in range(60)]
    summary = staffing(records, hours(8, 11), WIB, min_gap_s=15 * 60)
    cells = dict(summary.hours)
    assert sorted(cells) == [8, 9, 10]
    assert (cells[8].state, cells[8].staffed_share, cells[8].observed_share) == (
        CellState.NOT_OBSERVED,
        None,
        pytest.approx(7 / 60),
    )
    assert (cells[9].state, cells[9].staffed_share) == (CellState.OBSERVED, pytest.approx(0.5))
    assert (cells[10].state, cells[10].observed_s, cells[10].staffed_share) == (CellState.NOT_OBSERVED, 0, None)
    # The existing by-hour output is unchanged: observed hours only, raw shares.
    assert [(h.hour, h.staffed_share) for h in summary.by_hour] == [(8, 1.0), (9, pytest.approx(0.5))]
    # The total: 67 of 180 minutes observed is too little to show a staffed share, both shares side by side.
    total = summary.total
    assert (total.state, total.staffed_share, total.observed_share) == (
        CellState.NOT_OBSERVED,
        None,
        pytest.approx(67 / 180),
    )


def test_share_cell_threshold_and_closed() -> None:
    assert share_cell(0, 0, 0).state is CellState.CLOSED
    assert share_cell(3600, 1799, 1799).state is CellState.NOT_OBSERVED
    half = share_cell(3600, 1800, 900)
    assert (half.state, half.staffed_share, half.observed_share) == (CellState.OBSERVED, 0.5, 0.5)


def test_resample_weights_by_observed_seconds_in_local_buckets() -> None:
    base = DAY + timedelta(hours=9)
    records = [
        ZoneInterval(
            "s", "d", "z", "queue", "g", (base + timedelta(minutes=m)).astimezone(UTC), 60, observed_s, mean, 3, 60.0, 1
        )
        for m, observed_s, mean in ((0, 60.0, 1.0), (1, 20.0, 3.0), (5, 60.0, 2.0), (6, 0.0, 0.0))
    ]
    points = resample(records, 300, WIB)
    assert [(p.start, p.mean_count, p.visits) for p in points] == [
        (base, pytest.approx((60 * 1 + 20 * 3) / 80), 2),
        (base + timedelta(minutes=5), pytest.approx(2.0), 2),
    ]
    assert bucket_start(datetime(2025, 6, 1, 17, 30, tzinfo=UTC), 86400, WIB) == datetime(2025, 6, 2, tzinfo=WIB)


@given(st.lists(st.floats(min_value=0, max_value=1e5), min_size=1, max_size=200), st.floats(min_value=0, max_value=100))
def test_percentile_matches_numpy_linear(values: list[float], q: float) -> None:
    assert percentile(sorted(values), q) == pytest.approx(float(np.percentile(values, q)), rel=1e-9, abs=1e-9)


def test_dwell_stats() -> None:
    assert dwell_stats([]).count == 0 and dwell_stats([]).p50_s is None
    stats = dwell_stats([60.0, 360.0, 120.0, 240.0])
    assert (stats.count, stats.mean_s, stats.p50_s, stats.max_s) == (4, 195.0, 180.0, 360.0)
