"""Coverage through the real API on both stores: the planted-fault August (tests/coverage_scenario.py)
written to SQLite and InfluxDB, the site's calendar and gerai set through the admin API, and
footfall, coverage, the comparison, staffing and the monthly report read as a user would."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from collector.api import create_app
from collector.storage import Store
from tests import coverage_scenario as sc
from tests.integration.test_api_stores import HEADERS, ApiSettings
from tests.integration.test_store_coverage import _fill, _open
from tests.services import InfluxServer

NOW = datetime(2026, 9, 2, 3, 0, tzinfo=UTC)  # 10:00 WIB on Wednesday 2 September 2026
WEEKDAYS = [{"weekday": d, "opens": "08:00", "closes": "16:00"} for d in range(5)]
CALENDAR = {
    "days": [*WEEKDAYS, {"weekday": 5, "opens": "08:00", "closes": "12:00"}],
    "holidays": [{"date": "2026-08-17", "name": "HUT RI"}, {"date": "2026-08-22", "name": "Tutup"}],
}


def configure(client: TestClient) -> None:
    """The site's calendar and gerai as an admin enters them (the same as the scenario's)."""
    assert client.put(f"/api/v1/sites/{sc.SITE}/opening-hours", json=CALENDAR).status_code == 200
    # The scenario's MPP works through Maulid Nabi (Tuesday 25 August 2026, a national holiday the
    # calendar preloads): its only closed days are the two above.
    assert client.delete(f"/api/v1/sites/{sc.SITE}/holidays/2026-08-25").status_code == 200
    for gerai in sc.GERAI:
        zones = [{"device": z.device, "zone": z.zone, "role": z.role} for z in gerai.zones]
        body = {"name": gerai.name, "zones": zones}
        assert client.put(f"/api/v1/sites/{sc.SITE}/gerai/{gerai.gerai}", json=body).status_code == 200


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, influxdb: InfluxServer) -> Iterator[dict[str, Store]]:
    opened = {kind: _open(kind, tmp_path_factory.mktemp(kind), influxdb) for kind in ("sqlite", "influxdb")}
    for store in opened.values():
        _fill(store)
    yield opened
    for store in opened.values():
        store.close()


@pytest.fixture(params=["sqlite", "influxdb"])
def client(request: pytest.FixtureRequest, stores: dict[str, Store], tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(ApiSettings(tmp_path / "var"), stores[request.param], clock=lambda: NOW)
    with TestClient(app, headers=HEADERS) as test_client:
        configure(test_client)
        yield test_client


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(f"/api/v1{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_footfall_lists_every_day_with_its_coverage(client: TestClient) -> None:
    body = get(client, f"/sites/{sc.SITE}/footfall", granularity="day", start="2026-08", end="2026-08")
    days = {p["start"][:10]: p for p in body["periods"]}
    assert len(body["periods"]) == 31  # no missing day, also those without a count
    silent = [days[f"2026-08-0{d}"] for d in (3, 4, 5)]
    # A silent camera: zero counted, and coverage 0, never complete (unlike a quiet day).
    assert [(p["in"], p["expected_s"], p["observed_s"], p["coverage"], p["complete"]) for p in silent] == [
        (0, 8 * 3600, 0, 0, False)
    ] * 3
    for closed in ("2026-08-02", "2026-08-17", "2026-08-22"):  # Sunday, holiday, closed day
        assert (days[closed]["expected_s"], days[closed]["coverage"], days[closed]["complete"]) == (0, None, False)
    assert days["2026-08-06"]["observed_s"] == (480 - 35) * 60 and days["2026-08-06"]["complete"] is False
    assert days["2026-08-07"]["observed_s"] == (480 - 12 * 75 / 60) * 60 and days["2026-08-07"]["complete"]
    assert days["2026-08-10"]["coverage"] == 1 and days["2026-08-10"]["complete"] is True
    (month,) = get(client, f"/sites/{sc.SITE}/footfall", granularity="month", start="2026-08", end="2026-08")["periods"]
    assert month["in"] == sum(p["in"] for p in body["periods"])
    assert month["expected_s"] == sc.OPEN_MIN * 60
    assert month["observed_s"] == pytest.approx((sc.OPEN_MIN - sc.ENTRANCE_MISSING_MIN) * 60)
    assert month["complete"] is False
    table = client.get(f"/api/v1/sites/{sc.SITE}/footfall", params={"start": "2026-08-03", "end": "2026-08-03",
                                                                    "format": "csv"})  # fmt: skip
    (row,) = csv.DictReader(io.StringIO(table.text))
    assert (row["in"], row["expected_s"], row["observed_s"], row["coverage"], row["complete"]) == (
        "0",
        "28800.0",
        "0.0",
        "0.0",
        "False",
    )


def test_coverage_endpoint_right_to_the_minute_with_gap_causes(client: TestClient) -> None:
    body = get(client, f"/sites/{sc.SITE}/coverage", start="2026-08", end="2026-08", granularity="month")
    devices = {d["device"]: d for d in body["devices"]}
    assert sorted(devices) == ["cam-g1", "cam-g2", "cam-pintu"]
    for device, missing_min in (("cam-pintu", sc.ENTRANCE_MISSING_MIN), ("cam-g2", sc.G2_MISSING_MIN),
                                ("cam-g1", 0)):  # fmt: skip
        total = devices[device]["total"]
        assert total["expected_s"] == sc.OPEN_MIN * 60
        assert total["observed_s"] == pytest.approx((sc.OPEN_MIN - missing_min) * 60, abs=1e-6), device
    assert {(u["use"], u["name"]) for u in devices["cam-g1"]["uses"]} == {("staff", "meja-1"), ("queue", "antrian-1")}
    pintu = devices["cam-pintu"]["gaps"]
    assert [(g["start"], g["end"]) for g in pintu] == [
        ("2026-08-03T08:00:00+07:00", "2026-08-03T16:00:00+07:00"),
        ("2026-08-04T08:00:00+07:00", "2026-08-04T16:00:00+07:00"),
        ("2026-08-05T08:00:00+07:00", "2026-08-05T16:00:00+07:00"),
        ("2026-08-06T10:00:00+07:00", "2026-08-06T10:35:00+07:00"),
    ]
    assert {g["cause"] for g in pintu} == {"no_records"}
    g2 = devices["cam-g2"]["gaps"]
    assert [int(g["start"][8:10]) for g in g2] == list(sc.G2_GAP_DAYS)  # not the 16th, 17th: closed
    assert {g["cause"] for g in g2} == {"camera_error"}
    assert sum(g["duration_s"] for g in g2) == sc.G2_MISSING_MIN * 60
    assert len(body["gaps"]) == len(pintu) + len(g2)
    assert devices["cam-g1"]["gaps"] == []
    days = get(client, f"/sites/{sc.SITE}/coverage", start="2026-08", end="2026-08")
    entrance = {p["start"][:10]: p for p in days["entrance"]}
    assert len(entrance) == 31 and entrance["2026-08-17"]["coverage"] is None
    table = client.get(f"/api/v1/sites/{sc.SITE}/coverage", params={"start": "2026-08-03", "end": "2026-08-03",
                                                                     "format": "csv"})  # fmt: skip
    rows = {r["device"]: r for r in csv.DictReader(io.StringIO(table.text))}
    assert (rows["cam-pintu"]["observed_s"], rows["cam-pintu"]["gaps"]) == ("0.0", "1")


def test_comparison_flags_the_incomplete_months(client: TestClient) -> None:
    body = get(client, "/footfall", sites=sc.SITE, granularity="month", start="2026-07", end="2026-09")
    (site,) = body["sites"]
    flags = {p["start"][:7]: (p["in"], p["complete"]) for p in site["periods"]}
    # July and September: the entrance camera sent nothing (it is still expected): 0, incomplete.
    assert flags == {"2026-07": (0, False), "2026-08": (28 * 360 - 7 * 3, False), "2026-09": (0, False)}
    lenient = client.put(f"/api/v1/sites/{sc.SITE}", json={"coverage_threshold": 0.8})
    assert lenient.status_code == 200, lenient.text
    body = get(client, "/footfall", sites=sc.SITE, granularity="month", start="2026-08", end="2026-08")
    assert body["sites"][0]["complete_at"] == 0.8 and body["sites"][0]["periods"][0]["complete"] is True


def test_staffing_hours_not_observed_are_never_shown_as_staffed(client: TestClient) -> None:
    body = get(client, f"/sites/{sc.SITE}/staffing", start="2026-08-10", end="2026-08-10")
    gerai = {g["gerai"]: g for g in body["gerai"]}
    assert [h["hour"] for h in gerai["g2"]["hours"]] == list(range(8, 16))
    assert {(h["state"], h["staffed_share"]) for h in gerai["g2"]["hours"]} == {("not_observed", None)}
    assert gerai["g2"]["total"] == {"state": "not_observed", "open_s": 8 * 3600, "observed_s": 0, "staffed_s": 0,
                                    "staffed_share": None, "observed_share": 0}  # fmt: skip
    assert {(h["state"], h["staffed_share"]) for h in gerai["g1"]["hours"]} == {("observed", 1)}
    assert (gerai["g1"]["total"]["staffed_share"], gerai["g1"]["total"]["observed_share"]) == (1, 1)


def test_monthly_report_lists_coverage_and_long_gaps(client: TestClient) -> None:
    page = client.get(f"/api/v1/sites/{sc.SITE}/reports/monthly", params={"month": "2026-08"})
    assert page.status_code == 200, page.text
    text = page.text
    visitors = 28 * 360 - 7 * 3
    coverage = round((sc.OPEN_MIN - sc.ENTRANCE_MISSING_MIN) / sc.OPEN_MIN * 100)
    visitors_id = f"{visitors:,}".replace(",", ".")  # Indonesian digit grouping
    assert f"<p id=headline>{visitors_id} pengunjung, kamera pintu aktif {coverage} % dari jam buka</p>" in text
    assert "Data bulan ini tidak lengkap" in text
    section = text[text.index("<table id=completeness>") : text.index("</table>", text.index("id=completeness"))]
    assert "<td>cam-pintu</td><td>pintu masuk: pintu</td>" in section
    assert "<td>cam-g1</td><td>antrean: antrian-1, petugas: meja-1</td>" in section
    assert f"{round((sc.OPEN_MIN - sc.G2_MISSING_MIN) / sc.OPEN_MIN * 100)} %" in section
    gaps = text[text.index("<table id=gaps>") : text.index("</table>", text.index("<table id=gaps>"))]
    rows = gaps.count("<tr>") - 1
    # Over 30 minutes: the entrance's three days and its 35 minutes on the 6th, cam-g2's eight days.
    assert rows == 4 + len(sc.G2_GAP_DAYS)
    assert "<td>cam-pintu</td><td>06/08 10:00</td><td>10:35</td><td>tidak ada data (sebab tak diketahui)</td>" in gaps
    assert "<td>cam-g2</td><td>10/08 08:00</td><td>16:00</td><td>kamera bermasalah</td>" in gaps
    assert "17/08" not in gaps and "22/08" not in gaps  # the holiday and the closed day are no gaps
    # The comparison marks the site's August (and its July, when the camera sent nothing) incomplete.
    compare = text[text.index("<table id=compare>") : text.index("</table>", text.index("<table id=compare>"))]
    assert f"{visitors_id}*</td><td class=num>0*</td>" in compare
    assert "id=compare-note" in text
    pdf = client.get(f"/api/v1/sites/{sc.SITE}/reports/monthly", params={"month": "2026-08", "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    english = client.get(f"/api/v1/sites/{sc.SITE}/reports/monthly", params={"month": "2026-08", "lang": "en"}).text
    assert f"{visitors:,} visitors, entrance camera active {coverage} % of opening hours" in english


def test_monthly_report_change_never_rests_on_an_unobserved_month(client: TestClient) -> None:
    # September so far: the entrance camera sent nothing, so its 0 is unseen, not a 100 % fall.
    text = client.get(f"/api/v1/sites/{sc.SITE}/reports/monthly", params={"month": "2026-09"}).text
    compare = text[text.index("<table id=compare>") : text.index("</table>", text.index("<table id=compare>"))]
    visitors_id = f"{28 * 360 - 7 * 3:,}".replace(",", ".")
    assert f"<td class=num>0*</td><td class=num>{visitors_id}*</td><td class=num>–</td>" in compare
