"""Alert history and alert rules through the real API: defaults, admin-only changes, site scope."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from collector.alerts.evaluate import Finding
from collector.alerts.history import AlertDb
from collector.alerts.rules import AlertKind
from collector.api import create_app
from collector.storage import open_store
from tests.integration.test_api_stores import HEADERS, NOW, ApiSettings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = open_store(f"sqlite:///{tmp_path / 'mpp.db'}")
    with TestClient(create_app(ApiSettings(tmp_path), store, clock=lambda: NOW)) as api:
        for site, name in (("mpp-a", "MPP Kota A"), ("mpp-b", "MPP Kota B")):
            assert api.put(f"/api/v1/sites/{site}", json={"name": name}, headers=HEADERS).status_code == 200
        yield api
    store.close()


def viewer(client: TestClient, sites: list[str] | None = None) -> dict[str, str]:
    created = client.post("/api/v1/tokens", json={"label": "v", "sites": sites}, headers=HEADERS)
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


def test_rules_start_at_the_defaults_and_only_an_admin_changes_them(client: TestClient) -> None:
    url = "/api/v1/sites/mpp-a/alert-rules"
    body = client.get(url, headers=viewer(client)).json()
    assert body["source"] == "default"
    assert body["rules"] == {"device_silent_after_s": 900.0, "unstaffed_after_s": 3600.0,
                             "entrance_coverage_below": 0.8, "coverage_window_s": 3600.0}  # fmt: skip
    assert client.put(url, json={"unstaffed_after_s": 1800}, headers=viewer(client)).status_code == 403
    changed = client.put(url, json={"unstaffed_after_s": 1800, "entrance_coverage_below": None}, headers=HEADERS)
    assert changed.status_code == 200, changed.text
    assert changed.json()["source"] == "config"
    rules = changed.json()["rules"]
    assert rules["unstaffed_after_s"] == 1800 and rules["entrance_coverage_below"] is None
    assert client.get("/api/v1/sites/mpp-b/alert-rules", headers=HEADERS).json()["source"] == "default"
    bad = client.put(url, json={"entrance_coverage_below": 1.5, "typo": 1}, headers=HEADERS)
    assert bad.status_code == 422
    assert client.delete(url, headers=HEADERS).status_code == 204
    assert client.get(url, headers=HEADERS).json()["source"] == "default"


def test_the_history_lists_episodes_newest_first_in_both_languages_within_the_token_scope(
    client: TestClient, tmp_path: Path
) -> None:
    db = AlertDb(tmp_path / "admin.db")
    db.apply("mpp-a", [Finding(AlertKind.DEVICE_SILENT, "cam-1", "cam-1", True, {"silent_open_s": 960.0})], [],
             ["email", "webhook"], NOW)  # fmt: skip
    unstaffed = Finding(AlertKind.GERAI_UNSTAFFED, "bpjs", "BPJS Kesehatan", True, {"unstaffed_open_s": 3660.0})
    db.apply("mpp-a", [unstaffed], [("device_silent", "cam-1")], ["webhook"], NOW)
    db.close()
    listed = client.get("/api/v1/sites/mpp-a/alerts", headers=viewer(client, ["mpp-a"]))
    assert listed.status_code == 200, listed.text
    newest, first = listed.json()
    assert (newest["kind"], newest["subject_name"]) == ("gerai_unstaffed", "BPJS Kesehatan")
    assert newest["resolved_at"] is None
    assert newest["text_id"] == (
        "MPP Kota A: gerai BPJS Kesehatan tanpa petugas selama 61 menit jam layanan (02-06-2025 16:00)."
    )
    assert "has had no staff for 61 minutes" in newest["text_en"]
    assert first["resolved_at"] is not None and first["deliveries"] == {"email": "pending", "webhook": "pending"}
    (latest,) = client.get("/api/v1/sites/mpp-a/alerts", params={"limit": 1}, headers=HEADERS).json()
    assert latest["id"] == newest["id"]
    assert client.get("/api/v1/sites/mpp-b/alerts", headers=HEADERS).json() == []
    assert client.get("/api/v1/sites/mpp-a/alerts", headers=viewer(client, ["mpp-b"])).status_code == 403
    assert client.get("/api/v1/sites/mpp-a/alert-rules", headers=viewer(client, ["mpp-b"])).status_code == 403
    assert client.get("/api/v1/sites/mpp-a/alerts").status_code == 401
