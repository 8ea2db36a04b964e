from __future__ import annotations

from datetime import UTC, datetime, timedelta

from edge.config import LineConfig, ZoneConfig
from edge.counting import Direction, IntervalAggregator, LineCrossing, ZoneFrame
from wire.messages import LineCounts, ZoneOccupancy

LINE = LineConfig.model_validate({"name": "door", "points": [[0.5, 0], [0.5, 1]], "role": "entrance"}).as_counting()
ZONE = ZoneConfig.model_validate(
    {"name": "seat", "points": [[0, 0], [1, 0], [1, 1]], "role": "staff", "gerai": "g1"}
).as_counting()


def aggregator() -> IntervalAggregator:
    return IntervalAggregator(
        site="mpp-a", device="cam-1", timezone="Asia/Jakarta", interval_s=60, lines=[LINE], zones=[ZONE]
    )


def test_intervals_are_wall_clock_aligned_and_the_partial_last_one_flushes() -> None:
    agg = aggregator()
    start = datetime(2026, 1, 5, 2, 0, 50, tzinfo=UTC)
    records = []
    for i in range(25 * 20):  # 20 s at 25 fps, from 02:00:50 to 02:01:10
        ts = start + timedelta(seconds=i / 25)
        crossings = [LineCrossing("door", Direction.IN, 7, i + 1, ts)] if i in (10, 400) else []
        dwells = (3.5,) if i == 300 else ()
        zone = ZoneFrame("seat", 1 if i < 250 else 0, 1 if i == 0 else 0, dwells)
        records += agg.add_frame(ts, 0.04, crossings, [zone])
    records += agg.flush()
    counts = [r for r in records if isinstance(r, LineCounts)]
    zones = [r for r in records if isinstance(r, ZoneOccupancy)]
    minute = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    assert [r.interval_start for r in counts] == [minute, minute + timedelta(minutes=1)]
    assert [(r.in_count, r.out_count) for r in counts] == [(1, 0), (1, 0)]
    assert [r.observed_s for r in counts] == [10.0, 10.0]
    first, second = zones
    assert (first.mean_count, first.max_count, first.occupied_s, first.visits) == (1.0, 1, 10.0, 1)
    assert second.gerai == "g1" and second.role == "staff"
    assert second.occupied_s == 0.0 and second.dwells_s == (3.5,)
    assert first.message_id == "mpp-a/cam-1/occupancy/seat/2026-01-05T02:00:00Z"


def test_no_frames_no_records() -> None:
    assert aggregator().flush() == []
