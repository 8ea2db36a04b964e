"""A gerai whose queue is seen by two cameras (one queue zone each), in WIT, through the real API on
both stores: the people in its queue zones add up, for the mean and for the maximum alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from collector.api import create_app
from collector.storage import Batch
from tests.integration.test_api_stores import HEADERS, ApiSettings
from tests.integration.test_store_coverage import _open
from tests.services import InfluxServer
from wire import ZoneOccupancy

WIT = ZoneInfo("Asia/Jayapura")
SITE = "mpp-jayapura"
NOW = datetime(2025, 6, 2, 16, tzinfo=WIT)  # Monday 2 June 2025, closing time
# 08:00-09:00 WIT, minute records: each camera sees 2 people waiting the whole time, except that
# at 08:30 three stand in cam-1's zone (mean 2.5 that minute). Mean queue over the observed hour:
# 4 + 0.5 / 60; the longest queue: 3 + 2 = 5 at 08:30.


def queue(device: str, zone: str, at: datetime, mean: float, most: int) -> ZoneOccupancy:
    return ZoneOccupancy(
        site=SITE, device=device, timezone="Asia/Jayapura", interval_start=at.astimezone(UTC), interval_s=60,
        observed_s=60.0, zone=zone, role="queue", gerai="g1", mean_count=mean, max_count=most, occupied_s=60.0,
        visits=0,
    )  # fmt: skip


def records() -> list[ZoneOccupancy]:
    out = []
    for minute in range(60):
        at = datetime(2025, 6, 2, 8, tzinfo=WIT) + timedelta(minutes=minute)
        busy = minute == 30
        out.append(queue("cam-1", "antri-a", at, 2.5 if busy else 2.0, 3 if busy else 2))
        out.append(queue("cam-2", "antri-b", at, 2.0, 2))
    return out


@pytest.fixture(params=["sqlite", "influxdb"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    influxdb: InfluxServer | None = request.getfixturevalue("influxdb") if request.param == "influxdb" else None
    store = _open(request.param, tmp_path, influxdb)
    store.write(Batch(occupancy=records()))
    app = create_app(ApiSettings(tmp_path / "var"), store, clock=lambda: NOW.astimezone(UTC))
    with TestClient(app, headers=HEADERS) as test_client:
        yield test_client
    store.close()


def test_queue_zones_on_two_cameras_add_up_in_the_mean_and_the_maximum(client: TestClient) -> None:
    day = {"start": "2025-06-02", "end": "2025-06-02"}
    [gerai] = client.get(f"/api/v1/sites/{SITE}/waiting", params=day).json()["gerai"]
    assert gerai["queue_zones"] == ["cam-1/antri-a", "cam-2/antri-b"]
    assert gerai["mean_queue"] == pytest.approx(4 + 0.5 / 60)
    [eight] = [q for q in gerai["queue"] if q["mean_count"] is not None]
    assert eight == {"start": "2025-06-02T08:00:00+09:00", "mean_count": pytest.approx(4 + 0.5 / 60), "max_count": 5}
    minutes = client.get(f"/api/v1/sites/{SITE}/waiting", params={**day, "resolution": "1m"}).json()["gerai"][0]
    assert all(q["mean_count"] <= q["max_count"] for q in minutes["queue"] if q["mean_count"] is not None)
    table = client.get(f"/api/v1/sites/{SITE}/waiting", params={**day, "format": "csv"}).text.splitlines()
    assert table[1].endswith(",5"), table  # max_queue
