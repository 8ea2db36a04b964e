"""One suite, both stores: SqliteStore on a file and InfluxStore on the real
influxd (a fresh database per test) answer every question identically."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collector.config import InfluxStoreSettings
from collector.storage import Batch, DeadLetter, Store, open_store
from collector.storage.influx import InfluxStore
from tests.services import InfluxServer
from wire import Audit, AuditLine, AuditZone, CameraState, DeviceState, Health, LineCounts, Status, ZoneOccupancy
from wire.messages import MAX_CROSSINGS_PER_S

JAKARTA = ZoneInfo("Asia/Jakarta")
T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "influxdb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path}/mpp.db")
    else:
        server: InfluxServer = request.getfixturevalue("influxdb")
        opened = InfluxStore(InfluxStoreSettings(base_url=server.url, database=f"t_{uuid.uuid4().hex[:12]}"))
    yield opened
    opened.close()


def counts(
    at: datetime, in_count: int, out_count: int, *, site: str = "mpp-a", device: str = "cam-1",
    line: str = "pintu", role: str = "entrance", interval_s: int = 60,
) -> LineCounts:  # fmt: skip
    return LineCounts(
        site=site, device=device, timezone="Asia/Jakarta", interval_start=at, interval_s=interval_s,
        observed_s=interval_s, line=line, role=role, in_count=in_count, out_count=out_count,
    )  # fmt: skip


def occupancy(
    at: datetime, zone: str = "antrian", *, device: str = "cam-1", gerai: str | None = None,
    dwells: tuple[float, ...] = (), mean: float = 1.5,
) -> ZoneOccupancy:  # fmt: skip
    return ZoneOccupancy(
        site="mpp-a", device=device, timezone="Asia/Jakarta", interval_start=at, interval_s=60, observed_s=60,
        zone=zone, role="queue", gerai=gerai, mean_count=mean, max_count=3, occupied_s=42.5, visits=len(dwells),
        dwells_s=dwells,
    )  # fmt: skip


def health(at: datetime, device: str = "cam-1", fps: float = 14.5) -> Health:
    return Health(
        site="mpp-a", device=device, timezone="Asia/Jakarta", ts=at, fps=fps, effective_fps=fps / 2,
        gating_share=0.5, last_frame_age_s=0.1, camera_state=CameraState.OK, outbox_depth=0, dropped_records=0,
        reconnects=1, cpu_temp_c=None, model="yolov8n", software_version="0.1.0", uptime_s=10,
    )  # fmt: skip


def test_footfall_local_days_entrance_only_and_half_open(store: Store) -> None:
    # 16:59Z and 17:00Z straddle local midnight in Jakarta (UTC+7).
    batch = Batch(
        counts=[
            counts(datetime(2026, 3, 1, 16, 59, tzinfo=UTC), 5, 1),
            counts(datetime(2026, 3, 1, 17, 0, tzinfo=UTC), 7, 2),
            counts(datetime(2026, 3, 1, 17, 0, tzinfo=UTC), 100, 100, line="lorong", role="internal"),
            counts(datetime(2026, 3, 1, 18, 0, tzinfo=UTC), 1, 1, device="cam-2", line="pintu-b"),
            counts(datetime(2026, 3, 1, 18, 0, tzinfo=UTC), 3, 0, site="mpp-b"),
            counts(datetime(2026, 3, 3, 0, 0, tzinfo=UTC), 9, 9),  # at `end`: excluded
        ]
    )
    store.write(batch)
    start, end = datetime(2026, 3, 1, tzinfo=JAKARTA), datetime(2026, 3, 3, tzinfo=UTC)
    days = store.footfall(["mpp-a", "mpp-b"], start, end, "day", "Asia/Jakarta")
    assert [(b.site, b.start, b.in_count, b.out_count) for b in days] == [
        ("mpp-a", datetime(2026, 3, 1, tzinfo=JAKARTA), 5, 1),
        ("mpp-a", datetime(2026, 3, 2, tzinfo=JAKARTA), 8, 3),
        ("mpp-b", datetime(2026, 3, 2, tzinfo=JAKARTA), 3, 0),
    ]
    assert all(b.start.utcoffset() == timedelta(hours=7) for b in days)
    hours = store.footfall(["mpp-a"], start, end, "hour", "Asia/Jakarta")
    assert [(b.start.hour, b.in_count) for b in hours] == [(23, 5), (0, 7), (1, 1)]
    assert store.footfall(["mpp-c"], start, end, "day", "Asia/Jakarta") == []
    # The same data seen from UTC folds into a single day.
    utc_days = store.footfall(["mpp-a"], T0, end, "day", "UTC")
    assert [(b.start, b.in_count) for b in utc_days] == [(T0, 13)]


def test_redelivery_changes_nothing(store: Store) -> None:
    batch = Batch(
        counts=[counts(T0 + timedelta(minutes=i), i, 1) for i in range(30)],
        occupancy=[occupancy(T0, dwells=(12.0, 30.5, 30.5)), occupancy(T0 + timedelta(minutes=1))],
        health=[health(T0)],
        status=[Status(site="mpp-a", device="cam-1", state=DeviceState.ONLINE, ts=T0)],
    )
    store.write(batch)
    store.write(batch)
    store.write(Batch(counts=batch.counts[:10], occupancy=batch.occupancy[:1]))
    end = T0 + timedelta(days=1)
    (day,) = store.footfall(["mpp-a"], T0, end, "day", "Asia/Jakarta")
    assert (day.in_count, day.out_count) == (sum(range(30)), 30)
    assert len(store.zone_intervals("mpp-a", T0, end)) == 2
    assert [d.dwell_s for d in store.dwell_samples("mpp-a", T0, end)] == [12.0, 30.5, 30.5]
    assert len(store.devices()) == 1


def test_footfall_matches_brute_force_on_random_data(store: Store) -> None:
    rng = random.Random(7)
    records = []
    for device in ("cam-1", "cam-2", "cam-3"):
        for minute in range(0, 3 * 24 * 60, 7):
            if rng.random() < 0.7:
                role = "entrance" if device != "cam-3" else "internal"
                records.append(counts(T0 + timedelta(minutes=minute), rng.randint(0, 9), rng.randint(0, 9),
                                      device=device, role=role))  # fmt: skip
    store.write(Batch(counts=records))
    for _ in range(6):
        lo = T0 + timedelta(minutes=rng.randint(0, 3 * 24 * 60))
        hi = lo + timedelta(minutes=rng.randint(1, 2 * 24 * 60), seconds=rng.choice([0, 13]))
        for bucket, tz_name in (("day", "Asia/Jakarta"), ("hour", "Asia/Makassar"), ("day", "UTC")):
            tz = ZoneInfo(tz_name)
            expected: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
            for r in records:
                if r.role == "entrance" and lo <= r.interval_start < hi:
                    local = r.interval_start.astimezone(tz)
                    key = local.replace(minute=0, second=0) if bucket == "hour" else local.replace(hour=0, minute=0)
                    expected[key][0] += r.in_count
                    expected[key][1] += r.out_count
            got = store.footfall(["mpp-a"], lo, hi, bucket, tz_name)  # type: ignore[arg-type]
            assert [(b.start, b.in_count, b.out_count) for b in got] == [
                (k, v[0], v[1]) for k, v in sorted(expected.items())
            ], (lo, hi, bucket, tz_name)


def test_zone_intervals_and_dwell_samples(store: Store) -> None:
    store.write(
        Batch(
            occupancy=[
                occupancy(T0 + timedelta(minutes=1), "loket", gerai="bpjs", dwells=(61.0,)),
                occupancy(T0, "antrian", dwells=tuple(float(i) for i in range(150)), mean=0.25),
                occupancy(T0, "antrian", device="cam-2"),
                occupancy(T0 + timedelta(minutes=1), "antrian", dwells=(5.0,)),
                occupancy(T0 + timedelta(hours=2), "antrian"),
            ]
        )
    )
    end = T0 + timedelta(hours=2)
    rows = store.zone_intervals("mpp-a", T0, end)
    assert [(r.interval_start, r.device, r.zone, r.gerai) for r in rows] == [
        (T0, "cam-1", "antrian", None),
        (T0, "cam-2", "antrian", None),
        (T0 + timedelta(minutes=1), "cam-1", "antrian", None),
        (T0 + timedelta(minutes=1), "cam-1", "loket", "bpjs"),
    ]
    first = rows[0]
    assert (first.role, first.interval_s, first.observed_s, first.mean_count, first.max_count) == (
        "queue", 60, 60.0, 0.25, 3)  # fmt: skip
    assert (first.occupied_s, first.visits, first.site) == (42.5, 150, "mpp-a")
    assert [r.zone for r in store.zone_intervals("mpp-a", T0, end, zones=["loket"])] == ["loket"]
    assert store.zone_intervals("mpp-b", T0, end) == []

    dwells = store.dwell_samples("mpp-a", T0, end)
    # 150 dwells in one minute interval overlap the next interval's times; none may be lost.
    assert [d.dwell_s for d in dwells] == [float(i) for i in range(150)] + [5.0, 61.0]
    assert dwells[-1].gerai == "bpjs" and dwells[-1].interval_start == T0 + timedelta(minutes=1)
    assert [d.dwell_s for d in store.dwell_samples("mpp-a", T0, end, zones=["loket"])] == [61.0]


def test_device_registry_and_sites(store: Store) -> None:
    later = T0 + timedelta(minutes=5)
    store.write(
        Batch(
            counts=[counts(T0, 1, 0)],
            health=[health(later, fps=9.0), health(T0, fps=3.0)],
            status=[Status(site="mpp-a", device="cam-1", state=DeviceState.ONLINE, ts=later)],
        )
    )
    # An older status arriving late (redelivery) does not override the newer one.
    store.write(Batch(status=[Status(site="mpp-a", device="cam-1", state=DeviceState.OFFLINE, ts=T0)]))
    store.write(Batch(status=[Status(site="mpp-z", device="cam-9", state=DeviceState.OFFLINE, ts=T0)]))
    by_key = {(d.site, d.device): d for d in store.devices()}
    cam = by_key[("mpp-a", "cam-1")]
    assert cam.state == DeviceState.ONLINE and cam.state_at == later
    assert cam.last_seen == later and cam.timezone == "Asia/Jakarta"
    assert cam.health is not None and cam.health.fps == 9.0
    other = by_key[("mpp-z", "cam-9")]
    assert (other.state, other.timezone, other.health, other.last_seen) == (DeviceState.OFFLINE, None, None, T0)
    assert [(s.site, s.timezone) for s in store.sites()] == [("mpp-a", "Asia/Jakarta")]


def test_dead_letters_newest_first(store: Store) -> None:
    letters = [
        DeadLetter(
            received_at=T0 + timedelta(seconds=i),
            topic=f"mpp/v1/x/y/counts{i}",
            reason=f"bad {i}",
            payload_excerpt="{\"a\": 'é'}",
        )
        for i in range(5)
    ]
    store.write(Batch(dead_letters=letters[:3]))
    store.write(Batch(dead_letters=letters[3:]))
    got = store.dead_letters(limit=4)
    assert [d.reason for d in got] == ["bad 4", "bad 3", "bad 2", "bad 1"]
    assert got[0] == letters[4]


def test_a_year_of_the_largest_counts_the_wire_allows_sums_exactly(store: Store) -> None:
    """With counts bounded by the wire (50 crossings/s), a year of the largest records sums far
    inside int64 in both stores: no SQLite overflow, no InfluxDB wrap-around."""
    most = MAX_CROSSINGS_PER_S * 86400
    year = [counts(T0 + timedelta(days=d), most, most, device=f"cam-{k}", interval_s=86400)
            for d in range(366) for k in range(3)]  # fmt: skip
    store.write(Batch(counts=year))
    days = store.footfall(["mpp-a"], T0, T0 + timedelta(days=366), "day", "UTC")
    assert len(days) == 366 and {(d.in_count, d.out_count) for d in days} == {(3 * most, 3 * most)}
    assert sum(d.in_count for d in days) == 366 * 3 * most > 2**31


def audit(at: datetime, accuracy: float | None, *, device: str = "cam-1") -> Audit:
    return Audit(
        site="mpp-a", device=device, timezone="Asia/Jakarta", audited_at=at, auditor="Teknisi Uji",
        recording_s=180.0, frames=4500, line_accuracy=accuracy, zone_agreement=0.9,
        lines=(AuditLine(line="pintu", in_true=30, out_true=20, in_count=29, out_count=21),),
        zones=(AuditZone(zone="antrian", frames_marked=20, agreement=0.9),),
    )  # fmt: skip


def test_latest_audit_per_device(store: Store) -> None:
    assert store.latest_audits() == []
    newer, older = audit(T0 + timedelta(days=3), 0.97), audit(T0, 0.9)
    other = audit(T0, None, device="cam-2")
    store.write(Batch(audits=[newer, other]))
    # An older audit arriving late and a redelivered one change nothing.
    store.write(Batch(audits=[older, newer]))
    assert store.latest_audits() == [newer, other]
