"""The demo's simulated history (demo/history.py) in real stores: four labelled MPPs over 15 months,
loaded fast and only once; the camera gap reads as incomplete coverage and the unstaffed gerai as
unstaffed, through the API as the dashboard and the report ask; both stores agree on it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from collector.api import create_app
from collector.storage import Store, open_store
from demo import history
from tests.integration.test_api_stores import HEADERS, ApiSettings
from tests.integration.test_store_coverage import _open
from tests.services import InfluxServer
from tests.store_answers import answers, differences

WIB = ZoneInfo(history.TIMEZONE)
NOW = datetime(2026, 11, 30, 3, 20, tzinfo=UTC)  # Monday 30 November 2026, 10:20 WIB
STORY = history.plan(NOW)
# CPU-seconds of the load, not wall time: the machine running the tests may be shared.
LOAD_LIMIT_CPU_S = 60.0


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, float, history.LoadResult]]:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('history')}/mpp.db")
    started = time.process_time()
    result = history.load(store, STORY)
    seconds = time.process_time() - started
    yield store, seconds, result
    store.close()


@pytest.fixture
def client(loaded: tuple[Store, float, history.LoadResult], tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(ApiSettings(tmp_path / "var"), loaded[0], clock=lambda: NOW)
    with TestClient(app, headers=HEADERS) as test_client:
        # The settings the demo puts through the admin API (demo/admin_client.py).
        for site, name in history.site_names():
            assert test_client.put(
                f"/api/v1/sites/{site}", json={"name": name, "timezone": history.TIMEZONE}
            ).is_success
            assert test_client.put(f"/api/v1/sites/{site}/opening-hours", json=history.opening_hours()).is_success
            for gerai, body in history.gerai_settings():
                assert test_client.put(f"/api/v1/sites/{site}/gerai/{gerai}", json=body).is_success
        yield test_client


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(f"/api/v1{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_plan_spans_fifteen_months_with_the_anomalies_in_the_last_complete_month() -> None:
    assert (STORY.first, STORY.last) == (date(2025, 9, 1), date(2026, 11, 30))
    assert len(STORY.gap) == history.GAP_DAYS
    assert all(d.month == 10 and history.is_open(d) for d in STORY.gap)
    assert STORY.unstaffed_from == date(2026, 10, 15)


def test_four_labelled_sites_fifteen_months_loaded_fast(loaded: tuple[Store, float, history.LoadResult]) -> None:
    store, seconds, result = loaded
    assert seconds < LOAD_LIMIT_CPU_S, f"{result.records:,} records took {seconds:.0f} CPU-s"
    assert result.conflicts == 0
    assert [s.site for s in store.sites()] == ["kobar", "kotim", "lamandau", "sukamara"]
    assert all("(simulasi)" in name for _, name in history.site_names())
    assert {d.device for d in store.devices()} == {"sim-pintu", "sim-gerai-1", "sim-gerai-2"}
    end = datetime.combine(STORY.last + timedelta(days=1), datetime.min.time(), WIB)
    days = store.footfall(["kobar"], datetime(2025, 1, 1, tzinfo=WIB), end, "day", history.TIMEZONE)
    months = {b.start.astimezone(WIB).strftime("%Y-%m") for b in days}
    assert len(months) == 15 and min(months) == "2025-09" and max(months) == "2026-11"
    # Closed on weekends and holidays; a weekday pattern (Mondays busier than Fridays).
    by_day = {b.start.astimezone(WIB).date(): b.in_count for b in days}
    assert all(by_day.get(d, 0) == 0 for d in by_day if d.weekday() >= 5 or d in history.HOLIDAYS)
    mondays = [v for d, v in by_day.items() if d.weekday() == 0 and v]
    fridays = [v for d, v in by_day.items() if d.weekday() == 4 and v]
    assert sum(mondays) / len(mondays) > 1.3 * sum(fridays) / len(fridays)
    assert 250 < sum(mondays) / len(mondays) < 1000


def test_loading_again_adds_nothing(loaded: tuple[Store, float, history.LoadResult]) -> None:
    store = loaded[0]
    span = (datetime(2025, 9, 1, tzinfo=WIB), datetime(2026, 12, 1, tzinfo=WIB))
    before = store.footfall(["kobar", "kotim"], *span, "day", history.TIMEZONE)
    zones_before = len(store.zone_intervals("kotim", NOW - timedelta(days=20), NOW))
    # What the demo does on its next run: from the marker's day on; and a rewrite of the last weeks.
    first = history.resume_from(history.marker_text(STORY), STORY)
    assert first == STORY.last
    again = history.load(store, STORY, STORY.last - timedelta(days=20))
    assert again.conflicts == 0 and again.records > 0
    assert store.footfall(["kobar", "kotim"], *span, "day", history.TIMEZONE) == before
    assert len(store.zone_intervals("kotim", NOW - timedelta(days=20), NOW)) == zones_before


def test_camera_gap_shows_as_incomplete_coverage(client: TestClient) -> None:
    kobar = get(client, "/sites/kobar/footfall", granularity="month", start="2026-10", end="2026-10")["periods"]
    kotim = get(client, "/sites/kotim/footfall", granularity="month", start="2026-10", end="2026-10")["periods"]
    assert kobar[0]["complete"] is False and kotim[0]["complete"] is True
    # Five of October's 22 opening days (no national holiday) unobserved: 17 / 22 = 77 % seen.
    assert kobar[0]["coverage"] == pytest.approx(17 / 22, abs=0.005)
    gap_day = min(STORY.gap).isoformat()
    day = get(client, "/sites/kobar/coverage", start=gap_day, end=gap_day)
    assert "camera_error" in str(day)


def test_unstaffed_gerai_shows_unstaffed(client: TestClient) -> None:
    day = "2026-10-20"
    body = get(client, "/sites/kobar/staffing", start=day, end=day)
    gerai = {g["gerai"]: g for g in body["gerai"]}
    assert gerai["bpjs-kes"]["name"] == "BPJS Kesehatan"
    assert gerai["bpjs-kes"]["total"]["staffed_share"] == 0 and gerai["bpjs-kes"]["total"]["observed_share"] == 1
    assert gerai["dukcapil"]["total"]["staffed_share"] > 0.8
    other = {g["gerai"]: g for g in get(client, "/sites/kotim/staffing", start=day, end=day)["gerai"]}
    assert other["bpjs-kes"]["total"]["staffed_share"] > 0.8


def test_report_without_a_month_opens_the_last_complete_month_with_data(client: TestClient) -> None:
    page = client.get("/api/v1/sites/kobar/reports/monthly")
    assert page.status_code == 200, page.text
    text = page.text
    assert "MPP Kotawaringin Barat (simulasi)" in text and "Oktober 2026" in text
    visitors = text[text.index("id=visitors>") + len("id=visitors>") :].split("<", 1)[0]
    assert int(visitors.replace(".", "")) > 3000
    assert "Data bulan ini tidak lengkap" in text  # the camera gap
    waiting = text[text.index("<table id=waiting>") : text.index("</table>", text.index("<table id=waiting>"))]
    assert waiting.count("<tr>") == 1 + len(history.GERAI) and "menit" in waiting


def test_both_stores_answer_the_same_on_the_history(influxdb: InfluxServer, tmp_path: Path) -> None:
    first = STORY.last - timedelta(days=13)  # two weeks (the camera gap's days answer alike in the full load)
    stores = {kind: _open(kind, tmp_path, influxdb) for kind in ("sqlite", "influxdb")}
    try:
        for store in stores.values():
            history.load(store, STORY, first)
        start = datetime.combine(first, datetime.min.time(), WIB)
        sites = [s.site for s in history.SITES]
        left, right = (answers(stores[k], sites, start, NOW) for k in ("sqlite", "influxdb"))
        assert differences(left, right) == []
    finally:
        for store in stores.values():
            store.close()
