"""Bearer tokens with roles: only /healthz (and the dashboard's static shell) answer without one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from collector.api import create_app
from collector.storage import Store, open_store
from tests.integration.test_api_stores import ADMIN_TOKEN, NOW, ApiSettings, seed


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'mpp.db'}")
    seed(opened)
    yield opened
    opened.close()


def client_for(store: Store, data_dir: Path, token: str | None = ADMIN_TOKEN) -> TestClient:
    return TestClient(create_app(ApiSettings(data_dir, token), store, clock=lambda: NOW))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_only_healthz_and_the_shell_are_anonymous(store: Store, tmp_path: Path) -> None:
    client = client_for(store, tmp_path)
    assert client.get("/healthz").json() == {"status": "ok"}
    shell = client.get("/")
    assert shell.status_code == 200 and "chart.umd.min.js" in shell.text
    for path in (
        "/api/v1/sites",
        "/api/v1/devices",
        "/api/v1/me",
        "/api/v1/sites/mpp-jakarta/footfall",
        "/api/v1/sites/mpp-jakarta/reports/monthly",
        "/api/v1/tokens",
    ):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/sites", headers=bearer("not-a-token")).status_code == 401
    assert client.get("/api/v1/sites", headers={"Authorization": f"Basic {ADMIN_TOKEN}"}).status_code == 401
    assert client.get("/api/v1/sites", headers=bearer(ADMIN_TOKEN)).status_code == 200


def test_admin_creates_viewer_tokens_that_cannot_change_anything(store: Store, tmp_path: Path) -> None:
    client = client_for(store, tmp_path)
    created = client.post("/api/v1/tokens", json={"label": "dinas kominfo"}, headers=bearer(ADMIN_TOKEN))
    assert created.status_code == 201, created.text
    viewer = created.json()
    assert viewer["role"] == "viewer"
    headers = bearer(viewer["token"])
    assert client.get("/api/v1/me", headers=headers).json()["role"] == "viewer"
    assert client.get("/api/v1/sites/mpp-jakarta/footfall", headers=headers).status_code == 200
    assert client.put("/api/v1/sites/mpp-jakarta", json={"name": "x"}, headers=headers).status_code == 403
    assert client.post("/api/v1/tokens", json={"label": "x"}, headers=headers).status_code == 403
    assert client.get("/api/v1/tokens", headers=headers).status_code == 403
    listed = client.get("/api/v1/tokens", headers=bearer(ADMIN_TOKEN)).json()
    assert {t["label"] for t in listed} == {"MPP_API_TOKEN", "dinas kominfo"}
    assert all("token" not in t for t in listed)  # secrets are never listed
    assert client.delete(f"/api/v1/tokens/{viewer['id']}", headers=bearer(ADMIN_TOKEN)).status_code == 204
    assert client.get("/api/v1/sites", headers=headers).status_code == 401


def test_env_token_is_replaced_on_restart_and_viewer_tokens_survive(store: Store, tmp_path: Path) -> None:
    first = client_for(store, tmp_path)
    viewer = first.post("/api/v1/tokens", json={"label": "v"}, headers=bearer(ADMIN_TOKEN)).json()["token"]
    second = client_for(store, tmp_path, token="rotated-admin-token")
    assert second.get("/api/v1/sites", headers=bearer(ADMIN_TOKEN)).status_code == 401
    assert second.get("/api/v1/me", headers=bearer("rotated-admin-token")).json()["role"] == "admin"
    assert second.get("/api/v1/me", headers=bearer(viewer)).json()["role"] == "viewer"


def test_without_any_token_configured_nothing_is_readable(store: Store, tmp_path: Path) -> None:
    client = client_for(store, tmp_path, token=None)
    assert client.get("/api/v1/sites", headers=bearer("")).status_code == 401
    assert client.get("/api/v1/sites", headers=bearer(ADMIN_TOKEN)).status_code == 401
