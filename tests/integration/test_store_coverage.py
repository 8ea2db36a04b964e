"""Coverage from what the stores keep: the planted-fault August (tests/coverage_scenario.py) written
through each real store (SQLite file, InfluxDB 1.x server), read back with the coverage reads and
folded by the pure core: right to the minute, and the same answer from both stores."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from collector.config import InfluxStoreSettings
from collector.report.coverage import (
    DeviceCoverage,
    GapCause,
    StatusChange,
    Use,
    combined,
    device_coverage,
    expected_watches,
    periods,
)
from collector.report.periods import Granularity, TimeRange
from collector.report.schedule import DayHours, open_windows
from collector.report.site_coverage import FootfallWithCoverage, SiteCoverage, footfall_with_coverage, site_coverage
from collector.storage import Batch, Store, influx_observed, open_store
from collector.storage.influx import DIRTY_MARGIN_S, InfluxStore, batch_points
from collector.storage.observed import ranges_to_recompute
from tests import coverage_scenario as sc
from tests.services import InfluxServer

CHUNK = 5000


def _open(kind: str, tmp_path: Path, influxdb: InfluxServer | None) -> Store:
    if kind == "sqlite":
        return open_store(f"sqlite:///{tmp_path}/mpp.db")
    assert influxdb is not None
    return InfluxStore(InfluxStoreSettings(base_url=influxdb.url, database=f"t_{uuid.uuid4().hex[:12]}"))


def _fill(store: Store) -> None:
    counts, zones = sc.records()
    for i in range(0, len(counts), CHUNK):
        store.write(Batch(counts=counts[i : i + CHUNK]))
    for i in range(0, len(zones), CHUNK):
        store.write(Batch(occupancy=zones[i : i + CHUNK]))
    store.write(Batch(health=sc.health(), status=sc.statuses()))


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, influxdb: InfluxServer) -> Iterator[dict[str, Store]]:
    opened = {kind: _open(kind, tmp_path_factory.mktemp(kind), influxdb) for kind in ("sqlite", "influxdb")}
    for store in opened.values():
        _fill(store)
    yield opened
    for store in opened.values():
        store.close()


def _coverage(store: Store, granularity: str) -> dict[str, DeviceCoverage]:
    span = sc.AUGUST
    records = store.observation_intervals(sc.SITE, span.start, span.end)
    health = store.health_samples(sc.SITE, span.start, span.end)
    statuses = [StatusChange(d.device, d.state, d.state_at) for d in store.devices()
                if d.site == sc.SITE and d.state is not None and d.state_at is not None]  # fmt: skip
    found = device_coverage(
        records,
        expected_watches(records, sc.GERAI),
        open_windows(sc.HOURS, sc.HOLIDAYS, span, sc.TZ),
        periods(span, granularity, sc.TZ),  # type: ignore[arg-type]
        health=health,
        statuses=statuses,
    )
    return {d.device: d for d in found}


@pytest.mark.parametrize("kind", ["sqlite", "influxdb"])
def test_reads_return_every_record(stores: dict[str, Store], kind: str) -> None:
    store = stores[kind]
    counts, zones = sc.records()
    records = store.observation_intervals(sc.SITE, sc.AUGUST.start, sc.AUGUST.end)
    assert len(records) == len(counts) + len(zones)
    keys = [(r.interval_start, r.device, r.kind, r.name) for r in records]
    assert keys == sorted(keys)
    first = next(r for r in records if r.kind == "occupancy" and r.name == "meja-2")
    assert (first.role, first.gerai, first.interval_s, first.observed_s) == ("staff", "g2", 300, 300.0)
    assert {(r.name, r.role, r.gerai) for r in records if r.kind == "counts"} == {
        ("pintu", "entrance", None),
        ("lorong", "internal", None),
    }
    partial = [r for r in records if r.observed_s < r.interval_s]
    assert len(partial) == 2 * 12 and {r.observed_s for r in partial} == {225.0}
    health = store.health_samples(sc.SITE, sc.AUGUST.start, sc.AUGUST.end)
    assert len(health) == len(sc.health())
    assert [h.ts for h in health] == sorted(h.ts for h in health)
    assert {(h.device, h.camera_state.value, h.fps, h.last_frame_age_s) for h in health} == {
        ("cam-g2", "reconnecting", 0.0, None),
        ("cam-g1", "ok", 15.0, 0.1),
    }
    assert store.observation_intervals("elsewhere", sc.AUGUST.start, sc.AUGUST.end) == []


@pytest.mark.parametrize("kind", ["sqlite", "influxdb"])
def test_coverage_right_to_the_minute(stores: dict[str, Store], kind: str) -> None:
    month = _coverage(stores[kind], "month")
    for device, missing_min in (("cam-pintu", sc.ENTRANCE_MISSING_MIN), ("cam-g2", sc.G2_MISSING_MIN),
                                ("cam-g1", 0)):  # fmt: skip
        (period,) = month[device].periods
        assert period.expected_s == sc.OPEN_MIN * 60
        assert period.observed_s == pytest.approx((sc.OPEN_MIN - missing_min) * 60, abs=1e-6), device
        assert period.complete is (device == "cam-g1")
    days = {p.start.date(): p for p in _coverage(stores[kind], "day")["cam-pintu"].periods}
    assert len(days) == 31
    for closed in (sc.HOLIDAY, sc.CLOSED_DAY):
        assert (days[closed].expected_s, days[closed].coverage) == (0, None)
    assert [days[d].coverage for d in sc.ENTRANCE_SILENT_DAYS] == [0, 0, 0]
    assert days[date(2026, 8, 6)].observed_s == (480 - 35) * 60


@pytest.mark.parametrize("kind", ["sqlite", "influxdb"])
def test_gaps_skip_closed_days_and_carry_causes(stores: dict[str, Store], kind: str) -> None:
    found = _coverage(stores[kind], "day")
    g2 = found["cam-g2"].gaps
    assert [g.start.astimezone(sc.TZ).day for g in g2] == list(sc.G2_GAP_DAYS)
    assert {g.cause for g in g2} == {GapCause.CAMERA_ERROR}  # from the stored health reports
    entrance = found["cam-pintu"].gaps
    assert [g.start.astimezone(sc.TZ).day for g in entrance] == [3, 4, 5, 6]
    assert sum(g.duration_s for g in entrance) == (3 * 480 + 35) * 60
    # Stores keep the latest status of a device (online since the 6th), so the Last Will of the 2nd
    # is not known any more: no records, nothing explains it.
    assert {g.cause for g in entrance} == {GapCause.NO_RECORDS}
    assert found["cam-g1"].gaps == ()


def test_both_stores_give_the_same_coverage(stores: dict[str, Store]) -> None:
    answers: list[Any] = [(_coverage(store, "day"), _coverage(store, "hour")) for store in stores.values()]
    assert answers[0] == answers[1]


@pytest.mark.parametrize("kind", ["sqlite", "influxdb"])
def test_reads_by_kind(stores: dict[str, Store], kind: str) -> None:
    store = stores[kind]
    counts, zones = sc.records()
    lines = store.observation_intervals(sc.SITE, sc.AUGUST.start, sc.AUGUST.end, "counts")
    assert len(lines) == len(counts) and {r.kind for r in lines} == {"counts"}
    areas = store.observation_intervals(sc.SITE, sc.AUGUST.start, sc.AUGUST.end, "occupancy")
    assert len(areas) == len(zones) and {r.kind for r in areas} == {"occupancy"}


def _site(store: Store, span: TimeRange, granularity: Granularity) -> SiteCoverage:
    return site_coverage(store, sc.SITE, span, "Asia/Jakarta", granularity, sc.HOURS, sc.HOLIDAYS, sc.GERAI)


@pytest.mark.parametrize("kind", ["sqlite", "influxdb"])
def test_site_coverage_service(stores: dict[str, Store], kind: str) -> None:
    report = _site(stores[kind], sc.AUGUST, "day")
    assert [d.device for d in report.devices] == ["cam-g1", "cam-g2", "cam-pintu"]
    assert len(report.entrance) == 31
    by_day = {p.start.date(): p for p in report.entrance}
    assert by_day[date(2026, 8, 3)].coverage == 0
    assert by_day[sc.HOLIDAY].coverage is None
    assert sum(p.observed_s for p in report.entrance) == pytest.approx((sc.OPEN_MIN - sc.ENTRANCE_MISSING_MIN) * 60)
    assert [g.start for g in report.gaps] == sorted(g.start for g in report.gaps)
    assert {g.device for g in report.gaps} == {"cam-pintu", "cam-g2"}
    assert len(report.gaps) == 4 + len(sc.G2_GAP_DAYS)


@pytest.mark.parametrize("kind", ["sqlite", "influxdb"])
def test_device_silent_through_the_range_is_still_expected(stores: dict[str, Store], kind: str) -> None:
    silent = TimeRange(datetime(2026, 8, 3, tzinfo=sc.TZ), datetime(2026, 8, 6, tzinfo=sc.TZ))
    report = _site(stores[kind], silent, "day")
    (pintu,) = [d for d in report.devices if d.device == "cam-pintu"]
    assert [(p.expected_s, p.observed_s) for p in pintu.periods] == [(8 * 3600, 0)] * 3
    assert [p.coverage for p in report.entrance] == [0, 0, 0]
    assert len(pintu.gaps) == 3
    rows = footfall_with_coverage(stores[kind], sc.SITE, silent, "Asia/Jakarta", "day", sc.HOURS, sc.HOLIDAYS)
    assert [(r.in_count, r.coverage, r.complete) for r in rows] == [(0, 0, False)] * 3


@pytest.mark.parametrize("kind", ["sqlite", "influxdb"])
def test_footfall_with_coverage_service(stores: dict[str, Store], kind: str) -> None:
    def footfall(granularity: Granularity) -> list[FootfallWithCoverage]:
        return footfall_with_coverage(stores[kind], sc.SITE, sc.AUGUST, "Asia/Jakarta", granularity, sc.HOURS,
                                      sc.HOLIDAYS)  # fmt: skip

    days = footfall("day")
    assert [r.start.day for r in days] == list(range(1, 32))  # every day, also those without counts
    by_day = {r.start.date(): r for r in days}
    # 120 five-minute records a day, 3 in each (the camera also runs outside opening hours).
    assert by_day[date(2026, 8, 2)].in_count == 360 and by_day[date(2026, 8, 2)].coverage is None
    assert (by_day[date(2026, 8, 4)].in_count, by_day[date(2026, 8, 4)].coverage) == (0, 0)
    assert by_day[date(2026, 8, 6)].in_count == (120 - 7) * 3
    assert by_day[date(2026, 8, 6)].observed_s == (480 - 35) * 60 and not by_day[date(2026, 8, 6)].complete
    assert by_day[date(2026, 8, 10)].complete
    (month,) = footfall("month")
    assert month.in_count == sum(r.in_count for r in days) == 28 * 360 - 7 * 3
    assert month.expected_s == sc.OPEN_MIN * 60
    assert month.observed_s == pytest.approx((sc.OPEN_MIN - sc.ENTRANCE_MISSING_MIN) * 60)
    hours = footfall("hour")
    assert len(hours) == 31 * 24
    assert sum(r.in_count for r in hours) == month.in_count


def test_both_stores_give_the_same_services(stores: dict[str, Store]) -> None:
    answers = [
        (_site(store, sc.AUGUST, "month"), _site(store, sc.AUGUST, "day"),
         footfall_with_coverage(store, sc.SITE, sc.AUGUST, "Asia/Jakarta", "day", sc.HOURS, sc.HOLIDAYS))
        for store in stores.values()
    ]  # fmt: skip
    assert answers[0] == answers[1]


def test_influx_read_holds_with_role_and_gerai_as_tags_or_fields(influxdb: InfluxServer) -> None:
    # The natural key may move role and gerai from tags to fields; old points keep them as tags.
    store = InfluxStore(InfluxStoreSettings(base_url=influxdb.url, database=f"t_{uuid.uuid4().hex[:12]}"))
    at = sc.AUGUST.start + timedelta(hours=9)
    ns = int(at.timestamp()) * 1_000_000_000
    store.write_lines("\n".join([
        f"line_counts,site={sc.SITE},device=cam-a,line=pintu,role=entrance in_count=1i,out_count=0i,"
        f"interval_s=60i,observed_s=60 {ns}",
        f'line_counts,site={sc.SITE},device=cam-b,line=pintu in_count=1i,out_count=0i,interval_s=60i,'
        f'observed_s=30,role="entrance" {ns}',
        f"zone_occupancy,site={sc.SITE},device=cam-a,zone=meja,role=staff,gerai=g1 mean_count=1,max_count=1i,"
        f"occupied_s=60,visits=0i,interval_s=60i,observed_s=60 {ns}",
        f'zone_occupancy,site={sc.SITE},device=cam-b,zone=meja mean_count=1,max_count=1i,occupied_s=60,visits=0i,'
        f'interval_s=60i,observed_s=45,role="staff",gerai="g2" {ns}',
    ]))  # fmt: skip
    try:
        found = store.observation_intervals(sc.SITE, at, at + timedelta(minutes=1))
    finally:
        store.close()
    assert [(r.device, r.kind, r.role, r.gerai, r.observed_s) for r in found] == [
        ("cam-a", "counts", "entrance", None, 60.0),
        ("cam-a", "occupancy", "staff", "g1", 60.0),
        ("cam-b", "counts", "entrance", None, 30.0),
        ("cam-b", "occupancy", "staff", "g2", 45.0),
    ]


def _raw_entrance_coverage(store: Store, span: TimeRange, granularity: Granularity) -> list[tuple[float, float]]:
    """Footfall's coverage folded from every raw entrance-line record, as before the rollup existed."""
    records = store.observation_intervals(sc.SITE, span.start, span.end, "counts")
    watches = [w for w in expected_watches(records, ()) if w.use is Use.ENTRANCE]
    devices = device_coverage(records, watches, open_windows(sc.HOURS, sc.HOLIDAYS, span, sc.TZ),
                              periods(span, granularity, sc.TZ), min_gap_s=float("inf"))  # fmt: skip
    return [x for p in combined(devices) for x in (p.expected_s, p.observed_s)]


@pytest.mark.parametrize("kind", ["sqlite", "influxdb"])
@pytest.mark.parametrize("granularity", ["hour", "day", "month"])
def test_rollup_gives_what_the_raw_records_give(stores: dict[str, Store], kind: str, granularity: Granularity) -> None:
    rows = footfall_with_coverage(stores[kind], sc.SITE, sc.AUGUST, "Asia/Jakarta", granularity, sc.HOURS,
                                  sc.HOLIDAYS)  # fmt: skip
    assert [x for r in rows for x in (r.expected_s, r.observed_s)] == pytest.approx(
        _raw_entrance_coverage(stores[kind], sc.AUGUST, granularity), abs=1e-3
    )


@pytest.mark.parametrize("kind", ["sqlite", "influxdb"])
def test_ragged_opening_hours_read_the_raw_edges(stores: dict[str, Store], kind: str) -> None:
    # 08:10-15:50 cuts a quarter hour at each end: those minutes come from the raw records.
    hours = tuple(DayHours(d, time(8, 10), time(15, 50)) for d in range(5))
    span = TimeRange(datetime(2026, 8, 3, tzinfo=sc.TZ), datetime(2026, 8, 10, tzinfo=sc.TZ))
    rows = footfall_with_coverage(stores[kind], sc.SITE, span, "Asia/Jakarta", "day", hours, sc.HOLIDAYS)
    records = stores[kind].observation_intervals(sc.SITE, span.start, span.end, "counts")
    watches = [w for w in expected_watches(records, ()) if w.use is Use.ENTRANCE]
    raw = combined(device_coverage(records, watches, open_windows(hours, sc.HOLIDAYS, span, sc.TZ),
                                   periods(span, "day", sc.TZ), min_gap_s=float("inf")))  # fmt: skip
    assert [x for r in rows for x in (r.expected_s, r.observed_s)] == pytest.approx(
        [x for p in raw for x in (p.expected_s, p.observed_s)], abs=1e-3
    )
    assert rows[0].expected_s == (7 * 60 + 40) * 60


def test_sqlite_upgrade_fills_the_rollup(stores: dict[str, Store], tmp_path: Path) -> None:
    """A store written before the rollup existed (schema 2) gets it filled by the migration."""
    path = tmp_path / "old.db"
    store = open_store(f"sqlite:///{path}")
    _fill(store)
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript("DROP TABLE observed_rollup; PRAGMA user_version = 2;")
    conn.close()
    upgraded = open_store(f"sqlite:///{path}")
    try:
        for granularity in ("day", "month"):
            assert footfall_with_coverage(upgraded, sc.SITE, sc.AUGUST, "Asia/Jakarta", granularity, sc.HOURS,
                                          sc.HOLIDAYS) == footfall_with_coverage(
                stores["sqlite"], sc.SITE, sc.AUGUST, "Asia/Jakarta", granularity, sc.HOURS, sc.HOLIDAYS
            )  # fmt: skip
    finally:
        upgraded.close()


def test_influx_maintain_fills_the_rollup_of_older_points(stores: dict[str, Store], influxdb: InfluxServer) -> None:
    """Points written before the rollup existed (here: raw line protocol) get it on the first maintain()."""
    store = InfluxStore(InfluxStoreSettings(base_url=influxdb.url, database=f"t_{uuid.uuid4().hex[:12]}"))
    counts, _ = sc.records()
    try:
        for i in range(0, len(counts), CHUNK):
            store.write_lines(
                "\n".join(p.to_line_protocol() for p in batch_points(Batch(counts=counts[i : i + CHUNK])))
            )
        store.write(Batch(health=sc.health(), status=sc.statuses()))
        before = footfall_with_coverage(store, sc.SITE, sc.AUGUST, "Asia/Jakarta", "day", sc.HOURS, sc.HOLIDAYS)
        assert all(r.observed_s == 0 for r in before)  # nothing rolled up yet
        store.maintain()
        for granularity in ("day", "month"):
            # Coverage only: raw line protocol bypasses the footfall rollup as well, which has no backfill.
            assert [
                (r.expected_s, r.observed_s, r.coverage, r.complete)
                for r in footfall_with_coverage(store, sc.SITE, sc.AUGUST, "Asia/Jakarta", granularity, sc.HOURS,
                                                sc.HOLIDAYS)
            ] == [
                (r.expected_s, r.observed_s, r.coverage, r.complete)
                for r in footfall_with_coverage(stores["influxdb"], sc.SITE, sc.AUGUST, "Asia/Jakarta", granularity,
                                                sc.HOURS, sc.HOLIDAYS)
            ]  # fmt: skip
    finally:
        store.close()


def _footfall(store: Store, granularity: Granularity) -> list[FootfallWithCoverage]:
    return footfall_with_coverage(store, sc.SITE, sc.AUGUST, "Asia/Jakarta", granularity, sc.HOURS, sc.HOLIDAYS)


def test_influx_rollup_left_to_later_survives_a_crash(stores: dict[str, Store], influxdb: InfluxServer) -> None:
    """write() stores records and a dirty marker, not the observed-time rollup; a collector killed
    before recomputing leaves the markers, and a new store on the same database answers from them."""
    settings = InfluxStoreSettings(base_url=influxdb.url, database=f"t_{uuid.uuid4().hex[:12]}")
    crashed = InfluxStore(settings)
    _fill(crashed)
    assert crashed._query(f'SELECT count("c96") FROM {crashed._observed_source()}') == []  # nothing recomputed
    assert crashed._query('SELECT count("lo") FROM "observed_dirty"')[0]["values"][0][1] > 0
    del crashed  # no maintain(), no read: as if killed right after acknowledging
    fresh = InfluxStore(settings)
    try:
        for granularity in ("day", "month"):
            assert _footfall(fresh, granularity) == _footfall(stores["sqlite"], granularity)
        cursor = fresh._query('SELECT max("observed_cursor") FROM "rollup_state"')[0]["values"][0][1]
        assert cursor > 0  # the next store starts from here, less the margin
    finally:
        fresh.close()


def test_influx_reader_catches_up_with_another_collector(stores: dict[str, Store], influxdb: InfluxServer) -> None:
    """A reader that already read (its cursor set) sees what another process wrote after it, before
    that process ran maintain()."""
    settings = InfluxStoreSettings(base_url=influxdb.url, database=f"t_{uuid.uuid4().hex[:12]}")
    writer, reader = InfluxStore(settings), InfluxStore(settings)
    counts, zones = sc.records()
    try:
        writer.write(Batch(occupancy=zones, health=sc.health(), status=sc.statuses()))
        writer.write(Batch(counts=counts[:CHUNK]))
        first = _footfall(reader, "month")
        assert 0 < first[0].observed_s < _footfall(stores["sqlite"], "month")[0].observed_s
        for i in range(CHUNK, len(counts), CHUNK):
            writer.write(Batch(counts=counts[i : i + CHUNK]))
        for granularity in ("day", "month"):
            assert _footfall(reader, granularity) == _footfall(stores["sqlite"], granularity)
        writer.maintain()  # recomputes the same markers again: nothing changes
        assert _footfall(reader, "day") == _footfall(stores["sqlite"], "day")
    finally:
        writer.close()
        reader.close()


def _coverage_only(store: Store, granularity: Granularity) -> list[tuple[float, float, float | None, bool]]:
    return [(r.expected_s, r.observed_s, r.coverage, r.complete) for r in _footfall(store, granularity)]


def test_influx_reader_recomputes_a_marker_landing_behind_its_cursor(
    stores: dict[str, Store], influxdb: InfluxServer
) -> None:
    """A marker stored after the reader's cursor moved past its time (another collector's clock a
    minute behind, or its /write slow to return) is recomputed: the reader reads the margin again."""
    settings = InfluxStoreSettings(base_url=influxdb.url, database=f"t_{uuid.uuid4().hex[:12]}")
    writer, reader = InfluxStore(settings), InfluxStore(settings)
    counts, zones = sc.records()
    try:
        writer.write(Batch(occupancy=zones, health=sc.health(), status=sc.statuses()))
        writer.write(Batch(counts=counts[:CHUNK]))
        _footfall(reader, "month")
        assert reader._dirty_cursor
        late_at = reader._dirty_cursor - (DIRTY_MARGIN_S // 5) * 1_000_000_000
        rest = counts[CHUNK:]
        ranges = ranges_to_recompute([(c.interval_start.timestamp(), c.interval_s) for c in rest])
        writer.write_lines("\n".join(
            [p.to_line_protocol() for p in batch_points(Batch(counts=rest))]
            + [influx_observed.dirty_line(sc.SITE, "late", lo, hi, late_at + i) for i, (lo, hi) in enumerate(ranges)]
        ))  # fmt: skip
        for granularity in ("day", "month"):
            # Coverage only: raw line protocol bypasses the footfall rollup.
            assert _coverage_only(reader, granularity) == _coverage_only(stores["influxdb"], granularity)
    finally:
        writer.close()
        reader.close()


def test_ranges_across_a_utc_midnight_agree(tmp_path: Path, influxdb: InfluxServer) -> None:
    """A range of under a day may cross a UTC midnight (a Jakarta morning): both stores sum it whole."""
    template = sc.records()[0][0]
    records = [
        template.model_copy(
            update={"site": "mpp-night", "interval_start": at, "observed_s": 240.0, "message_id": f"night-{at:%H%M}"}
        )
        for at in (datetime(2026, 8, 10, 23, 50, tzinfo=UTC), datetime(2026, 8, 11, 0, 5, tzinfo=UTC))
    ]
    ranges = [
        (datetime(2026, 8, 10, 23, 30, tzinfo=UTC), datetime(2026, 8, 11, 0, 30, tzinfo=UTC)),
        (datetime(2026, 8, 10, 12, 0, tzinfo=UTC), datetime(2026, 8, 11, 12, 0, tzinfo=UTC)),
        (datetime(2026, 8, 11, 0, 0, tzinfo=UTC), datetime(2026, 8, 11, 0, 30, tzinfo=UTC)),
    ]
    answers = {}
    for kind in ("sqlite", "influxdb"):
        store = _open(kind, tmp_path, influxdb)
        try:
            store.write(Batch(counts=tuple(records)))
            answers[kind] = [(o.index, o.device, o.observed_ms, o.heard, o.entrance)
                             for o in store.observed_time("mpp-night", ranges)]  # fmt: skip
        finally:
            store.close()
    assert (
        answers["influxdb"]
        == answers["sqlite"]
        == [
            (0, "cam-pintu", 480_000, True, True),
            (1, "cam-pintu", 480_000, True, True),
            (2, "cam-pintu", 240_000, True, True),
        ]
    )
