"""The monthly report's "visitors per month" trend carries each month's coverage, on both stores: a
month the entrance camera did not see at all stays in as unseen (0*, 0 %), never dropped or read as a
month without visitors; a month seen in part is marked as a lower bound; months before the cameras'
first record are left out."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from collector.api import create_app
from collector.storage import Batch, open_store
from tests import analytics_scenario as sc
from tests.integration.test_api_stores import HEADERS, ApiSettings
from tests.integration.test_ingest_pipeline import store_url
from tests.services import InfluxServer

NOW = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)  # 10:00 WIB, Monday 2 June 2025
REPORT = f"/api/v1/sites/{sc.SITE}/reports/monthly"
MAY_DAYS = (date(2025, 5, 5), date(2025, 5, 6), date(2025, 5, 7))


@pytest.fixture(params=["sqlite", "influxdb"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    influx: InfluxServer | None = request.getfixturevalue("influxdb") if request.param == "influxdb" else None
    store = open_store(store_url(request.param, tmp_path, influx))
    march = [date(2025, 3, 1) + timedelta(days=i) for i in range(31)]
    # March seen whole, one entry each day at 10:00; April not at all; three days of May.
    counts = [r for day in march for r in sc._entrance(day, 8, 16, {120: 1})]
    counts += [r for day in MAY_DAYS for r in sc._entrance(day, 8, 16, {120: 2})]
    store.write(Batch(counts=counts))
    app = create_app(ApiSettings(tmp_path / "var"), store, clock=lambda: NOW)
    with TestClient(app, headers=HEADERS) as test_client:
        yield test_client
    store.close()


def _may_coverage(client: TestClient) -> str:
    params = {"granularity": "month", "start": "2025-05-01", "end": "2025-05-31"}
    (may,) = client.get(f"/api/v1/sites/{sc.SITE}/footfall", params=params).json()["periods"]
    assert not may["complete"] and 0 < may["coverage"] < 0.5
    return f"{may['coverage'] * 100:.0f} %"


def test_the_trend_shows_an_unseen_month_as_unseen_and_each_months_coverage(client: TestClient) -> None:
    html = client.get(REPORT, params={"month": "2025-05"}).text
    trend = html[html.index("<table id=trend>") : html.index("</table>", html.index("<table id=trend>"))]
    rows = re.findall(
        r"<tr><td>([^<]+)</td><td class=num>([^<]+)</td><td class=num>([^<]+)</td>.*?class='([^']+)'", trend
    )
    assert rows == [
        ("Maret 2025", "31", "100 %", "bar"),
        ("April 2025", "0*", "0 %", "bar low"),
        ("Mei 2025", "6*", _may_coverage(client), "bar low"),
    ]
    assert "id=compare-note" in html  # the footnote that says what "*" means


def test_the_pdf_trend_says_the_same(client: TestClient, tmp_path: Path) -> None:
    pdf = client.get(REPORT, params={"month": "2025-05", "format": "pdf"})
    assert pdf.status_code == 200
    (tmp_path / "report.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "report.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    # pdftotext may drop the narrow space before "%"; the words and their order are what a reader sees.
    lines = [" ".join(line.split()).replace(" %", "%") for line in text.splitlines()]
    assert "Bulan Pengunjung Teramati kamera" in lines
    assert "Maret 2025 31 100%" in lines and "April 2025 0* 0%" in lines
    assert f"Mei 2025 6* {_may_coverage(client)}".replace(" %", "%") in lines
    assert not any(line.startswith("Februari 2025") for line in lines)
