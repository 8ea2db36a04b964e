"""benchmarks/replay_parity.py: what makes two replays of one clip agree (x86 against arm64)."""

from __future__ import annotations

import copy
from typing import Any

from benchmarks.replay_parity import compare

REPLAY: dict[str, Any] = {
    "frames": 3,
    "lines": {"x20": {"in": 0, "out": 1, "events": []}, "x40": {"in": 1, "out": 0, "events": []}},
    "zones": {"left": {"per_frame": [3, 3, 4]}, "right": {"per_frame": [1, 1, 1]}},
}


def test_the_same_replay_agrees() -> None:
    assert compare(REPLAY, copy.deepcopy(REPLAY), zone_tolerance=0) == []


def test_a_different_line_count_never_agrees_whatever_the_zone_tolerance() -> None:
    other = copy.deepcopy(REPLAY)
    other["lines"]["x40"]["in"] = 2
    assert compare(REPLAY, other, zone_tolerance=5) == ["line x40: 1/0 != 2/0"]


def test_zone_counts_agree_within_the_tolerance_only() -> None:
    other = copy.deepcopy(REPLAY)
    other["zones"]["left"]["per_frame"] = [3, 4, 2]
    assert compare(REPLAY, other, zone_tolerance=2) == []
    assert compare(REPLAY, other, zone_tolerance=1) == ["zone left: per-frame difference 2 > 1"]


def test_a_missing_line_or_frame_count_mismatch_is_reported() -> None:
    other = copy.deepcopy(REPLAY)
    del other["lines"]["x20"]
    other["frames"] = 2
    assert compare(REPLAY, other, zone_tolerance=1) == ["frames: 3 != 2", "line x20: 0/1 != missing"]
