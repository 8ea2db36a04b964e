"""Invalid parameters get 422 with a message naming the problem; admin configuration drives the answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from collector.api import create_app
from collector.storage import open_store
from tests.integration.test_api_stores import HEADERS, NOW, ApiSettings, seed


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = open_store(f"sqlite:///{tmp_path / 'mpp.db'}")
    seed(store)
    with TestClient(create_app(ApiSettings(tmp_path / "var"), store, clock=lambda: NOW), headers=HEADERS) as c:
        yield c
    store.close()


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/api/v1/sites/mpp-jakarta/footfall", {"granularity": "week"}, "month"),
        ("/api/v1/sites/mpp-jakarta/footfall", {"start": "2025-13"}, "2025-13"),
        ("/api/v1/sites/mpp-jakarta/footfall", {"start": "yesterday"}, "YYYY-MM"),
        ("/api/v1/sites/mpp-jakarta/footfall", {"start": "1700-01"}, "year must be between"),
        ("/api/v1/sites/mpp-jakarta/footfall", {"start": "2025-06", "end": "2025-05"}, "must be after"),
        (
            "/api/v1/sites/mpp-jakarta/footfall",
            {"granularity": "hour", "start": "2025-01", "end": "2025-06"},
            "exceeds the limit",
        ),
        ("/api/v1/sites/Not A Site/footfall", {}, "pattern"),
        ("/api/v1/footfall", {"sites": ","}, "at least one"),
        ("/api/v1/footfall", {"sites": "mpp-jakarta,Bad!"}, "'Bad!'"),
        ("/api/v1/sites/mpp-jakarta/occupancy", {"resolution": "1m", "start": "2025-01", "end": "2025-03"}, "coarser"),
        ("/api/v1/sites/mpp-jakarta/occupancy", {"resolution": "2m"}, "1m"),
        ("/api/v1/sites/mpp-jakarta/staffing", {"min_gap_min": 0}, "greater than or equal to 1"),
        ("/api/v1/sites/mpp-jakarta/reports/monthly", {"month": "2025-13"}, "YYYY-MM"),
        ("/api/v1/sites/mpp-jakarta/footfall", {"format": "xml"}, "csv"),
    ],
)
def test_invalid_parameters_are_422_with_a_reason(
    client: TestClient, path: str, params: dict[str, object], message: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    assert message in response.text


def test_unknown_site_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/sites/mpp-nowhere/footfall")
    assert response.status_code == 404
    assert "mpp-nowhere" in response.json()["detail"]


def test_invalid_admin_settings_are_422(client: TestClient) -> None:
    bad_tz = client.put("/api/v1/sites/mpp-jakarta", json={"timezone": "Asia/Atlantis"})
    assert bad_tz.status_code == 422 and "unknown IANA timezone" in bad_tz.text
    hours = client.put(
        "/api/v1/sites/mpp-jakarta/opening-hours", json={"days": [{"weekday": 0, "opens": "16:00", "closes": "08:00"}]}
    )
    assert hours.status_code == 422 and "must be after opens" in hours.text
    unknown_key = client.put(
        "/api/v1/sites/mpp-jakarta/gerai/dukcapil",
        json={"zones": [{"device": "cam-gerai", "zone": "z", "role": "staff"}], "colour": "red"},
    )
    assert unknown_key.status_code == 422 and "colour" in unknown_key.text


def test_configured_gerai_and_opening_hours_drive_staffing(client: TestClient) -> None:
    day = {"start": "2025-06-02", "end": "2025-06-02"}
    # Monday open 09:00-12:00 only: the 10:00-10:30 gap remains, the unobserved 13:00 and 15:00 stretches do not.
    put = client.put(
        "/api/v1/sites/mpp-jakarta/opening-hours",
        json={
            "days": [{"weekday": 0, "opens": "09:00", "closes": "12:00"}],
            "holidays": [{"date": "2025-06-09", "name": "Iduladha"}],
        },
    )
    assert put.status_code == 200, put.text
    [gerai] = client.get("/api/v1/sites/mpp-jakarta/staffing", params=day).json()["gerai"]
    assert gerai["open_s"] == 3 * 3600
    assert gerai["staffed_share"] == pytest.approx(150 / 180)
    assert gerai["unobserved"] == []
    holiday = client.get("/api/v1/sites/mpp-jakarta/staffing", params={"start": "2025-06-09", "end": "2025-06-09"})
    assert holiday.json()["gerai"][0]["open_s"] == 0
    # An admin can say that the gerai's staff zone is the queue zone (say, after re-mounting a camera).
    renamed = client.put(
        "/api/v1/sites/mpp-jakarta/gerai/dukcapil",
        json={"name": "Dukcapil", "zones": [{"device": "cam-gerai", "zone": "dukcapil-antri", "role": "staff"}]},
    )
    assert renamed.status_code == 200, renamed.text
    [gerai] = client.get("/api/v1/sites/mpp-jakarta/staffing", params=day).json()["gerai"]
    assert (gerai["name"], gerai["staffed_share"], gerai["unstaffed"]) == ("Dukcapil", 1.0, [])
    listed = client.get("/api/v1/sites/mpp-jakarta/gerai").json()
    assert listed[0]["source"] == "config"
    assert client.delete("/api/v1/sites/mpp-jakarta/gerai/dukcapil").status_code == 204
    assert client.get("/api/v1/sites/mpp-jakarta/gerai").json()[0]["source"] == "telemetry"
    csv_hours = client.get("/api/v1/sites/mpp-jakarta/opening-hours", params={"format": "csv"}).text.splitlines()
    assert csv_hours == [
        "site,kind,weekday,opens,closes,date,name",
        "mpp-jakarta,day,0,09:00,12:00,,",
        "mpp-jakarta,holiday,,,,2025-06-09,Iduladha",
    ]


def test_a_configured_site_not_yet_seen_is_listed_with_wib_by_default(client: TestClient) -> None:
    created = client.put("/api/v1/sites/mpp-jayapura", json={"name": "MPP Jayapura", "timezone": "Asia/Jayapura"})
    assert created.json()["timezone_source"] == "config"
    body = client.get("/api/v1/sites/mpp-jayapura/footfall", params={"granularity": "month", "start": "2025-05"})
    assert body.json()["timezone"] == "Asia/Jayapura"
    # Every month of the range is present (none left out); no device, so nothing was expected.
    periods = body.json()["periods"]
    assert [p["start"][:7] for p in periods] == [f"{2025 + (4 + i) // 12}-{(4 + i) % 12 + 1:02d}" for i in range(12)]
    assert {(p["in"], p["coverage"], p["complete"]) for p in periods} == {(0, None, False)}
    client.put("/api/v1/sites/mpp-baru", json={"name": "MPP Baru"})
    assert client.get("/api/v1/sites/mpp-baru").json()["timezone"] == "Asia/Jakarta"
