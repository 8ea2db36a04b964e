"""The KPI tile's staffing of this month is cut at midnight (the days before are kept by the report cache);
pooled, the two parts give exactly what the whole range gives, whatever gerai each part saw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collector.admin import AdminDb
from collector.api.directory import SiteDirectory
from collector.report.cache import no_memo
from collector.report.kpi import month_staffing
from collector.report.periods import TimeRange
from collector.report.staffing import share_cell
from collector.report.staffing_report import staffing_report
from collector.storage import Batch, open_store
from wire import ZoneOccupancy

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2025, 6, 4, 11, 30, tzinfo=WIB)  # Wednesday


def staff(gerai: str, day: int, hour: int, minutes: int, *, observed: bool = True, occupied: bool = True,
          interval_s: int = 60, month: int = 6) -> list[ZoneOccupancy]:  # fmt: skip
    start = datetime(2025, month, day, hour, tzinfo=WIB).astimezone(UTC)
    return [
        ZoneOccupancy(site="mpp-x", device=f"cam-{gerai}", timezone="Asia/Jakarta",
                      interval_start=start + timedelta(seconds=interval_s * i), interval_s=interval_s,
                      observed_s=float(interval_s) if observed else 0.0, zone=f"{gerai}-staf", role="staff",
                      gerai=gerai, mean_count=1.0 if occupied else 0.0, max_count=1 if occupied else 0,
                      occupied_s=float(interval_s) if occupied and observed else 0.0, visits=0, dwells_s=())
        for i in range(minutes * 60 // interval_s)
    ]  # fmt: skip


@pytest.mark.parametrize("cut_hour", [0, 9])  # local midnight (the tile's cut), and one inside opening hours
def test_cut_month_pools_to_the_whole(tmp_path: Path, cut_hour: int) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'mpp.db'}")
    records = [
        *staff("a", 2, 8, 240), *staff("a", 2, 12, 240, occupied=False),  # Monday: half staffed
        *staff("a", 3, 8, 120, observed=False), *staff("a", 3, 10, 360, interval_s=300),  # Tuesday
        *staff("a", 4, 8, 150), *staff("a", 4, 10, 30, occupied=False),  # today, up to 10:30
        *staff("b", 4, 9, 60),  # a gerai seen only today
        *staff("c", 2, 8, 480, occupied=False),  # and one seen only on Monday
    ]  # fmt: skip
    store.write(Batch(occupancy=records))
    admin = AdminDb(tmp_path / "admin.db")
    sites = SiteDirectory(store, admin, lambda: NOW)
    info = sites.site("mpp-x")
    month = TimeRange(datetime(2025, 6, 1, tzinfo=WIB), NOW)
    whole = staffing_report(store, sites, info, month, 24 * 60).gerai
    assert {g.gerai for g in whole} == {"a", "b", "c"}
    expected = share_cell(sum(g.open_s for g in whole), sum(g.observed_s for g in whole),
                          sum(g.staffed_s for g in whole))  # fmt: skip
    cut = datetime(2025, 6, 4, cut_hour, tzinfo=WIB)
    got = month_staffing(store, sites, info, month, cut, no_memo)
    assert got.state == expected.state
    assert (got.open_s, got.observed_s, got.staffed_s) == pytest.approx(
        (expected.open_s, expected.observed_s, expected.staffed_s), abs=1e-6)  # fmt: skip
    assert got.staffed_share == pytest.approx(expected.staffed_share)
    admin.close()
    store.close()


@pytest.mark.parametrize("granularity", ["month", "day"])
def test_staffing_per_period_cut_at_this_month_joins_to_the_whole(tmp_path: Path, granularity: str) -> None:
    """The yearly staffing view keeps the months before this one; joined with this month they equal the
    whole range read at once, for a gerai seen only before the cut and one seen only after it."""
    from collector.report.staffing_periods import _by_period, staffing_by_period

    store = open_store(f"sqlite:///{tmp_path / 'mpp.db'}")
    may = [*staff("a", 5, 8, 240, month=5), *staff("d", 6, 9, 120, occupied=False, month=5)]
    store.write(Batch(occupancy=[*may, *staff("a", 2, 8, 240), *staff("b", 4, 9, 60)]))
    admin = AdminDb(tmp_path / "admin.db")
    sites = SiteDirectory(store, admin, lambda: NOW)
    info = sites.site("mpp-x")
    span = TimeRange(datetime(2025, 5, 1, tzinfo=WIB), datetime(2025, 7, 1, tzinfo=WIB))
    if granularity == "day":
        span = TimeRange(datetime(2025, 5, 4, tzinfo=WIB), datetime(2025, 6, 10, tzinfo=WIB))
    whole = _by_period(store, sites, info, granularity, span, NOW)  # type: ignore[arg-type]
    kept: list[object] = []

    def memo(what: object, part: TimeRange, compute: object) -> object:
        kept.append(part)
        return compute()  # type: ignore[operator]

    joined = staffing_by_period(store, sites, info, granularity, span, NOW, memo)  # type: ignore[arg-type]
    assert kept == [TimeRange(span.start, datetime(2025, 6, 1, tzinfo=WIB))]
    assert [g.gerai for g in joined.gerai] == [g.gerai for g in whole.gerai] == ["a", "b", "d"]

    def figures(result: object) -> list[tuple[object, ...]]:
        rows = [(g.gerai, p.start, p.end, p.state, p.open_s, p.observed_s, p.staffed_s)
                for g in result.gerai for p in g.periods]  # type: ignore[attr-defined]  # fmt: skip
        rows += [("site", p.start, p.end, p.state, p.open_s, p.observed_s, p.staffed_s)
                 for p in result.site_periods]  # type: ignore[attr-defined]  # fmt: skip
        return rows

    assert figures(joined) == figures(whole)
    assert joined.total == whole.total
    assert [g.total for g in joined.gerai] == [g.total for g in whole.gerai]
    admin.close()
    store.close()
