"""Pure alert rule evaluation with an injected clock: opening time only, one episode per condition."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from collector.alerts.evaluate import Finding, entrance_coverage, plan, silent_devices, unstaffed_gerai
from collector.alerts.history import AlertDb
from collector.alerts.rules import AlertKind, AlertRules
from collector.alerts.service import backoff_s
from collector.report.gerai import Gerai, GeraiZone
from collector.report.periods import TimeRange
from collector.report.schedule import DayHours, open_windows
from collector.storage.base import DeviceRecord, ZoneInterval

WIB = ZoneInfo("Asia/Jakarta")
HOURS = tuple(DayHours(d, time(8), time(16)) for d in range(5))  # Monday-Friday 08:00-16:00
RULES = AlertRules(device_silent_after_s=900, unstaffed_after_s=3600, entrance_coverage_below=0.8)
MONDAY = datetime(2026, 4, 6, tzinfo=WIB)  # a Monday


def at(day: datetime, hh: int, mm: int = 0) -> datetime:
    return day.replace(hour=hh, minute=mm).astimezone(UTC)


def windows(now: datetime) -> list[TimeRange]:
    return open_windows(HOURS, frozenset(), TimeRange(now - timedelta(days=14), now + timedelta(days=1)), WIB)


def device(last_seen: datetime | None) -> DeviceRecord:
    return DeviceRecord(site="mpp-a", device="cam-1", timezone="Asia/Jakarta", last_seen=last_seen, state=None,
                        state_at=None, health=None)  # fmt: skip


def silent(last_seen: datetime, now: datetime) -> bool | None:
    (finding,) = silent_devices([device(last_seen)], windows(now), now, RULES)
    return finding.active


def test_a_device_is_silent_after_the_threshold_of_opening_time_not_of_clock_time() -> None:
    # Quiet since 07:00: only the opening time from 08:00 counts.
    assert silent(at(MONDAY, 7), at(MONDAY, 8, 10)) is False
    assert silent(at(MONDAY, 7), at(MONDAY, 8, 15)) is True
    # Quiet from Friday 15:55: five minutes on Friday, then the weekend does not count, Monday adds ten.
    friday = MONDAY - timedelta(days=3)
    assert silent(at(friday, 15, 55), at(friday + timedelta(days=1), 23)) is False
    assert silent(at(friday, 15, 55), at(MONDAY, 8, 9)) is False
    assert silent(at(friday, 15, 55), at(MONDAY, 8, 10)) is True
    # Still silent after closing: the episode stays open through the night.
    assert silent(at(MONDAY, 9), at(MONDAY, 22)) is True


def test_never_seen_and_retired_devices_and_a_rule_switched_off_raise_nothing() -> None:
    now = at(MONDAY, 10)
    assert silent_devices([device(None)], windows(now), now, RULES) == []
    assert silent_devices([device(now - timedelta(days=100))], windows(now), now, RULES) == []
    off = RULES.model_copy(update={"device_silent_after_s": None})
    assert silent_devices([device(at(MONDAY, 8))], windows(now), now, off) == []


GERAI = Gerai("bpjs", "BPJS Kesehatan", (GeraiZone("cam-2", "petugas", "staff"), GeraiZone("cam-2", "antri", "queue")),
              configured=True)  # fmt: skip


def minute(
    start: datetime, *, occupied_s: float = 0.0, observed_s: float = 60.0, zone: str = "petugas"
) -> ZoneInterval:
    return ZoneInterval(site="mpp-a", device="cam-2", zone=zone, role="staff" if zone == "petugas" else "queue",
                        gerai="bpjs", interval_start=start, interval_s=60, observed_s=observed_s, mean_count=0.0,
                        max_count=1 if occupied_s else 0, occupied_s=occupied_s, visits=0)  # fmt: skip


def minutes(start: datetime, n: int, **kw: Any) -> list[ZoneInterval]:
    return [minute(start + timedelta(minutes=i), **kw) for i in range(n)]


def unstaffed(records: list[ZoneInterval], now: datetime) -> Finding:
    (finding,) = unstaffed_gerai([GERAI], records, windows(now), now, RULES)
    return finding


def test_an_observed_gerai_without_staff_for_an_hour_of_opening_time_is_unstaffed() -> None:
    records = minutes(at(MONDAY, 9), 59) + minutes(at(MONDAY, 9), 60, occupied_s=30, zone="antri")
    assert unstaffed(records, at(MONDAY, 10)).active is False  # 59 minutes
    records += minutes(at(MONDAY, 9, 59), 1)
    finding = unstaffed(records, at(MONDAY, 10, 1))
    assert finding.active is True and finding.detail["unstaffed_open_s"] == 3600
    # The queue zone's people are visitors, not staff; one staffed minute ends the run.
    staffed = [*records[:30], minute(at(MONDAY, 9, 30), occupied_s=5), *records[31:]]
    assert unstaffed(staffed, at(MONDAY, 10, 1)).active is False


def test_the_run_counts_opening_time_only_and_carries_over_closing() -> None:
    # 40 observed minutes before Friday's close and 20 after Monday's opening: an hour of opening time.
    friday = MONDAY - timedelta(days=3)
    records = minutes(at(friday, 15, 20), 40) + minutes(at(friday, 16), 120) + minutes(at(MONDAY, 8), 20)
    assert unstaffed(records, at(MONDAY, 8, 20)).active is True


def test_an_unobserved_gerai_is_never_unstaffed() -> None:
    records = minutes(at(MONDAY, 8), 90)
    # The camera stopped: the newest record is older than a few minutes.
    assert unstaffed(records, at(MONDAY, 9, 40)).active is None
    # The camera delivers records but saw too little of the latest minute.
    dark = [*records, minute(at(MONDAY, 9, 30), observed_s=10)]
    assert unstaffed(dark, at(MONDAY, 9, 31)).active is None
    # Ten unobserved minutes in the middle of opening time break the run: 30 observed minutes remain.
    broken = minutes(at(MONDAY, 8), 50) + minutes(at(MONDAY, 9), 30)
    assert unstaffed(broken, at(MONDAY, 9, 30)).active is False
    # Closed now: nothing can be told.
    assert unstaffed(minutes(at(MONDAY, 15), 90), at(MONDAY, 16, 30)).active is None


def test_entrance_coverage_below_the_threshold_of_at_least_half_a_window_of_opening_time() -> None:
    assert entrance_coverage(3600, 2000, RULES)[0].active is True
    assert entrance_coverage(3600, 3000, RULES)[0].active is False
    assert entrance_coverage(1200, 0, RULES)[0].active is None  # just opened
    assert entrance_coverage(0, 0, RULES)[0].active is None  # closed


def f(subject: str, active: bool | None) -> Finding:
    return Finding(AlertKind.DEVICE_SILENT, subject, subject, active)


def test_one_episode_per_condition_opened_once_and_resolved_once() -> None:
    steps = plan(set(), [f("cam-1", True), f("cam-2", False), f("cam-3", None)])
    assert [x.subject for x in steps.opened] == ["cam-1"] and steps.resolved == ()
    open_keys = {("device_silent", "cam-1")}
    assert plan(open_keys, [f("cam-1", True)]).opened == ()  # still active: nothing new
    assert plan(open_keys, [f("cam-1", None)]) == plan(open_keys, [f("cam-1", True)])  # unknown keeps it
    assert plan(open_keys, [f("cam-1", False)]).resolved == (("device_silent", "cam-1"),)
    assert plan(open_keys, []).resolved == (("device_silent", "cam-1"),)  # removed device or rule switched off


def test_episodes_survive_a_reopened_db_and_open_only_once(tmp_path: Path) -> None:
    now = at(MONDAY, 9)
    db = AlertDb(tmp_path / "admin.db")
    (alert,) = db.apply("mpp-a", [f("cam-1", True)], [], ["email", "webhook"], now)
    db.close()
    db = AlertDb(tmp_path / "admin.db")
    assert db.open_keys("mpp-a") == {("device_silent", "cam-1")}
    assert [d.channel for d in db.due(now)] == ["email", "webhook"]
    with pytest.raises(Exception, match="UNIQUE"):
        db.apply("mpp-a", [f("cam-1", True)], [], ["email"], now)
    assert len(db.history("mpp-a")) == 1  # the failed transaction left nothing behind
    db.delivered(alert.id, "email", now)
    db.retry_at(alert.id, "webhook", now + timedelta(seconds=30), "HTTP 500")
    assert db.due(now) == [] and [d.channel for d in db.due(now + timedelta(seconds=30))] == ["webhook"]
    assert db.delivery_states(alert.id) == {"email": "delivered", "webhook": "pending"}
    db.apply("mpp-a", [], [("device_silent", "cam-1")], ["email"], now + timedelta(minutes=5))
    assert db.open_keys("mpp-a") == set() and db.history("mpp-a")[0].resolved_at == now + timedelta(minutes=5)
    db.close()


def test_retries_back_off_exponentially_up_to_an_hour() -> None:
    assert [backoff_s(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_s(20) == 3600


def test_the_monthly_report_is_due_from_0700_local_on_the_1st_for_a_week() -> None:
    from collector.alerts.report_mail import due_reports
    from collector.report.sites import SiteInfo

    jakarta = SiteInfo("mpp-jakarta", "MPP Jakarta", "Asia/Jakarta", "config", True, True)
    jayapura = SiteInfo("mpp-jayapura", "MPP Jayapura", "Asia/Jayapura", "config", True, True)  # WIT, UTC+9
    may_1 = datetime(2026, 5, 1, tzinfo=WIB)

    def due(now: datetime) -> list[tuple[str, str]]:
        return [(d.site.site, f"{d.month:%Y-%m}") for d in due_reports([jakarta, jayapura], now.astimezone(UTC))]

    assert due(may_1.replace(hour=6, minute=59)) == [("mpp-jayapura", "2026-04")]  # 08:59 in Jayapura
    assert due(may_1.replace(hour=7)) == [("mpp-jakarta", "2026-04"), ("mpp-jayapura", "2026-04")]
    assert due(may_1.replace(day=7, hour=22)) == [("mpp-jakarta", "2026-04")]  # 00:00 WIT on the 8th: over
    assert due(may_1.replace(day=8)) == []
    assert due(may_1 - timedelta(minutes=1)) == []  # 30 April
    assert due(datetime(2026, 1, 1, 7, tzinfo=WIB)) == [("mpp-jakarta", "2025-12"), ("mpp-jayapura", "2025-12")]
