"""Footfall series and the heat map are cut where the current period begins (the periods before are kept
by the report cache, so a live write reads only today or this month again); joined, the two parts are
exactly the periods of the whole range read at once, with their counts and coverage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collector.admin import AdminDb
from collector.api.directory import SiteDirectory
from collector.report.footfall import footfall_periods
from collector.report.heatmap import footfall_heatmap
from collector.report.periods import TimeRange
from collector.report.site_coverage import footfall_with_coverage
from collector.storage import Batch, open_store
from wire import LineCounts

WIB = ZoneInfo("Asia/Jakarta")


def entrance(day: datetime, hour: int, minutes: int, device: str = "cam-1") -> list[LineCounts]:
    start = day.replace(hour=hour).astimezone(UTC)
    return [
        LineCounts(site="mpp-x", device=device, timezone="Asia/Jakarta", interval_start=start + timedelta(minutes=i),
                   interval_s=60, observed_s=60.0, line="pintu", role="entrance", in_count=1 + i % 3,
                   out_count=i % 2)
        for i in range(minutes)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("granularity", "now"),
    [
        ("day", datetime(2025, 6, 4, 11, 30, tzinfo=WIB)),
        ("hour", datetime(2025, 6, 4, 11, 30, tzinfo=WIB)),
        ("month", datetime(2025, 6, 4, 11, 30, tzinfo=WIB)),
        ("day", datetime(2025, 6, 4, 0, 0, tzinfo=WIB)),  # at midnight: nothing of today yet
        ("month", datetime(2025, 6, 1, 0, 0, tzinfo=WIB)),  # the first instant of the month
        ("day", datetime(2025, 7, 20, 9, 0, tzinfo=WIB)),  # the whole range before the cut
    ],
)
def test_the_parts_join_to_the_whole(tmp_path: Path, granularity: str, now: datetime) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'mpp.db'}")
    days = [datetime(2025, 5, 30, tzinfo=WIB), datetime(2025, 6, 2, tzinfo=WIB), datetime(2025, 6, 4, tzinfo=WIB)]
    store.write(Batch(counts=[c for day in days for c in entrance(day, 9, 90)] + entrance(days[2], 10, 45, "cam-2")))
    admin = AdminDb(tmp_path / "admin.db")
    sites = SiteDirectory(store, admin, lambda: now)
    info = sites.site("mpp-x")
    span = TimeRange(datetime(2025, 5, 1, tzinfo=WIB), datetime(2025, 6, 5, tzinfo=WIB))
    schedule = sites.schedule("mpp-x")
    whole = footfall_with_coverage(store, "mpp-x", span, info.timezone, granularity, schedule.days,  # type: ignore[arg-type]
                                   schedule.holidays, complete_at=info.complete_at, now=now)  # fmt: skip
    kept: list[TimeRange] = []

    def memo(what: object, part: TimeRange, compute):  # type: ignore[no-untyped-def]
        kept.append(part)
        return compute()

    joined = footfall_periods(store, sites, info, span, granularity, now, memo)  # type: ignore[arg-type]
    assert list(joined) == whole
    assert sum(p.in_count for p in joined) == sum(c.in_count for day in days for c in entrance(day, 9, 90)) + sum(
        c.in_count for c in entrance(days[2], 10, 45, "cam-2"))  # fmt: skip
    # What went through the memo ends where the current period begins, and only that.
    local = now.astimezone(WIB).replace(hour=0, minute=0)
    cut = min(local.replace(day=1) if granularity == "month" else local, span.end)
    assert kept == ([TimeRange(span.start, cut)] if cut > span.start else [])
    if granularity == "hour":  # the heat map folds the same hourly periods
        cells = footfall_heatmap(store, sites, info, span, now, memo).cells
        assert sum(c.in_count for c in cells) == sum(p.in_count for p in whole)
        assert sum(c.expected_s for c in cells) == pytest.approx(sum(p.expected_s for p in whole))
    admin.close()
    store.close()
