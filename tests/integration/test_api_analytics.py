"""The dashboard analytics API (KPI figures, footfall heat map, staffing per month) on both real stores,
on the planted data of tests/analytics_scenario.py (every expected figure is worked out there)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from collector.api import create_app
from collector.storage import Store, open_store
from tests import analytics_scenario as sc
from tests.integration.test_api_stores import HEADERS, ApiSettings
from tests.services import InfluxServer

SITE = f"/api/v1/sites/{sc.SITE}"


def _open(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    if kind == "sqlite":
        return open_store(f"sqlite:///{tmp_path / 'mpp.db'}")
    server: InfluxServer = request.getfixturevalue("influxdb")
    return open_store(f"influxdb://127.0.0.1:{server.http_port}/analytics_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["sqlite", "influxdb"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    store = _open(request.param, tmp_path, request)
    sc.plant(store)
    app = create_app(ApiSettings(tmp_path / "var"), store, clock=lambda: sc.NOW)
    with TestClient(app, headers=HEADERS) as test_client:
        yield test_client
    store.close()


def _ok(client: TestClient, path: str, **params: str) -> Any:
    response = client.get(SITE + path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_kpi_figures_each_carry_their_coverage(client: TestClient) -> None:
    kpi = _ok(client, "/kpi")
    assert kpi["as_of"] == "2025-06-02T16:00:00+07:00"
    today, month, last_month, last_year = kpi["today"], kpi["month"], kpi["last_month"], kpi["last_year"]
    assert (today["start"], today["end"]) == ("2025-06-02T00:00:00+07:00", "2025-06-02T16:00:00+07:00")
    assert (today["in"], today["coverage"], today["complete"]) == (48, 1.0, True)
    assert (month["start"], month["in"], month["expected_s"], month["complete"]) == (
        "2025-06-01T00:00:00+07:00", 53, 8 * 3600.0, True,
    )  # fmt: skip
    # Like for like: 1 May 00:00 to 2 May 16:00; the 7 entries at 16:30 on 2 May are after the stretch.
    # 1 May is Labour Day, a national holiday: closed, so only 2 May's opening hours are expected.
    assert (last_month["start"], last_month["end"]) == ("2025-05-01T00:00:00+07:00", "2025-05-02T16:00:00+07:00")
    assert (last_month["in"], last_month["expected_s"], last_month["complete"]) == (40, 8 * 3600.0, True)
    assert kpi["vs_last_month"] == {"ratio": pytest.approx(13 / 40), "comparable": True}
    # A Saturday and a Sunday a year ago: counted, but nothing was expected, so no comparison stands.
    assert (last_year["start"], last_year["in"], last_year["coverage"], last_year["complete"]) == (
        "2024-06-01T00:00:00+07:00", 30, None, False,
    )  # fmt: skip
    assert kpi["vs_last_year"] == {"ratio": pytest.approx(23 / 30), "comparable": False}
    staffing = kpi["staffing"]
    assert staffing["state"] == "observed"
    assert staffing["staffed_share"] == pytest.approx(6 / 7)
    assert staffing["observed_share"] == pytest.approx(7 / 8)


def _cell(cells: list[dict[str, Any]], weekday: int, hour: int) -> dict[str, Any]:
    found = cells[weekday * 24 + hour]
    assert (found["weekday"], found["hour"]) == (weekday, hour)
    return found


def test_heatmap_folds_hours_of_the_week_and_leaves_unobserved_cells_unobserved(client: TestClient) -> None:
    body = _ok(client, "/footfall/heatmap", start="2025-03-03", end="2025-03-16")
    assert (body["start"], body["end"]) == ("2025-03-03T00:00:00+07:00", "2025-03-17T00:00:00+07:00")
    cells = body["cells"]
    assert len(cells) == 168 and all(c["hours"] == 2 for c in cells)
    monday9 = _cell(cells, 0, 9)
    assert (monday9["in"], monday9["mean_in"], monday9["coverage"], monday9["complete"]) == (16, 8.0, 1.0, True)
    tuesday9 = _cell(cells, 1, 9)  # no record at all: not observed, not an empty hour
    assert (tuesday9["in"], tuesday9["observed_s"], tuesday9["coverage"], tuesday9["complete"]) == (0, 0.0, 0.0, False)
    assert _cell(cells, 2, 10)["complete"] is True  # both Wednesdays observed until 12:00
    wednesday13 = _cell(cells, 2, 13)  # 12 March observed until noon: half the cell's opening time
    assert (wednesday13["in"], wednesday13["mean_in"], wednesday13["coverage"], wednesday13["complete"]) == (
        2, 1.0, 0.5, False,
    )  # fmt: skip
    saturday10 = _cell(cells, 5, 10)  # closed: counted, nothing expected
    assert (saturday10["in"], saturday10["mean_in"], saturday10["coverage"], saturday10["complete"]) == (
        4, 2.0, None, False,
    )  # fmt: skip
    assert sum(c["in"] for c in cells) == 16 + 2 + 4
    # CSV: one row per cell, with the range.
    march = {"start": "2025-03-03", "end": "2025-03-16", "format": "csv"}
    response = client.get(SITE + "/footfall/heatmap", params=march)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 168
    row = next(r for r in rows if (r["weekday"], r["hour"]) == ("0", "9"))
    assert (row["site"], row["in"], row["mean_in"], row["complete"]) == (sc.SITE, "16", "8.0", "True")
    assert next(r for r in rows if (r["weekday"], r["hour"]) == ("1", "9"))["coverage"] == "0.0"


# National holidays on weekdays (closed unless the site opens them): Labour Day, Waisak, Ascension.
HOLIDAYS_2025 = {date(2025, 5, 1), date(2025, 5, 12), date(2025, 5, 29)}


def _open_weekdays(first: date, last: date) -> int:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return sum(1 for day in days if day.weekday() < 5 and day not in HOLIDAYS_2025)


def test_staffing_per_month_beside_its_observed_share(client: TestClient) -> None:
    body = _ok(client, "/staffing/periods", start="2025-03", end="2025-08", granularity="month")
    assert body["granularity"] == "month"
    (gerai,) = body["gerai"]
    assert gerai["gerai"] == sc.GERAI
    months = {p["start"][:7]: p for p in gerai["periods"]}
    assert list(months) == ["2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08"]
    for empty in ("2025-03", "2025-04"):  # open, never observed: grey, never a share
        assert months[empty]["state"] == "not_observed"
        assert (months[empty]["staffed_share"], months[empty]["observed_share"]) == (None, 0.0)
    may = months["2025-05"]  # one day in 19 open weekdays: too little to show a share
    assert may["state"] == "not_observed" and may["staffed_share"] is None
    assert may["open_s"] == _open_weekdays(date(2025, 5, 1), date(2025, 5, 31)) * 8 * 3600.0
    assert may["observed_share"] == pytest.approx(8 * 3600 / may["open_s"])
    june = months["2025-06"]  # judged on its days so far (1-2 June, to 16:00)
    assert (june["state"], june["open_s"], june["observed_s"], june["staffed_s"]) == (
        "observed", 8 * 3600.0, 7 * 3600.0, 6 * 3600.0,
    )  # fmt: skip
    assert june["staffed_share"] == pytest.approx(6 / 7) and june["observed_share"] == pytest.approx(7 / 8)
    for later in ("2025-07", "2025-08"):  # after now: not expected yet
        assert (months[later]["state"], months[later]["open_s"]) == ("closed", 0.0)
    # The pooled row and the total: one gerai, so the same figures.
    assert [p["state"] for p in body["site_periods"]] == [p["state"] for p in gerai["periods"]]
    assert body["total"]["observed_s"] == 15 * 3600.0 and body["total"]["staffed_s"] == 14 * 3600.0
    # June's cell is the hourly staffing view of June so far, whole.
    hourly = _ok(client, "/staffing", start="2025-06-01", end="2025-06-02")["gerai"][0]
    assert (hourly["observed_s"], hourly["staffed_s"]) == (june["observed_s"], june["staffed_s"])
    response = client.get(SITE + "/staffing/periods", params={"start": "2025-03", "end": "2025-08", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["gerai"], r["start"][:7], r["state"]) for r in rows][2:4] == [
        (sc.GERAI, "2025-05", "not_observed"), (sc.GERAI, "2025-06", "observed"),
    ]  # fmt: skip
    assert rows[0]["staffed_share"] == ""  # not observed: no share, not zero


def test_staffing_per_day(client: TestClient) -> None:
    body = _ok(client, "/staffing/periods", start="2025-05-01", end="2025-05-04", granularity="day")
    days = [(p["start"][:10], p["state"]) for p in body["gerai"][0]["periods"]]
    # 1 May is Labour Day (closed), 3-4 May a weekend.
    assert days == [("2025-05-01", "closed"), ("2025-05-02", "observed"), ("2025-05-03", "closed"),
                    ("2025-05-04", "closed")]  # fmt: skip
    assert body["gerai"][0]["periods"][1]["staffed_share"] == 1.0


def test_a_past_three_month_range_on_every_card_the_dashboard_has(client: TestClient) -> None:
    """March-May 2025, as the dashboard's date inputs send it, on each card's endpoint."""
    days = _ok(client, "/footfall", start="2025-03-01", end="2025-05-31", granularity="day")["periods"]
    assert len(days) == 92 and days[0]["start"][:10] == "2025-03-01" and days[-1]["start"][:10] == "2025-05-31"
    assert sum(p["in"] for p in days) == 16 + 2 + 4 + 40 + 7  # 7 at 16:30 on 2 May
    months = _ok(client, "/footfall", start="2025-03-01", end="2025-05-31", granularity="month")["periods"]
    assert [p["in"] for p in months] == [22, 0, 47]
    compare = client.get("/api/v1/footfall", params={"sites": sc.SITE, "start": "2025-03-01", "end": "2025-05-31"})
    assert [p["in"] for p in compare.json()["sites"][0]["periods"]] == [22, 0, 47]
    for path in ("/occupancy", "/staffing", "/waiting"):  # at most 93 days: March-May is 92
        _ok(client, path, start="2025-03-01", end="2025-05-31", **({"resolution": "1d"} if path != "/staffing" else {}))
    _ok(client, "/footfall/heatmap", start="2025-03-01", end="2025-05-31")
    _ok(client, "/staffing/periods", start="2025-03-01", end="2025-05-31", granularity="day")


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/staffing/periods", {"start": "2025-01-01", "end": "2025-05-31", "granularity": "day"}, "end"),
        ("/staffing/periods", {"start": "2024-01", "end": "2025-06"}, "end"),
        ("/staffing/periods", {"granularity": "hour"}, "granularity"),
        ("/footfall/heatmap", {"start": "2024-01-01", "end": "2025-06-01"}, "end"),
        ("/footfall/heatmap", {"start": "2025-06-01", "end": "2025-05-01"}, "end"),
    ],
)
def test_ranges_beyond_the_limits_are_refused_with_the_field(
    client: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    response = client.get(SITE + path, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == field


def test_a_year_of_months_is_accepted(client: TestClient) -> None:
    body = _ok(client, "/staffing/periods", start="2024-06", end="2025-06")  # 13 months, 395 days
    assert len(body["gerai"][0]["periods"]) == 13
    assert len(_ok(client, "/staffing/periods")["gerai"][0]["periods"]) == 12  # default: the last 12 months
    _ok(client, "/footfall/heatmap", start="2024-06-01", end="2025-06-30")


def test_both_stores_answer_the_analytics_identically(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    bodies = []
    for kind in ("sqlite", "influxdb"):
        store = _open(kind, tmp_path, request)
        sc.plant(store)
        app = create_app(ApiSettings(tmp_path / f"var-{kind}"), store, clock=lambda: sc.NOW)
        with TestClient(app, headers=HEADERS) as client:
            bodies.append([
                _ok(client, "/kpi"),
                _ok(client, "/footfall/heatmap", start="2025-03-01", end="2025-06-02"),
                _ok(client, "/staffing/periods", start="2025-03", end="2025-08"),
                _ok(client, "/staffing/periods", start="2025-05-01", end="2025-06-02", granularity="day"),
            ])  # fmt: skip
        store.close()
    assert bodies[0] == bodies[1]
