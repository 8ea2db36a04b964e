"""Admin API of issue 16 on both stores: the holiday calendar (Indonesia's national holidays preloaded,
edited per site, honoured by coverage), signed report links, and admin-only changes."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from collector.api import create_app
from collector.storage import Store
from tests.integration.test_api_stores import ADMIN_TOKEN, HEADERS, NOW, ApiSettings
from tests.integration.test_api_stores import store as store  # the fixture (SQLite, InfluxDB)

SITE = "mpp-jakarta"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def app_client(
    store: Store, data_dir: Path, clock: list[Any] | None = None, link_secret: str | None = None
) -> TestClient:
    settings = ApiSettings(data_dir)
    settings.link_secret = SecretStr(link_secret) if link_secret else None
    now = clock or [NOW]
    return TestClient(create_app(settings, store, clock=lambda: now[0]), headers=HEADERS)


def viewer(client: TestClient, **body: Any) -> dict[str, str]:
    created = client.post("/api/v1/tokens", json={"label": "camat", **body})
    assert created.status_code == 201, created.text
    return bearer(created.json()["token"])


def calendar(client: TestClient, year: int, **params: str) -> dict[str, dict[str, Any]]:
    response = client.get(f"/api/v1/sites/{SITE}/holidays", params={"year": year, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["site"] == SITE and body["year"] == year
    return {h["date"]: h for h in body["holidays"]}


def test_national_holidays_are_preloaded_and_each_site_edits_its_own(store: Store, tmp_path: Path) -> None:
    client = app_client(store, tmp_path / "var")
    days = calendar(client, 2025)
    lebaran = days["2025-03-31"]
    assert lebaran == {"date": "2025-03-31", "name": "Hari Raya Idul Fitri", "source": "national",
                       "closed": True, "overridden": False}  # fmt: skip
    assert days["2025-04-02"]["source"] == "cuti_bersama" and not days["2025-04-02"]["closed"]
    assert "Eid al-Fitr" in calendar(client, 2025, lang="en")["2025-03-31"]["name"]

    # Cuti bersama the MPP observes, a local day, and a national holiday it works through.
    taken = client.put(f"/api/v1/sites/{SITE}/holidays/2025-04-02", json={"name": ""})
    assert taken.status_code == 200, taken.text
    local = client.put(f"/api/v1/sites/{SITE}/holidays/2025-06-20", json={"name": "Hari Jadi Kota"})
    assert {h["date"]: h for h in local.json()["holidays"]}["2025-06-20"]["source"] == "site"
    assert client.delete(f"/api/v1/sites/{SITE}/holidays/2025-08-17").status_code == 200
    days = calendar(client, 2025)
    assert days["2025-04-02"]["closed"] and days["2025-04-02"]["name"] == "Cuti Bersama Hari Raya Idul Fitri"
    assert days["2025-06-20"] == {"date": "2025-06-20", "name": "Hari Jadi Kota", "source": "site",
                                  "closed": True, "overridden": True}  # fmt: skip
    assert days["2025-08-17"]["source"] == "national" and not days["2025-08-17"]["closed"]
    # Removing the local day drops it; the other site keeps the plain national calendar.
    assert client.delete(f"/api/v1/sites/{SITE}/holidays/2025-06-20").status_code == 200
    assert "2025-06-20" not in calendar(client, 2025)
    other = client.get("/api/v1/sites/mpp-makassar/holidays", params={"year": 2025}).json()["holidays"]
    assert {h["date"]: h["closed"] for h in other}["2025-08-17"] is True
    missing = client.delete(f"/api/v1/sites/{SITE}/holidays/2025-06-21")
    assert missing.status_code == 404 and "no closed day" in missing.json()["detail"]


def test_holiday_inputs_are_checked_with_clear_422s(store: Store, tmp_path: Path) -> None:
    client = app_client(store, tmp_path / "var")
    for path, body in (
        ("2025-02-30", {"name": "x"}),
        ("2025-06-20", {"name": "x" * 121}),
        ("2025-06-20", {"name": "x", "closed": True}),
        ("1999-06-20", {"name": "x"}),
    ):
        response = client.put(f"/api/v1/sites/{SITE}/holidays/{path}", json=body)
        assert response.status_code == 422, (path, body, response.text)
        assert response.json()["detail"][0]["msg"]
    assert client.get(f"/api/v1/sites/{SITE}/holidays", params={"year": 1999}).status_code == 422
    assert client.get(f"/api/v1/sites/{SITE}/holidays", params={"lang": "fr"}).status_code == 422


def test_a_national_holiday_is_closed_time_not_a_gap(store: Store, tmp_path: Path) -> None:
    """Idul Adha (Friday 6 June 2025) expects no observation on either store; worked through, it does.
    Asked on the Monday after: opening time still to come is not expected yet."""
    client = app_client(store, tmp_path / "var", [NOW + timedelta(days=7)])
    params = {"granularity": "day", "start": "2025-06-05", "end": "2025-06-06"}

    def coverage() -> tuple[dict[str, float], set[str]]:
        response = client.get(f"/api/v1/sites/{SITE}/coverage", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        return {p["start"][:10]: p["expected_s"] for p in body["entrance"]}, {g["start"][:10] for g in body["gaps"]}

    expected, gap_days = coverage()
    assert expected == {"2025-06-05": 8 * 3600.0, "2025-06-06": 0.0}
    assert gap_days == {"2025-06-05"}  # nothing was recorded on either day: only the open one is a gap
    footfall = client.get(f"/api/v1/sites/{SITE}/footfall", params=params).json()["periods"]
    assert [p["expected_s"] for p in footfall] == [8 * 3600.0, 0.0] and footfall[1]["coverage"] is None
    assert client.delete(f"/api/v1/sites/{SITE}/holidays/2025-06-06").status_code == 200
    assert coverage() == ({"2025-06-05": 8 * 3600.0, "2025-06-06": 8 * 3600.0}, {"2025-06-05", "2025-06-06"})


def test_admin_changes_need_an_admin_token(store: Store, tmp_path: Path) -> None:
    client = app_client(store, tmp_path / "var")
    reader = viewer(client)
    assert client.get(f"/api/v1/sites/{SITE}/holidays", headers=reader).status_code == 200
    for method, path, body in (
        ("PUT", f"/api/v1/sites/{SITE}", {"name": "MPP DKI"}),
        ("PUT", f"/api/v1/sites/{SITE}/holidays/2025-06-20", {"name": "x"}),
        ("DELETE", f"/api/v1/sites/{SITE}/holidays/2025-08-17", None),
        ("PUT", f"/api/v1/sites/{SITE}/opening-hours", {"days": []}),
        ("GET", "/api/v1/tokens", None),
        ("POST", "/api/v1/tokens", {"label": "x"}),
    ):
        response = client.request(method, path, json=body, headers=reader)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["detail"] == "this needs an admin token"
        assert client.request(method, path, json=body, headers={"Authorization": ""}).status_code == 401
    assert calendar(client, 2025)["2025-08-17"]["closed"]


def link_of(response: Any) -> tuple[str, dict[str, str]]:
    assert response.status_code == 201, response.text
    parts = urlsplit(response.json()["path"])
    return parts.path, dict(parse_qsl(parts.query))


def test_a_signed_link_opens_the_report_without_a_token_until_it_expires(store: Store, tmp_path: Path) -> None:
    clock = [NOW]
    client = app_client(store, tmp_path / "var", clock)
    anonymous = TestClient(client.app)
    made = client.post(f"/api/v1/sites/{SITE}/reports/monthly/links", json={"month": "2025-05", "valid_days": 7})
    path, query = link_of(made)
    assert path == "/reports/monthly" and query["month"] == "2025-05" and "scope" not in query
    assert made.json()["expires_at"] == (NOW + timedelta(days=7)).isoformat().replace("+00:00", "Z")
    page = anonymous.get(path, params=query)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "mpp-makassar" in page.text  # the admin's link compares every site
    pdf = anonymous.get(path, params={**query, "format": "pdf", "lang": "en"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert anonymous.get(f"/api/v1/sites/{SITE}/reports/monthly").status_code == 401  # the API still needs one

    tampered = anonymous.get(path, params={**query, "month": "2025-04"})
    assert tampered.status_code == 403 and "tidak sah" in tampered.text and "not valid" in tampered.text
    assert anonymous.get(path, params={k: v for k, v in query.items() if k != "sig"}).status_code == 403
    clock[0] = NOW + timedelta(days=7)
    expired = anonymous.get(path, params=query)
    assert expired.status_code == 403 and "kedaluwarsa" in expired.text and "has expired" in expired.text


def test_a_site_scoped_viewer_links_only_its_site_and_its_comparison(store: Store, tmp_path: Path) -> None:
    client = app_client(store, tmp_path / "var")
    reader = viewer(client, sites=[SITE])
    other = client.post("/api/v1/sites/mpp-makassar/reports/monthly/links", json={}, headers=reader)
    assert other.status_code == 403
    path, query = link_of(client.post(f"/api/v1/sites/{SITE}/reports/monthly/links", json={}, headers=reader))
    assert query["scope"] == SITE and query["month"] == "2025-05"  # the last complete month by default
    page = TestClient(client.app).get(path, params=query)
    assert page.status_code == 200 and "mpp-makassar" not in page.text
    widened = TestClient(client.app).get(path, params={**query, "scope": f"{SITE},mpp-makassar"})
    assert widened.status_code == 403
    for body in ({"valid_days": 0}, {"valid_days": 400}, {"month": "2025-13"}, {"month": "2025-5"}, {"x": 1}):
        response = client.post(f"/api/v1/sites/{SITE}/reports/monthly/links", json=body)
        assert response.status_code == 422, (body, response.text)


def test_the_link_secret_comes_from_settings_or_a_private_file_and_is_never_logged(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first = app_client(store, tmp_path / "var")
    secret_file = tmp_path / "var" / "link-secret"
    assert oct(os.stat(secret_file).st_mode & 0o777) == "0o600" and len(secret_file.read_bytes()) == 64
    path, query = link_of(first.post(f"/api/v1/sites/{SITE}/reports/monthly/links", json={}))
    restarted = app_client(store, tmp_path / "var")
    assert TestClient(restarted.app).get(path, params=query).status_code == 200  # survives a restart
    configured = "s" * 20 + "0123456789abcdefghij"
    own = app_client(store, tmp_path / "other", link_secret=configured)
    assert TestClient(own.app).get(path, params=query).status_code == 403  # another secret: not ours
    own_path, own_query = link_of(own.post(f"/api/v1/sites/{SITE}/reports/monthly/links", json={}))
    assert TestClient(own.app).get(own_path, params=own_query).status_code == 200
    assert not (tmp_path / "other" / "link-secret").exists()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert configured not in logged and secret_file.read_text() not in logged and ADMIN_TOKEN not in logged


def test_holidays_entered_with_the_opening_hours_are_the_sites_own_days(store: Store, tmp_path: Path) -> None:
    client = app_client(store, tmp_path / "var")
    week = [{"weekday": d, "opens": "08:00", "closes": "16:00"} for d in range(5)]
    hours = {"days": week, "holidays": [{"date": "2025-06-20", "name": "Tutup"}]}
    assert client.put(f"/api/v1/sites/{SITE}/opening-hours", json=hours).status_code == 200
    assert calendar(client, 2025)["2025-06-20"] == {"date": "2025-06-20", "name": "Tutup", "source": "site",
                                                    "closed": True, "overridden": True}  # fmt: skip
    assert client.delete(f"/api/v1/sites/{SITE}/holidays/2025-06-20").status_code == 200
    assert "2025-06-20" not in calendar(client, 2025)
    kept = client.get(f"/api/v1/sites/{SITE}/opening-hours").json()
    assert kept["holidays"] == [] and len(kept["days"]) == 5  # the week is untouched
