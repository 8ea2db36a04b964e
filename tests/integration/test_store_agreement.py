"""Both stores, one random stream: duplicates, reorders, conflicting copies (other
counts, role or gerai) and sub-second starts, written in random batches to a
fresh SqliteStore and a fresh database on the real InfluxDB 1.6.7. Every read
of the Store protocol, and the conflicts each write reports, must be equal; and
the observed-time rollup each write path keeps must give footfall the coverage
the raw records give (records of 60 and 300 s overlap and straddle quarter hours)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.config import InfluxStoreSettings
from collector.report.periods import TimeRange
from collector.storage import Batch, open_store
from collector.storage.influx import InfluxStore
from tests.services import InfluxServer
from tests.store_answers import answers, differences, rollup_against_raw
from wire import CameraState, DeviceState, Health, LineCounts, Status, ZoneOccupancy

if TYPE_CHECKING:
    from collector.storage import Conflict

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta
SITES = ("mpp-a", "mpp-b")
DEVICES = ("cam-1", "cam-2")

Message = LineCounts | ZoneOccupancy | Health | Status


@st.composite
def line_counts(draw: st.DrawFn) -> LineCounts:
    interval_s = draw(st.sampled_from([60, 300]))
    record = LineCounts(
        site=draw(st.sampled_from(SITES)), device=draw(st.sampled_from(DEVICES)), timezone="Asia/Jakarta",
        interval_start=T0 + timedelta(minutes=draw(st.integers(0, 40))), interval_s=interval_s,
        observed_s=draw(st.sampled_from([float(interval_s), 30.0, 0.0])),
        line=draw(st.sampled_from(["pintu", "lorong"])),
        role=draw(st.sampled_from(["entrance", "entrance", "internal"])), in_count=draw(st.integers(0, 9)),
        out_count=draw(st.integers(0, 9)),
    )  # fmt: skip
    return sub_second(draw, record)


@st.composite
def zone_occupancy(draw: st.DrawFn) -> ZoneOccupancy:
    max_count = draw(st.integers(0, 4))
    record = ZoneOccupancy(
        site=draw(st.sampled_from(SITES)), device=draw(st.sampled_from(DEVICES)), timezone="Asia/Jakarta",
        interval_start=T0 + timedelta(minutes=draw(st.integers(0, 40))), interval_s=60,
        observed_s=draw(st.sampled_from([60.0, 45.5, 0.0])), zone=draw(st.sampled_from(["loket", "antrian"])),
        role=draw(st.sampled_from(["staff", "queue"])), gerai=draw(st.sampled_from([None, "dukcapil", "bpjs"])),
        mean_count=max_count * draw(st.sampled_from([0.0, 0.25, 1.0])), max_count=max_count,
        occupied_s=draw(st.sampled_from([0.0, 12.5, 45.5])), visits=draw(st.integers(0, 3)),
        dwells_s=tuple(draw(st.lists(st.sampled_from([1.0, 12.25, 61.5, 300.0]), max_size=3))),
    )  # fmt: skip
    return sub_second(draw, record)


R = TypeVar("R", LineCounts, ZoneOccupancy)


def sub_second(draw: st.DrawFn, record: R) -> R:
    """Sometimes the same record a fraction of a second later: the wire refuses that
    (decode), the stores must still key it on the whole second. model_copy skips validation."""
    fraction = draw(st.sampled_from([0, 0, 0, 250_000, 999_999]))
    return record.model_copy(update={"interval_start": record.interval_start + timedelta(microseconds=fraction)})


@st.composite
def device_messages(draw: st.DrawFn) -> Health | Status:
    site, device = draw(st.sampled_from(SITES)), draw(st.sampled_from(DEVICES))
    at = T0 + timedelta(minutes=draw(st.integers(0, 45)), milliseconds=draw(st.sampled_from([0, 500])))
    if draw(st.booleans()):
        return Status(site=site, device=device, state=draw(st.sampled_from(list(DeviceState))), ts=at)
    return Health(
        site=site, device=device, timezone="Asia/Jakarta", ts=at, fps=draw(st.sampled_from([0.0, 14.5])),
        effective_fps=7.25, gating_share=0.5, last_frame_age_s=0.1, camera_state=CameraState.OK, outbox_depth=0,
        dropped_records=0, reconnects=draw(st.integers(0, 3)), model="yolov8n", software_version="0.1.0",
        uptime_s=60.0,
    )  # fmt: skip


@st.composite
def streams(draw: st.DrawFn) -> list[list[Message]]:
    """Batches of a stream in which records repeat: exact copies (redelivery) and
    conflicting copies (same key, other content), in any order."""
    originals: list[Message] = draw(
        st.lists(st.one_of(line_counts(), zone_occupancy(), device_messages()), min_size=1, max_size=25)
    )
    stream = list(originals)
    for _ in range(draw(st.integers(0, 10))):
        stream.append(draw(st.sampled_from(originals)))  # an exact repeat
    records = [m for m in originals if isinstance(m, LineCounts | ZoneOccupancy)]
    for _ in range(draw(st.integers(0, 6)) if records else 0):
        # The same key with other content: counts, role or gerai.
        record = draw(st.sampled_from(records))
        change: dict[str, object] = draw(st.sampled_from(
            [{"role": "internal" if getattr(record, "role", "") == "entrance" else "entrance"},
             {"gerai": "other"}, {"visits": 7}, {"in_count": 42}, {"observed_s": 1.5}]
        ))  # fmt: skip
        if all(hasattr(record, name) for name in change):
            stream.append(record.model_copy(update=change))
    stream = draw(st.permutations(stream))
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=3)))
    bounds = [0, *cuts, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def batch_of(messages: list[Message]) -> Batch:
    return Batch(
        counts=[m for m in messages if isinstance(m, LineCounts)],
        occupancy=[m for m in messages if isinstance(m, ZoneOccupancy)],
        health=[m for m in messages if isinstance(m, Health)],
        status=[m for m in messages if isinstance(m, Status)],
    )


def refused(conflicts: list[Conflict] | None) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.record.kind, c.record.message_id, c.differs) for c in conflicts or ()]


def test_both_stores_answer_identically_on_any_stream(influxdb: InfluxServer, tmp_path: Path) -> None:
    @given(batches=streams())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(batches: list[list[Message]]) -> None:
        sqlite = open_store(f"sqlite:///{tmp_path}/agree-{uuid.uuid4().hex[:8]}.db")
        influx = InfluxStore(InfluxStoreSettings(base_url=influxdb.url, database=f"agree_{uuid.uuid4().hex[:10]}"))
        try:
            for messages in batches:
                batch = batch_of(messages)
                assert refused(sqlite.write(batch)) == refused(influx.write(batch))
            lo, hi = T0 - timedelta(hours=1), T0 + timedelta(hours=2)
            left, right = answers(sqlite, SITES, lo, hi), answers(influx, SITES, lo, hi)
            assert not differences(left, right), "\n".join([*differences(left, right), repr(batches)])
            # The rollup the write paths keep gives the coverage the raw records give (to the millisecond
            # each quarter hour is rounded to), on each store.
            for store in (sqlite, influx):
                for site in SITES:
                    for granularity in ("hour", "day"):
                        rolled, raw = rollup_against_raw(store, site, TimeRange(lo, hi), "Asia/Jakarta", granularity)
                        assert rolled == pytest.approx(raw, abs=0.01), repr(batches)
        finally:
            sqlite.close()
            influx.close()

    check()
