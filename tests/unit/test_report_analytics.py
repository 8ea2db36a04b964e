"""The like-for-like stretches the KPI tiles compare."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from collector.report.kpi import same_stretch

WIB = ZoneInfo("Asia/Jakarta")


@pytest.mark.parametrize(
    ("now", "year", "month", "end"),
    [
        (datetime(2025, 6, 2, 16, 0), 2025, 5, datetime(2025, 5, 2, 16, 0)),
        (datetime(2025, 3, 31, 9, 30), 2025, 2, datetime(2025, 3, 1)),  # cut at February's end
        (datetime(2024, 3, 30, 9, 30), 2024, 2, datetime(2024, 3, 1)),  # 29 February 2024 whole
        (datetime(2024, 2, 29, 12, 0), 2023, 2, datetime(2023, 3, 1)),  # no 29 February a year before
        (datetime(2025, 1, 15, 8, 0), 2024, 12, datetime(2024, 12, 15, 8, 0)),
        (datetime(2025, 12, 31, 23, 0), 2025, 11, datetime(2025, 12, 1)),
    ],
)
def test_same_stretch_of_another_month(now: datetime, year: int, month: int, end: datetime) -> None:
    span = same_stretch(now.replace(tzinfo=WIB), year, month)
    assert (span.start, span.end) == (datetime(year, month, 1, tzinfo=WIB), end.replace(tzinfo=WIB))
