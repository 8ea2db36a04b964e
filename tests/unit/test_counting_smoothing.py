from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.counting import SceneFrame, ZoneFrame
from edge.counting.smoothing import ZoneCountSmoother

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
DT_S = 0.04


def frames(counts: list[int], times_s: list[float] | None = None) -> list[SceneFrame]:
    times_s = times_s if times_s is not None else [i * DT_S for i in range(len(counts))]
    return [
        SceneFrame(i + 1, T0 + timedelta(seconds=t), (), (ZoneFrame("booth", c, 0, ()),))
        for i, (c, t) in enumerate(zip(counts, times_s, strict=True))
    ]


def run(smoother: ZoneCountSmoother, given_frames: list[SceneFrame]) -> list[SceneFrame]:
    out = [f for frame in given_frames for f in smoother.push(frame)]
    return out + smoother.flush()


def counts_of(out: list[SceneFrame]) -> list[int]:
    return [f.zones[0].count for f in out]


def test_a_missed_detection_for_two_frames_is_filled_and_a_doubled_box_removed() -> None:
    out = run(ZoneCountSmoother(0.15), frames([1] * 5 + [0, 0] + [1] * 5 + [2] + [1] * 5))
    assert counts_of(out) == [1] * 18


def test_a_real_change_is_kept_without_lag() -> None:
    step = [0] * 10 + [1] * 10 + [2] * 10 + [0] * 10
    assert counts_of(run(ZoneCountSmoother(0.15), frames(step))) == step


def test_frames_are_held_back_about_the_half_window() -> None:
    smoother = ZoneCountSmoother(0.15)
    released = [[f.frame_index for f in smoother.push(frame)] for frame in frames([1] * 10)]
    # Frame 1 (0 s) is released when a frame more than 0.15 s later arrives: frame 5 (0.16 s).
    assert released[:5] == [[], [], [], [], [1]]
    assert released[5:] == [[2], [3], [4], [5], [6]]
    assert [f.frame_index for f in smoother.flush()] == [7, 8, 9, 10]


def test_zero_window_releases_every_frame_unchanged() -> None:
    given_frames = frames([0, 3, 0, 2, 2, 0])
    smoother = ZoneCountSmoother(0.0)
    assert [smoother.push(f) for f in given_frames] == [[f] for f in given_frames]


def test_a_clock_jumping_back_releases_what_was_held() -> None:
    smoother = ZoneCountSmoother(0.15)
    out = run(smoother, frames([1, 1, 1, 5, 5, 5], [0.0, 0.04, 0.08, -60.0, -59.96, -59.92]))
    assert [f.frame_index for f in out] == [1, 2, 3, 4, 5, 6]
    assert counts_of(out) == [1, 1, 1, 5, 5, 5]


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(0, 4), min_size=1, max_size=60),
    gaps_s=st.lists(st.sampled_from([0.02, 0.04, 0.1, 0.2, 3.0]), min_size=60, max_size=60),
    half_window_s=st.sampled_from([0.0, 0.1, 0.15, 0.5]),
)
def test_every_frame_comes_out_once_in_order_with_a_count_from_its_window(
    counts: list[int], gaps_s: list[float], half_window_s: float
) -> None:
    times_s = [sum(gaps_s[:i]) for i in range(len(counts))]
    given_frames = frames(counts, times_s)
    smoother = ZoneCountSmoother(half_window_s)
    out = run(smoother, given_frames)
    assert [(f.frame_index, f.ts) for f in out] == [(f.frame_index, f.ts) for f in given_frames]
    for i, f in enumerate(out):
        window = [c for c, t in zip(counts, times_s, strict=True) if abs(t - times_s[i]) <= half_window_s + 1e-5]
        assert min(window) <= f.zones[0].count <= max(window)
    assert smoother.held == 0


def test_memory_stays_bounded_over_100k_frames() -> None:
    smoother = ZoneCountSmoother(0.15)
    largest = 0
    for i in range(100_000):
        smoother.push(SceneFrame(i, T0 + timedelta(seconds=i * DT_S), (), (ZoneFrame("booth", i % 3, 0, ()),)))
        largest = max(largest, smoother.buffered)
    assert largest <= 10
