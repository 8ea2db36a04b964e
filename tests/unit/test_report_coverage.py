"""The coverage core on August 2026 with planted faults (tests/coverage_scenario.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from collector.report.coverage import (
    DeviceCoverage,
    GapCause,
    StatusChange,
    Use,
    Watch,
    combined,
    device_coverage,
    expected_watches,
    periods,
)
from collector.report.periods import TimeRange
from collector.report.schedule import DayHours, open_windows
from collector.storage.base import HealthSample, ObservationInterval
from tests import coverage_scenario as sc
from wire import CameraState, DeviceState

UTC_TZ = ZoneInfo("UTC")


def observations() -> list[ObservationInterval]:
    counts, zones = sc.records()
    out = [ObservationInterval(c.site, c.device, "counts", c.line, c.role, None, c.interval_start, c.interval_s,
                               c.observed_s) for c in counts]  # fmt: skip
    out += [ObservationInterval(z.site, z.device, "occupancy", z.zone, z.role, z.gerai, z.interval_start,
                                z.interval_s, z.observed_s) for z in zones]  # fmt: skip
    return out


def health_samples() -> list[HealthSample]:
    return [HealthSample(h.site, h.device, h.ts, h.camera_state, h.fps, h.last_frame_age_s) for h in sc.health()]


def status_history() -> list[StatusChange]:
    return [StatusChange(s.device, s.state, s.ts) for s in sc.statuses()]


def august(granularity: str = "day", statuses: list[StatusChange] | None = None) -> dict[str, DeviceCoverage]:
    records = observations()
    watches = expected_watches(records, sc.GERAI)
    windows = open_windows(sc.HOURS, sc.HOLIDAYS, sc.AUGUST, sc.TZ)
    spans = periods(sc.AUGUST, granularity, sc.TZ)  # type: ignore[arg-type]
    found = device_coverage(
        records, watches, windows, spans, health=health_samples(),
        statuses=status_history() if statuses is None else statuses,
    )  # fmt: skip
    return {d.device: d for d in found}


def test_expected_watches_are_entrance_lines_and_gerai_zones() -> None:
    watches = expected_watches(observations(), sc.GERAI)
    assert watches == [
        Watch("cam-g1", Use.QUEUE, "antrian-1", "g1"),
        Watch("cam-g1", Use.STAFF, "meja-1", "g1"),
        Watch("cam-g2", Use.STAFF, "meja-2", "g2"),
        Watch("cam-pintu", Use.ENTRANCE, "pintu"),
    ]


def test_month_coverage_right_to_the_minute() -> None:
    found = august("month")
    for device, missing_min in (("cam-pintu", sc.ENTRANCE_MISSING_MIN), ("cam-g2", sc.G2_MISSING_MIN),
                                ("cam-g1", 0)):  # fmt: skip
        (month,) = found[device].periods
        assert month.expected_s == sc.OPEN_MIN * 60
        assert month.observed_s == pytest.approx((sc.OPEN_MIN - missing_min) * 60, abs=1e-6), device
        assert month.coverage == pytest.approx((sc.OPEN_MIN - missing_min) / sc.OPEN_MIN)
        assert month.complete is (device == "cam-g1")
        assert found[device].total == month


def test_every_day_present_closed_days_expect_nothing() -> None:
    days = august("day")["cam-pintu"].periods
    assert [p.start.day for p in days] == list(range(1, 32))
    by_day = {p.start.date(): p for p in days}
    for closed in (sc.HOLIDAY, sc.CLOSED_DAY, date(2026, 8, 2), date(2026, 8, 30)):
        assert by_day[closed].expected_s == 0
        assert by_day[closed].coverage is None
        assert by_day[closed].complete is False
    assert by_day[date(2026, 8, 1)].expected_s == 4 * 3600  # Saturday
    for silent in sc.ENTRANCE_SILENT_DAYS:
        assert (by_day[silent].expected_s, by_day[silent].observed_s, by_day[silent].coverage) == (8 * 3600, 0, 0)
    assert by_day[date(2026, 8, 6)].observed_s == (480 - 35) * 60
    assert by_day[date(2026, 8, 7)].observed_s == (480 - 15) * 60
    assert by_day[date(2026, 8, 7)].complete is True  # 465 / 480 = 0.969
    assert by_day[date(2026, 8, 6)].complete is False  # 445 / 480 = 0.927


def test_gaps_are_opening_time_only_with_causes() -> None:
    found = august()
    entrance = found["cam-pintu"].gaps
    assert [(g.start.astimezone(sc.TZ), g.end.astimezone(sc.TZ)) for g in entrance] == [
        *((sc._local(d, 8), sc._local(d, 16)) for d in sc.ENTRANCE_SILENT_DAYS),
        (sc._local(date(2026, 8, 6), 10), sc._local(date(2026, 8, 6), 10, 35)),
    ]
    # The Last Will before the silence explains it; the short silence after the device came back does not.
    assert [g.cause for g in entrance] == [GapCause.OFFLINE] * 3 + [GapCause.NO_RECORDS]
    g2 = found["cam-g2"].gaps
    assert [g.start.astimezone(sc.TZ).day for g in g2] == list(sc.G2_GAP_DAYS)  # not the 16th, 17th
    assert {g.cause for g in g2} == {GapCause.CAMERA_ERROR}
    assert sum(g.duration_s for g in g2) == sc.G2_MISSING_MIN * 60
    assert found["cam-g1"].gaps == ()


def test_only_the_latest_status_known() -> None:
    # What a store without status history gives: the device's latest status only (online on the 6th).
    latest = [max(status_history(), key=lambda s: s.ts)]
    assert {g.cause for g in august(statuses=latest)["cam-pintu"].gaps} == {GapCause.NO_RECORDS}


def test_entrance_footfall_coverage_combines_devices() -> None:
    found = august("month")
    second = DeviceCoverage("cam-pintu-2", (), found["cam-g1"].periods, found["cam-g1"].total, ())
    (month,) = combined([found["cam-pintu"], second])
    assert month.expected_s == 2 * sc.OPEN_MIN * 60
    assert month.observed_s == pytest.approx((2 * sc.OPEN_MIN - sc.ENTRANCE_MISSING_MIN) * 60)


def test_hour_periods_and_min_gap() -> None:
    day = TimeRange(datetime(2026, 8, 6, tzinfo=sc.TZ), datetime(2026, 8, 7, tzinfo=sc.TZ))
    records = [r for r in observations() if day.start <= r.interval_start < day.end]
    windows = open_windows(sc.HOURS, sc.HOLIDAYS, day, sc.TZ)
    spans = periods(day, "hour", sc.TZ)
    assert len(spans) == 24
    (pintu,) = device_coverage(records, [Watch("cam-pintu", Use.ENTRANCE, "pintu")], windows, spans,
                               min_gap_s=36 * 60)  # fmt: skip
    ten = pintu.periods[10]
    assert (ten.expected_s, ten.observed_s) == (3600, 25 * 60)
    assert pintu.periods[7].coverage is None  # before opening: records there do not count
    assert pintu.gaps == ()  # 35 minutes < 36


def test_straddling_record_counts_only_its_open_part() -> None:
    tz = ZoneInfo("Asia/Makassar")
    day = TimeRange(datetime(2026, 8, 3, tzinfo=tz), datetime(2026, 8, 4, tzinfo=tz))
    windows = open_windows([DayHours(0, time(8, 2), time(9))], (), day, tz)
    start = datetime(2026, 8, 3, 8, tzinfo=tz).astimezone(UTC)
    records = [
        ObservationInterval("s", "cam", "counts", "pintu", "entrance", None, start + timedelta(minutes=m), 300, 300)
        for m in range(0, 30, 5)
    ]
    (cam,) = device_coverage(records, [Watch("cam", Use.ENTRANCE, "pintu")], windows, periods(day, "day", tz))
    assert cam.total.expected_s == 58 * 60
    assert cam.total.observed_s == 28 * 60  # 08:00-08:05 adds its 3 open minutes only
    assert [(g.start.astimezone(tz).time(), g.end.astimezone(tz).time()) for g in cam.gaps] == [(time(8, 30), time(9))]


def test_two_lines_of_one_camera_are_one_observation() -> None:
    day = TimeRange(datetime(2026, 8, 3, 8, tzinfo=sc.TZ), datetime(2026, 8, 3, 9, tzinfo=sc.TZ))
    at = day.start.astimezone(UTC)
    records = [
        ObservationInterval("s", "cam", "counts", line, "entrance", None, at + timedelta(minutes=m), 60, 30)
        for m in range(60)
        for line in ("a", "b")
    ]
    watches = [Watch("cam", Use.ENTRANCE, "a"), Watch("cam", Use.ENTRANCE, "b")]
    (cam,) = device_coverage(records, watches, [day], periods(day, "hour", sc.TZ))
    assert cam.total.observed_s == 30 * 60
    assert cam.total.coverage == 0.5
    assert cam.gaps == ()  # half observed is observed


def test_no_frames_and_offline_causes() -> None:
    day = TimeRange(datetime(2026, 8, 3, 8, tzinfo=sc.TZ), datetime(2026, 8, 3, 16, tzinfo=sc.TZ))
    at = day.start.astimezone(UTC)
    ended = HealthSample("s", "cam", at + timedelta(minutes=1), CameraState.ENDED, 0.0, 400.0)
    (cam,) = device_coverage([], [Watch("cam", Use.ENTRANCE, "a")], [day], [day], health=[ended])
    assert [(g.cause, g.duration_s) for g in cam.gaps] == [(GapCause.NO_FRAMES, 8 * 3600)]
    offline = StatusChange("cam", DeviceState.OFFLINE, at + timedelta(minutes=1))
    (cam,) = device_coverage([], [Watch("cam", Use.ENTRANCE, "a")], [day], [day], statuses=[offline])
    assert cam.gaps[0].cause is GapCause.OFFLINE
    (cam,) = device_coverage([], [Watch("cam", Use.ENTRANCE, "a")], [day], [day])
    assert cam.gaps[0].cause is GapCause.NO_RECORDS
    assert cam.total.coverage == 0
