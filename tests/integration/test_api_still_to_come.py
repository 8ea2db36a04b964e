"""Opening time still to come is not expected yet: at 10:00 on a day open 08:00-16:00, whose two
hours so far the cameras saw whole, every view reads that day as fully observed (as the KPI tiles
and the staffing per period already do), never as a quarter observed with a six-hour gap ahead."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from collector.api import create_app
from collector.storage import Batch, open_store
from tests import analytics_scenario as sc
from tests.integration.test_api_analytics import _ok
from tests.integration.test_api_stores import HEADERS, ApiSettings

NOW = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)  # 10:00 WIB, Monday 2 June 2025
# Mondays of the heat map's default 30 days (4 May - 2 June); 12 May is Waisak, a holiday (closed).
MAY_MONDAYS = (date(2025, 5, 5), date(2025, 5, 19), date(2025, 5, 26))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = open_store(f"sqlite:///{tmp_path / 'mpp.db'}")
    counts = [r for day in MAY_MONDAYS for r in sc._entrance(day, 8, 16, {120: 1})]  # one entry at 10:00
    counts += sc._entrance(date(2025, 6, 2), 8, 10, {0: 1})
    staff = sc._staff(date(2025, 6, 2), [(8, True, True), (9, True, True)])
    store.write(Batch(counts=counts, occupancy=staff))
    app = create_app(ApiSettings(tmp_path / "var"), store, clock=lambda: NOW)
    with TestClient(app, headers=HEADERS) as test_client:
        yield test_client
    store.close()


def test_footfall_today_is_judged_on_its_opening_time_so_far(client: TestClient) -> None:
    kpi = _ok(client, "/kpi")["today"]
    (day,) = _ok(client, "/footfall", granularity="day", start="2025-06-02", end="2025-06-02")["periods"]
    for figure in (kpi, day):
        assert (figure["in"], figure["expected_s"], figure["observed_s"], figure["complete"]) == (1, 7200, 7200, True)
    hours = {p["start"][11:13]: p for p in _ok(client, "/footfall", granularity="hour")["periods"]}
    assert (hours["09"]["coverage"], hours["09"]["complete"]) == (1.0, True)
    # Hours still to come hold no opening time yet: nothing expected, not 0 % observed.
    assert {(hours[h]["expected_s"], hours[h]["coverage"]) for h in ("10", "11", "15")} == {(0.0, None)}


def test_heatmap_cells_of_hours_still_to_come_today(client: TestClient) -> None:
    cells = _ok(client, "/footfall/heatmap")["cells"]
    monday10 = cells[10]
    assert (monday10["weekday"], monday10["hour"]) == (0, 10)
    # 5, 12 (closed), 19 and 26 May: 3 entries in 4 Mondays; 2 June's 10:00 has not come yet.
    assert (monday10["in"], monday10["hours"], monday10["mean_in"]) == (3, 4, 0.75)
    assert (monday10["expected_s"], monday10["observed_s"], monday10["complete"]) == (3 * 3600, 3 * 3600, True)


def test_staffing_so_far_today_is_observed_with_no_gap_ahead(client: TestClient) -> None:
    (gerai,) = _ok(client, "/staffing")["gerai"]
    assert gerai["total"] == {"state": "observed", "open_s": 7200, "observed_s": 7200, "staffed_s": 7200,
                              "staffed_share": 1, "observed_share": 1}  # fmt: skip
    assert [(h["hour"], h["state"]) for h in gerai["hours"]] == [(8, "observed"), (9, "observed")]
    assert gerai["unobserved"] == []


def test_coverage_lists_no_gap_in_time_still_to_come(client: TestClient) -> None:
    body = _ok(client, "/coverage", start="2025-06-02", end="2025-06-02")
    assert body["gaps"] == []
    assert {(d["device"], d["total"]["expected_s"], d["total"]["observed_s"]) for d in body["devices"]} == {
        ("cam-pintu", 7200, 7200),
        ("cam-gerai", 7200, 7200),
    }
