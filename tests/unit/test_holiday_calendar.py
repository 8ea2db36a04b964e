"""A site's holiday calendar (pure merge) and the national days the holidays library gives for Indonesia."""

from __future__ import annotations

from datetime import UTC, date, datetime

from collector.admin.national_holidays import national_days
from collector.report.periods import TimeRange
from collector.report.schedule import DEFAULT_HOURS, holiday_calendar, open_windows
from collector.report.sites import SiteInfo

WIB = SiteInfo("s", "s", "Asia/Jakarta", "config", True, True).tz


def test_the_library_knows_idul_fitri_and_cuti_bersama_in_both_languages() -> None:
    days = {d: (name, kind) for d, name, kind in national_days(2025)}
    assert days[date(2025, 3, 31)] == ("Hari Raya Idul Fitri", "national")
    assert days[date(2025, 8, 17)][1] == "national"
    assert days[date(2025, 4, 2)][1] == "cuti_bersama"  # joint leave after Lebaran
    english = {d: name for d, name, _ in national_days(2025, "en")}
    assert "Eid al-Fitr" in english[date(2025, 3, 31)]


def test_site_days_close_or_open_a_date_over_the_national_calendar() -> None:
    preloaded = [(date(2025, 3, 31), "Idul Fitri", "national"), (date(2025, 4, 2), "Cuti Bersama", "cuti_bersama"),
                 (date(2025, 8, 17), "Kemerdekaan", "national")]  # fmt: skip
    own = [(date(2025, 4, 2), True, ""), (date(2025, 8, 17), False, ""), (date(2025, 6, 20), True, "Hari Jadi")]
    calendar = {d.date: d for d in holiday_calendar(preloaded, own)}
    assert [d for d in calendar] == sorted(calendar)
    assert calendar[date(2025, 3, 31)].closed and not calendar[date(2025, 3, 31)].overridden
    assert calendar[date(2025, 4, 2)].closed and calendar[date(2025, 4, 2)].name == "Cuti Bersama"
    assert not calendar[date(2025, 8, 17)].closed and calendar[date(2025, 8, 17)].source == "national"
    assert calendar[date(2025, 6, 20)].source == "site" and calendar[date(2025, 6, 20)].name == "Hari Jadi"
    # Cuti bersama not taken up stays open: it is listed, not closed.
    assert not holiday_calendar(preloaded, [])[1].closed


def test_a_closed_holiday_has_no_opening_window() -> None:
    closed = {d.date for d in holiday_calendar([(date(2025, 3, 31), "Idul Fitri", "national")], []) if d.closed}
    week = TimeRange(datetime(2025, 3, 30, 17, tzinfo=UTC), datetime(2025, 4, 1, 17, tzinfo=UTC))  # Mon-Tue WIB
    windows = open_windows(DEFAULT_HOURS, closed, week, WIB)
    assert [w.start.astimezone(WIB).date() for w in windows] == [date(2025, 4, 1)]
