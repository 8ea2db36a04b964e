"""The InfluxDB rollup's dirty markers (pure parts): what a reader recomputes from them."""

from __future__ import annotations

from collector.storage.influx_observed import DAY_S, DIRTY, coalesce, dirty_line, dirty_markers

DAY = 20_000 * DAY_S


def test_ranges_are_united_per_site_and_cut_at_day_starts() -> None:
    ranges = [
        ("b", DAY, DAY + 900),
        ("a", DAY + 1800, DAY + 2700),
        ("a", DAY, DAY + 1800),  # touches the next one: one recompute
        ("a", DAY + 900, DAY + 1200),  # inside: nothing more
        ("a", DAY + 7200, DAY + DAY_S + 900),  # apart, and over midnight: two pieces
    ]
    assert coalesce(ranges) == [
        ("a", DAY, DAY + 2700),
        ("a", DAY + 7200, DAY + DAY_S),
        ("a", DAY + DAY_S, DAY + DAY_S + 900),
        ("b", DAY, DAY + 900),
    ]
    assert coalesce([]) == []


def test_markers_are_read_from_their_series_only() -> None:
    series = [
        {"name": DIRTY, "tags": {"site": "mpp x", "writer": "w1"}, "columns": ["time", "lo", "hi"],
         "values": [[5, DAY, DAY + 900], [6, None, None]]},
        {"name": "observed_day", "tags": {"device": "d"}, "columns": ["time", "lo", "hi"], "values": [[7, 1, 2]]},
    ]  # fmt: skip
    assert dirty_markers(series) == {(5, "mpp x", "w1"): ("mpp x", DAY, DAY + 900)}


def test_marker_line_escapes_its_tags() -> None:
    assert dirty_line("mpp x,1", "w1", DAY, DAY + 900, 42) == (
        f"{DIRTY},site=mpp\\ x\\,1,writer=w1 lo={DAY}i,hi={DAY + 900}i 42"
    )
