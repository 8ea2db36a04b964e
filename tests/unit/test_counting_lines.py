from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume as hypothesis_assume
from hypothesis import example, given, settings
from hypothesis import strategies as st

from edge.config import LineConfig, ZoneConfig
from edge.counting import Box, Direction, LineCounter, LineRules, Point, SceneCounter, SceneRules, Segment, Track, side

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
DT = timedelta(seconds=0.04)


def track_at(track_id: int, x: float, y: float) -> Track:
    return Track(track_id, Point(x, y), Box(x - 0.02, y - 0.2, x + 0.02, y), 0.9)


def walk(counter: LineCounter, path: list[tuple[float, float]], track_id: int = 1) -> list[Direction]:
    found = []
    for i, (x, y) in enumerate(path):
        found += [c.direction for c in counter.update([track_at(track_id, x, y)], T0 + i * DT, i + 1)]
    return found


def straight(x0: float, x1: float, y: float, steps: int = 30) -> list[tuple[float, float]]:
    return [(x0 + (x1 - x0) * i / (steps - 1), y) for i in range(steps)]


ISSUE_LINE = Segment(Point(0.45, 0.24), Point(0.45, 0.56))


def test_issue_example_walking_right_to_left_counts_in() -> None:
    counter = LineCounter("door", ISSUE_LINE)
    assert walk(counter, straight(0.6, 0.3, 0.4)) == [Direction.IN]


def test_side_sign_matches_issue_formula() -> None:
    assert side(ISSUE_LINE, Point(0.6, 0.4)) < 0 < side(ISSUE_LINE, Point(0.3, 0.4))


def test_every_crossing_counts_in_then_out() -> None:
    counter = LineCounter("door", ISSUE_LINE)
    path = straight(0.6, 0.3, 0.4) + straight(0.3, 0.6, 0.4)
    assert walk(counter, path) == [Direction.IN, Direction.OUT]


def test_lost_track_state_is_dropped_and_a_reappearing_id_starts_fresh() -> None:
    counter = LineCounter("door", ISSUE_LINE, LineRules(forget_after_s=1.0))
    walk(counter, straight(0.6, 0.5, 0.4, 5))
    counter.update([], T0 + timedelta(seconds=5), 200)
    assert counter.tracked == 0
    # The same id far later on the other side: no memory of its old side, no count.
    assert counter.update([track_at(1, 0.3, 0.4)], T0 + timedelta(seconds=6), 300) == []


def test_id_switch_at_the_line_is_handed_over() -> None:
    rules = LineRules(handover_radius=0.05, handover_s=0.4)
    counter = LineCounter("door", ISSUE_LINE, rules)
    walk(counter, straight(0.6, 0.47, 0.4, 10), track_id=1)
    # Track 1 vanishes at the line; track 2 is born just across it.
    found = counter.update([track_at(2, 0.43, 0.4)], T0 + 11 * DT, 11)
    found += counter.update([track_at(2, 0.40, 0.4)], T0 + 12 * DT, 12)
    assert [c.direction for c in found] == [Direction.IN]
    plain = LineCounter("door", ISSUE_LINE)
    walk(plain, straight(0.6, 0.47, 0.4, 10), track_id=1)
    assert plain.update([track_at(2, 0.43, 0.4)], T0 + 11 * DT, 11) == []


coordinate = st.floats(0.05, 0.95)


@st.composite
def segments(draw: st.DrawFn) -> Segment:
    a = Point(draw(coordinate), draw(coordinate))
    b = Point(draw(coordinate), draw(coordinate))
    hypothesis_assume(abs(a.x - b.x) + abs(a.y - b.y) >= 0.1)
    return Segment(a, b)


paths = st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)), min_size=2, max_size=40)


@settings(max_examples=200, deadline=None)
@given(segments(), paths)
# A step through an end point exactly: rounding once put it inside one direction and outside the other.
@example(Segment(Point(0.5, 0.578125), Point(0.32069861001866823, 0.46875)), [(0.0, 0.46875), (1.0, 0.46875)])
def test_reversing_the_line_swaps_in_and_out(segment: Segment, path: list[tuple[float, float]]) -> None:
    forward = walk(LineCounter("l", segment), path)
    backward = walk(LineCounter("l", Segment(segment.b, segment.a)), path)
    swap = {Direction.IN: Direction.OUT, Direction.OUT: Direction.IN}
    assert backward == [swap[d] for d in forward]


@settings(max_examples=200, deadline=None)
@given(segments(), st.lists(st.floats(-0.0099, 0.0099), min_size=2, max_size=60), st.floats(0.1, 0.9))
def test_oscillating_inside_the_band_counts_nothing(segment: Segment, offsets: list[float], along: float) -> None:
    rules = LineRules(band=0.01)
    a, b = segment.a, segment.b
    length = segment.length
    nx, ny = -(b.y - a.y) / length, (b.x - a.x) / length
    base = Point(a.x + (b.x - a.x) * along, a.y + (b.y - a.y) * along)
    path = [(base.x + nx * d, base.y + ny * d) for d in offsets]
    assert walk(LineCounter("l", segment, rules), path) == []


@settings(max_examples=200, deadline=None)
@given(segments(), st.lists(st.floats(-0.99, 0.99), min_size=2, max_size=60), st.floats(0.1, 0.9), st.floats(0.05, 0.9))
def test_oscillating_inside_the_default_scale_aware_band_counts_nothing(
    segment: Segment, fractions: list[float], along: float, height: float
) -> None:
    # The default band is a fraction of the person's box height, whatever their size.
    half_band = LineRules().band_per_height * height
    a, b = segment.a, segment.b
    nx, ny = -(b.y - a.y) / segment.length, (b.x - a.x) / segment.length
    base = Point(a.x + (b.x - a.x) * along, a.y + (b.y - a.y) * along)
    counter = LineCounter("l", segment)
    found = []
    for i, f in enumerate(fractions):
        x, y = base.x + nx * f * half_band, base.y + ny * f * half_band
        track = Track(1, Point(x, y), Box(x - 0.02, y - height, x + 0.02, y), 0.9)
        found += counter.update([track], T0 + i * DT, i + 1)
    assert found == []


def test_a_small_far_person_just_past_the_line_counts() -> None:
    # 0.005 past the line decides the side for a 0.1-high person (band 0.0015), where
    # a fixed 0.01 band would still be waiting.
    counter = LineCounter("door", ISSUE_LINE)
    found = []
    for i, x in enumerate([0.48, 0.46, 0.445]):
        track = Track(1, Point(x, 0.4), Box(x - 0.01, 0.3, x + 0.01, 0.4), 0.9)
        found += [c.direction for c in counter.update([track], T0 + i * DT, i + 1)]
    assert found == [Direction.IN]


@settings(max_examples=200, deadline=None)
@given(segments(), st.floats(1.05, 3.0), st.floats(0.05, 0.5), st.booleans())
def test_crossing_outside_the_segment_counts_nothing(
    segment: Segment, beyond: float, reach: float, before: bool
) -> None:
    a, b = segment.a, segment.b
    # A point on the line's extension, before A (t < 0) or past B (t > 1).
    t = 1 - beyond if before else beyond
    cx, cy = a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t
    length = segment.length
    nx, ny = -(b.y - a.y) / length, (b.x - a.x) / length
    path = [(cx - nx * reach + nx * 2 * reach * i / 20, cy - ny * reach + ny * 2 * reach * i / 20) for i in range(21)]
    assert walk(LineCounter("l", segment), path) == []


@settings(max_examples=200, deadline=None)
@given(segments(), st.floats(0.05, 0.95), st.floats(0.03, 0.3))
def test_a_straight_crossing_inside_the_segment_counts_once(segment: Segment, along: float, reach: float) -> None:
    a, b = segment.a, segment.b
    cx, cy = a.x + (b.x - a.x) * along, a.y + (b.y - a.y) * along
    length = segment.length
    nx, ny = -(b.y - a.y) / length, (b.x - a.x) / length
    path = [(cx - nx * reach + nx * 2 * reach * i / 20, cy - ny * reach + ny * 2 * reach * i / 20) for i in range(21)]
    assert walk(LineCounter("l", segment), path) == [Direction.IN]


@pytest.mark.slow
def test_memory_is_bounded_over_100k_frames_of_synthetic_tracks() -> None:
    counter = LineCounter("door", ISSUE_LINE, LineRules(forget_after_s=2.0, handover_radius=0.05, handover_s=0.4))
    ts = T0
    crossings = 0
    tracemalloc.start()
    peak_tracked = 0
    sizes = []
    for frame in range(1, 100_001):
        ts += DT
        # Five people at a time, each a fresh id walking across for 50 frames.
        tracks = []
        for lane in range(5):
            person = (frame + lane * 10) // 50
            step = (frame + lane * 10) % 50
            tracks.append(track_at(person * 5 + lane, 0.7 - 0.5 * step / 49, 0.3 + 0.05 * lane))
        crossings += len(counter.update(tracks, ts, frame))
        peak_tracked = max(peak_tracked, counter.tracked)
        if frame % 20_000 == 0:
            sizes.append(tracemalloc.get_traced_memory()[0])
    tracemalloc.stop()
    assert crossings >= 9_000  # people really crossed
    assert peak_tracked <= 5 + 5 * 2  # live tracks plus those lost within forget_after_s
    assert sizes[-1] - sizes[0] < 200_000


def test_low_confidence_observations_are_not_counted_but_keep_the_track() -> None:
    line = LineConfig.model_validate({"name": "door", "points": [[0.45, 0.24], [0.45, 0.56]]}).as_counting()
    zone = ZoneConfig.model_validate(
        {"name": "booth", "points": [[0.0, 0.0], [0.45, 0.0], [0.45, 1.0], [0.0, 1.0]]}
    ).as_counting()
    scene = SceneCounter([line], [zone], SceneRules())
    low = SceneRules().min_confidence / 2
    found, occupancy = [], []
    # Confident on the right, occluded (low score) while crossing, confident again on the left.
    for i, x in enumerate([0.6, 0.55, 0.5, 0.45, 0.4, 0.35, 0.3]):
        confidence = low if 2 <= i <= 4 else 0.9
        track = Track(1, Point(x, 0.4), Box(x - 0.02, 0.2, x + 0.02, 0.4), confidence)
        for frame in scene.update([track], T0 + i * DT, i + 1):
            found += [c.direction for c in frame.crossings]
            occupancy.append(frame.zones[0].count)
    for frame in scene.flush():
        found += [c.direction for c in frame.crossings]
        occupancy.append(frame.zones[0].count)
    assert found == [Direction.IN]
    assert occupancy == [0, 0, 0, 0, 0, 1, 1]
