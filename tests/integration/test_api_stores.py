"""The API on both real stores, seeded through Store.write with data crossing month ends in WIB."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from collector.api import create_app
from collector.storage import Batch, Store, open_store
from tests.services import InfluxServer
from wire import CameraState, DeviceState, Health, LineCounts, Status, ZoneOccupancy

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
ADMIN_TOKEN = "admin-secret-for-tests"
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # 16:00 WIB on Monday 2 June 2025
HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class ApiSettings:
    """The three settings the API reads (CollectorSettings has them too)."""

    def __init__(self, data_dir: Path, token: str | None = ADMIN_TOKEN, silent_after_s: float = 180.0) -> None:
        self.api_token = SecretStr(token) if token else None
        self.data_dir = data_dir
        self.silent_after_s = silent_after_s
        self.link_secret: SecretStr | None = None  # made once in data_dir


def counts(
    site: str,
    device: str,
    tz: ZoneInfo,
    local: datetime,
    in_n: int,
    out_n: int,
    role: str = "entrance",
    line: str = "pintu",
) -> LineCounts:
    return LineCounts(
        site=site,
        device=device,
        timezone=tz.key,
        interval_start=local.replace(tzinfo=tz),
        interval_s=60,
        observed_s=60.0,
        line=line,
        role=role,
        in_count=in_n,
        out_count=out_n,
    )


def zone(
    site: str,
    device: str,
    start_utc: datetime,
    name: str,
    role: str,
    gerai: str | None,
    *,
    observed_s: float = 60.0,
    occupied_s: float = 0.0,
    mean: float = 0.0,
    dwells: tuple[float, ...] = (),
) -> ZoneOccupancy:
    return ZoneOccupancy(
        site=site,
        device=device,
        timezone="Asia/Jakarta",
        interval_start=start_utc,
        interval_s=60,
        observed_s=observed_s,
        zone=name,
        role=role,
        gerai=gerai,
        mean_count=mean,
        max_count=int(mean + 0.999),
        occupied_s=occupied_s,
        visits=len(dwells),
        dwells_s=dwells,
    )


def gerai_day() -> list[ZoneOccupancy]:
    """Monday 2 June 2025, 08:00-15:00 WIB in minutes: the staff zone is empty 10:00-10:30, not observed
    13:00-13:20, and nothing at all arrives after 15:00 (opening hours end 16:00)."""
    records = []
    start = datetime(2025, 6, 2, 8, 0, tzinfo=WIB).astimezone(UTC)
    for minute in range(7 * 60):
        at = start + timedelta(minutes=minute)
        local = at.astimezone(WIB)
        unobserved = local.hour == 13 and local.minute < 20
        empty = local.hour == 10 and local.minute < 30
        records.append(
            zone(
                "mpp-jakarta",
                "cam-gerai",
                at,
                "dukcapil-staf",
                "staff",
                "dukcapil",
                observed_s=0.0 if unobserved else 60.0,
                occupied_s=0.0 if unobserved or empty else 60.0,
                mean=0.0 if unobserved or empty else 1.0,
            )
        )
        records.append(
            zone(
                "mpp-jakarta",
                "cam-gerai",
                at,
                "dukcapil-antri",
                "queue",
                "dukcapil",
                mean=2.0,
                occupied_s=60.0,
                dwells=(float(60 + minute % 10 * 60),) if minute % 5 == 0 else (),
            )
        )
    return records


def seed(store: Store) -> None:
    line_records = [
        # 2025-05-31T23:30+07:00 belongs to May, 2025-06-01T00:10+07:00 to June (both are May in UTC).
        counts("mpp-jakarta", "cam-pintu", WIB, datetime(2025, 5, 31, 23, 30), 3, 1),
        counts("mpp-jakarta", "cam-pintu", WIB, datetime(2025, 6, 1, 0, 10), 5, 2),
        counts("mpp-jakarta", "cam-pintu", WIB, datetime(2025, 5, 10, 9, 0), 10, 8),
        counts("mpp-jakarta", "cam-pintu", WIB, datetime(2025, 6, 2, 9, 0), 7, 7),
        # Not an entrance: never footfall.
        counts("mpp-jakarta", "cam-pintu", WIB, datetime(2025, 6, 2, 9, 0), 100, 100, role="internal", line="lorong"),
        counts("mpp-makassar", "cam-1", WITA, datetime(2025, 5, 31, 23, 30), 2, 0),
        counts("mpp-makassar", "cam-1", WITA, datetime(2025, 6, 1, 0, 10), 4, 1),
    ]
    health = Health(
        site="mpp-jakarta",
        device="cam-gerai",
        timezone="Asia/Jakarta",
        ts=NOW - timedelta(seconds=30),
        fps=15.0,
        effective_fps=12.5,
        gating_share=0.2,
        last_frame_age_s=0.1,
        camera_state=CameraState.OK,
        outbox_depth=0,
        dropped_records=0,
        reconnects=1,
        cpu_temp_c=55.0,
        model="yolov8n",
        software_version="0.1.0",
        uptime_s=3600.0,
        idle_share=0.93,
        cpu_s=412.5,
    )
    status = [
        Status(site="mpp-jakarta", device="cam-gerai", state=DeviceState.ONLINE, ts=NOW - timedelta(hours=2)),
        Status(site="mpp-makassar", device="cam-1", state=DeviceState.OFFLINE, ts=NOW - timedelta(days=1)),
    ]
    store.write(Batch(counts=line_records, occupancy=gerai_day(), health=[health], status=status))


@pytest.fixture(params=["sqlite", "influxdb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'mpp.db'}")
    else:
        server: InfluxServer = request.getfixturevalue("influxdb")
        opened = open_store(f"influxdb://127.0.0.1:{server.http_port}/api_{uuid.uuid4().hex[:12]}")
    seed(opened)
    yield opened
    opened.close()


@pytest.fixture
def client(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(ApiSettings(tmp_path / "var"), store, clock=lambda: NOW)
    with TestClient(app, headers=HEADERS) as test_client:
        yield test_client


def counted(periods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The counts of footfall periods; each period also carries its coverage (asserted on its own)."""
    return [{k: p[k] for k in ("start", "in", "out")} for p in periods]


def test_monthly_footfall_folds_local_calendar_days(client: TestClient) -> None:
    response = client.get(
        "/api/v1/sites/mpp-jakarta/footfall", params={"granularity": "month", "start": "2025-05", "end": "2025-06"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["site"] == "mpp-jakarta"
    assert body["timezone"] == "Asia/Jakarta"
    assert counted(body["periods"]) == [
        {"start": "2025-05-01T00:00:00+07:00", "in": 13, "out": 9},
        {"start": "2025-06-01T00:00:00+07:00", "in": 12, "out": 9},
    ]
    # Counts are never replaced by an estimate. The entrance camera sent a few one-minute records
    # over two months, mostly outside opening hours, so both months are far from complete.
    may, june = body["periods"]
    assert may["end"] == "2025-06-01T00:00:00+07:00" and body["complete_at"] == 0.95
    for month in (may, june):
        assert month["expected_s"] > 0 and month["observed_s"] <= 60.0 and month["complete"] is False
        assert month["coverage"] == pytest.approx(month["observed_s"] / month["expected_s"])


def test_daily_and_hourly_footfall_in_site_time(client: TestClient) -> None:
    days = client.get(
        "/api/v1/sites/mpp-jakarta/footfall", params={"granularity": "day", "start": "2025-05-31", "end": "2025-06-01"}
    ).json()
    assert counted(days["periods"]) == [
        {"start": "2025-05-31T00:00:00+07:00", "in": 3, "out": 1},
        {"start": "2025-06-01T00:00:00+07:00", "in": 5, "out": 2},
    ]
    hours = client.get(
        "/api/v1/sites/mpp-jakarta/footfall",
        params={"granularity": "hour", "start": "2025-05-31T23:00", "end": "2025-06-01T01:00"},
    ).json()
    assert [(p["start"], p["in"]) for p in hours["periods"]] == [
        ("2025-05-31T23:00:00+07:00", 3),
        ("2025-06-01T00:00:00+07:00", 5),
    ]


def test_comparison_uses_each_sites_own_timezone(client: TestClient) -> None:
    body = client.get(
        "/api/v1/footfall",
        params={"sites": "mpp-jakarta,mpp-makassar", "granularity": "month", "start": "2025-05", "end": "2025-06"},
    ).json()
    by_site = {s["site"]: s for s in body["sites"]}
    assert by_site["mpp-makassar"]["timezone"] == "Asia/Makassar"
    assert counted(by_site["mpp-makassar"]["periods"]) == [
        {"start": "2025-05-01T00:00:00+08:00", "in": 2, "out": 0},
        {"start": "2025-06-01T00:00:00+08:00", "in": 4, "out": 1},
    ]
    assert [p["in"] for p in by_site["mpp-jakarta"]["periods"]] == [13, 12]
    table = client.get(
        "/api/v1/footfall",
        params={
            "sites": "mpp-jakarta,mpp-makassar",
            "granularity": "month",
            "start": "2025-05",
            "end": "2025-06",
            "format": "csv",
        },
    )
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [(r["site"], r["start"], r["in"]) for r in rows] == [
        ("mpp-jakarta", "2025-05-01T00:00:00+07:00", "13"),
        ("mpp-jakarta", "2025-06-01T00:00:00+07:00", "12"),
        ("mpp-makassar", "2025-05-01T00:00:00+08:00", "2"),
        ("mpp-makassar", "2025-06-01T00:00:00+08:00", "4"),
    ]


def test_sites_appear_from_telemetry_with_device_timezone(client: TestClient) -> None:
    sites = {s["site"]: s for s in client.get("/api/v1/sites").json()}
    assert sites["mpp-makassar"]["timezone"] == "Asia/Makassar"
    assert sites["mpp-makassar"]["timezone_source"] == "telemetry"
    assert sites["mpp-jakarta"]["seen_in_telemetry"] is True
    renamed = client.put("/api/v1/sites/mpp-makassar", json={"name": "MPP Kota Makassar"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "MPP Kota Makassar"
    assert client.get("/api/v1/sites/mpp-makassar").json()["timezone"] == "Asia/Makassar"


def test_staffing_reports_unobserved_apart_from_unstaffed(client: TestClient) -> None:
    body = client.get(
        "/api/v1/sites/mpp-jakarta/staffing", params={"start": "2025-06-02", "end": "2025-06-02", "min_gap_min": 15}
    ).json()
    [gerai] = body["gerai"]
    assert gerai["gerai"] == "dukcapil"
    assert gerai["staff_zones"] == ["cam-gerai/dukcapil-staf"]
    assert gerai["open_s"] == 8 * 3600
    assert gerai["observed_s"] == pytest.approx(400 * 60)
    assert gerai["staffed_share"] == pytest.approx(370 / 400)
    assert [(s["start"], s["end"]) for s in gerai["unstaffed"]] == [
        ("2025-06-02T10:00:00+07:00", "2025-06-02T10:30:00+07:00")
    ]
    assert [(s["start"], s["end"]) for s in gerai["unobserved"]] == [
        ("2025-06-02T13:00:00+07:00", "2025-06-02T13:20:00+07:00"),
        ("2025-06-02T15:00:00+07:00", "2025-06-02T16:00:00+07:00"),
    ]
    hour10 = next(h for h in gerai["by_hour"] if h["hour"] == 10)
    assert hour10["staffed_share"] == pytest.approx(0.5)


def test_waiting_and_occupancy(client: TestClient) -> None:
    waiting = client.get("/api/v1/sites/mpp-jakarta/waiting", params={"start": "2025-06-02", "end": "2025-06-02"})
    [gerai] = waiting.json()["gerai"]
    assert gerai["visits"] == 84
    assert gerai["dwell"]["count"] == 84
    assert gerai["dwell"]["p50_s"] == pytest.approx(210.0)  # 42 visits of 60 s and 42 of 360 s
    assert gerai["dwell"]["p90_s"] == pytest.approx(360.0)
    assert gerai["queue"][0] == {"start": "2025-06-02T08:00:00+07:00", "mean_count": 2.0, "max_count": 2}
    series = client.get(
        "/api/v1/sites/mpp-jakarta/occupancy",
        params={"start": "2025-06-02T10:00", "end": "2025-06-02T11:00", "resolution": "15m", "zone": "dukcapil-staf"},
    ).json()
    assert [(p["start"], p["mean_count"]) for p in series["points"]] == [
        ("2025-06-02T10:00:00+07:00", 0.0),
        ("2025-06-02T10:15:00+07:00", 0.0),
        ("2025-06-02T10:30:00+07:00", 1.0),
        ("2025-06-02T10:45:00+07:00", 1.0),
    ]


def test_devices_and_gerai_from_telemetry(client: TestClient) -> None:
    devices = {d["device"]: d for d in client.get("/api/v1/devices").json()}
    assert devices["cam-gerai"]["state"] == "online"
    assert devices["cam-gerai"]["health"]["fps"] == 15.0
    # What the device spends, from both stores alike.
    assert (devices["cam-gerai"]["health"]["idle_share"], devices["cam-gerai"]["health"]["cpu_s"]) == (0.93, 412.5)
    assert devices["cam-gerai"]["silent"] is False  # last seen 30 s before NOW (health)
    assert devices["cam-1"]["state"] == "offline"
    assert devices["cam-1"]["silent"] is True
    gerai = client.get("/api/v1/sites/mpp-jakarta/gerai").json()
    assert gerai == [
        {
            "gerai": "dukcapil",
            "name": "dukcapil",
            "source": "telemetry",
            "zones": [
                {"device": "cam-gerai", "zone": "dukcapil-antri", "role": "queue"},
                {"device": "cam-gerai", "zone": "dukcapil-staf", "role": "staff"},
            ],
        }
    ]
    table = client.get("/api/v1/devices", params={"format": "csv"}).text.splitlines()
    assert table[0].startswith("site,device,timezone,state")
    assert len(table) == 1 + len(devices)


def test_monthly_report_html_and_pdf(client: TestClient) -> None:
    page = client.get("/api/v1/sites/mpp-jakarta/reports/monthly", params={"month": "2025-06"})
    assert page.status_code == 200
    assert "Juni 2025" in page.text and "Mei 2025" in page.text
    assert "id=visitors>12<" in page.text
    # 370 of 400 observed minutes staffed, but 400 minutes are 4% of June's opening hours: too little
    # to show a staffed share for the month (the observed share says why).
    assert "<td>dukcapil</td><td class=num>tidak ada data</td><td class=num>4%</td>" in page.text
    assert "92%" not in page.text
    pdf = client.get(
        "/api/v1/sites/mpp-jakarta/reports/monthly", params={"month": "2025-06", "format": "pdf", "lang": "en"}
    )
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


def test_kept_answers_follow_writes_and_settings_at_once(client: TestClient, store: Store) -> None:
    """Answers are served from the report cache (its hits count), yet a late record, a write to the site
    and a change of opening hours show in the very next answer."""
    cache = client.app.state.ctx.cache  # type: ignore[attr-defined]
    months = {"sites": "mpp-jakarta,mpp-makassar", "granularity": "month", "start": "2025-05", "end": "2025-06"}

    def may() -> dict[str, Any]:
        response = client.get("/api/v1/footfall", params=months)
        assert response.status_code == 200, response.text
        return response.json()["sites"][0]["periods"][0]

    first = may()
    assert first["in"] == 13
    hits = cache.hits
    assert may() == first
    assert cache.hits == hits + 1  # the comparison, kept whole
    # A late record of May from an outbox catching up: the comparison has it at once.
    store.write(Batch(counts=[counts("mpp-jakarta", "cam-pintu", WIB, datetime(2025, 5, 20, 10, 0), 4, 0)]))
    assert may()["in"] == 17
    # A record of another site drops the comparison but keeps this site's series (the one hit).
    hits = cache.hits
    store.write(Batch(counts=[counts("mpp-makassar", "cam-1", WITA, datetime(2025, 5, 21, 10, 0), 1, 0)]))
    assert may()["in"] == 17
    assert cache.hits == hits + 1
    # Opening hours (an admin change) change the expected time of May at once.
    before = may()["expected_s"]
    week = [{"weekday": d, "opens": "07:00", "closes": "17:00"} for d in range(6)]
    assert client.put("/api/v1/sites/mpp-jakarta/opening-hours", json={"days": week}).status_code == 200
    assert may()["expected_s"] > before
