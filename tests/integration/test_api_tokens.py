"""Token hardening through the real API: admin token strength at start-up, revocation when
MPP_API_TOKEN goes away, expiry, and viewer tokens scoped to sites (both stores)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from collector.api import create_app
from collector.storage import Store
from tests.integration.test_api_stores import ADMIN_TOKEN, HEADERS, NOW, ApiSettings
from tests.integration.test_api_stores import store as store  # the fixture (SQLite, InfluxDB)
from tests.services import free_port


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_weak_admin_token_stops_the_collector_with_a_recipe(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MPP_API_TOKEN": "admin123",
        "MPP_STORE_URL": f"sqlite:///{tmp_path}/mpp.db",
        "MPP_DATA_DIR": str(tmp_path / "var"),
        "MPP_LISTEN": f"127.0.0.1:{free_port()}",
    }
    process = subprocess.Popen([str(Path(sys.executable).parent / "mpp-collector")], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"the collector started with a weak admin token: {output[-500:]}")
    assert process.returncode == 2, output
    assert "MPP_API_TOKEN" in output and "openssl rand -hex 32" in output
    assert "admin123" not in output


def test_removing_mpp_api_token_revokes_the_admin_token_it_made(store: Store, tmp_path: Path) -> None:
    first = TestClient(create_app(ApiSettings(tmp_path, ADMIN_TOKEN), store, clock=lambda: NOW))
    viewer = first.post("/api/v1/tokens", json={"label": "v"}, headers=HEADERS).json()["token"]
    assert first.get("/api/v1/me", headers=HEADERS).status_code == 200
    second = TestClient(create_app(ApiSettings(tmp_path, None), store, clock=lambda: NOW))
    assert second.get("/api/v1/me", headers=HEADERS).status_code == 401
    assert second.get("/api/v1/me", headers=bearer(viewer)).json()["role"] == "viewer"  # others stay


def test_tokens_expire(store: Store, tmp_path: Path) -> None:
    now = [NOW]
    client = TestClient(create_app(ApiSettings(tmp_path, ADMIN_TOKEN), store, clock=lambda: now[0]))
    expires = (NOW + timedelta(days=30)).isoformat()
    created = client.post("/api/v1/tokens", json={"label": "tamu", "expires_at": expires}, headers=HEADERS)
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    assert client.get("/api/v1/sites", headers=bearer(token)).status_code == 200
    listed = {t["label"]: t for t in client.get("/api/v1/tokens", headers=HEADERS).json()}
    assert listed["tamu"]["expires_at"] is not None
    now[0] = NOW + timedelta(days=30)
    assert client.get("/api/v1/sites", headers=bearer(token)).status_code == 401
    past = client.post("/api/v1/tokens", json={"label": "x", "expires_at": NOW.isoformat()}, headers=HEADERS)
    assert past.status_code == 422
    naive = client.post("/api/v1/tokens", json={"label": "x", "expires_at": "2030-01-01T00:00"}, headers=HEADERS)
    assert naive.status_code == 422


def test_a_site_scoped_viewer_reads_its_site_only(store: Store, tmp_path: Path) -> None:
    client = TestClient(create_app(ApiSettings(tmp_path, ADMIN_TOKEN), store, clock=lambda: NOW))
    created = client.post("/api/v1/tokens", json={"label": "kominfo jakarta", "sites": ["mpp-jakarta"]},
                          headers=HEADERS)  # fmt: skip
    assert created.status_code == 201, created.text
    scoped = bearer(created.json()["token"])
    assert client.get("/api/v1/me", headers=scoped).json()["sites"] == ["mpp-jakarta"]

    own = client.get("/api/v1/sites/mpp-jakarta/footfall", params={"start": "2025-05", "end": "2025-06"},
                     headers=scoped)  # fmt: skip
    assert own.status_code == 200 and own.json()["site"] == "mpp-jakarta"
    for path in ("footfall", "staffing", "waiting", "occupancy", "occupancy/live", "gerai", "opening-hours",
                 "reports/monthly"):  # fmt: skip
        other = client.get(f"/api/v1/sites/mpp-makassar/{path}", headers=scoped)
        assert other.status_code == 403, (path, other.text)
    assert client.get("/api/v1/sites/mpp-makassar", headers=scoped).status_code == 403
    assert client.get("/api/v1/sites/no-such-site", headers=scoped).status_code == 403  # no probing for names
    compared = client.get("/api/v1/footfall", params={"sites": "mpp-jakarta,mpp-makassar"}, headers=scoped)
    assert compared.status_code == 403

    # Lists are filtered: sites, devices, and the monthly report's comparison with other sites.
    assert [s["site"] for s in client.get("/api/v1/sites", headers=scoped).json()] == ["mpp-jakarta"]
    assert "mpp-makassar" not in client.get("/api/v1/sites", params={"format": "csv"}, headers=scoped).text
    assert {d["site"] for d in client.get("/api/v1/devices", headers=scoped).json()} == {"mpp-jakarta"}
    assert client.get("/api/v1/devices", params={"site": "mpp-makassar"}, headers=scoped).json() == []
    report = client.get("/api/v1/sites/mpp-jakarta/reports/monthly", params={"month": "2025-05"}, headers=scoped)
    assert report.status_code == 200 and "mpp-makassar" not in report.text
    full = client.get("/api/v1/sites/mpp-jakarta/reports/monthly", params={"month": "2025-05"}, headers=HEADERS)
    assert "mpp-makassar" in full.text  # the unscoped admin sees the comparison

    # Admin tokens are never scoped (an admin can change every site anyway).
    admin_scoped = client.post("/api/v1/tokens", json={"label": "a", "role": "admin", "sites": ["mpp-jakarta"]},
                               headers=HEADERS)  # fmt: skip
    assert admin_scoped.status_code == 422
