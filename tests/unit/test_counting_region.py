"""The detection region: the lines and zones plus a margin, and boxes mapped back from it."""

from __future__ import annotations

import threading

import pytest

from edge.counting import (
    TRACKER_RULES,
    Box,
    CountingLine,
    CountingZone,
    IntervalAggregator,
    Point,
    Polygon,
    SceneCounter,
    Segment,
    detection_region,
    to_frame,
)
from edge.counting.region import MAX_GAIN, MIN_GAIN
from edge.pipeline import FrameResult, Pipeline
from tests.unit.test_counting_pipeline import LINE, ZONE, ListSink, Results, ScriptedSource, WalkingPerson


def line(ax: float, ay: float, bx: float, by: float) -> CountingLine:
    return CountingLine("door", Segment(Point(ax, ay), Point(bx, by)), "entrance")


def zone(x1: float, y1: float, x2: float, y2: float) -> CountingZone:
    corners = (Point(x1, y1), Point(x2, y1), Point(x2, y2), Point(x1, y2))
    return CountingZone("queue", Polygon(corners), "queue")


def gain(region: Box, width: int, height: int) -> float:
    return max(width, height) / max((region.x2 - region.x1) * width, (region.y2 - region.y1) * height)


def test_no_geometry_or_a_region_near_the_whole_frame_is_the_whole_frame() -> None:
    assert detection_region([], [], 1920, 1080) is None
    # A scene spanning 90 % of a 640x480 frame (the shared clips' hand scenes).
    assert detection_region([line(0.05, 0.35, 0.95, 0.85)], [zone(0.05, 0.5, 0.95, 0.8)], 640, 480) is None
    # Whole width, a third of the height: the letterbox would not enlarge anyone.
    assert detection_region([line(0.0, 0.5, 1.0, 0.5)], [], 1920, 1080) is None


def test_a_small_scene_in_a_wide_frame_is_its_box_plus_the_margin_in_whole_pixels() -> None:
    # A 640x480 scene in the middle of a 1920x1080 frame.
    region = detection_region([line(0.4, 0.35, 0.4, 0.65)], [zone(0.35, 0.4, 0.6, 0.6)], 1920, 1080)
    assert region is not None
    margin = 0.1 * 1920  # pixels, on every side
    assert region.x1 * 1920 == pytest.approx(0.35 * 1920 - margin)
    assert region.x2 * 1920 == pytest.approx(0.6 * 1920 + margin)
    assert region.y1 * 1080 == pytest.approx(0.35 * 1080 - margin)
    assert region.y2 * 1080 == pytest.approx(0.65 * 1080 + margin)
    for v, size in ((region.x1, 1920), (region.y1, 1080), (region.x2, 1920), (region.y2, 1080)):
        assert v * size == pytest.approx(round(v * size), abs=1e-6)
    assert MIN_GAIN <= gain(region, 1920, 1080) <= MAX_GAIN


def test_a_short_line_near_the_edge_is_enlarged_and_kept_inside_the_frame() -> None:
    region = detection_region([line(0.97, 0.02, 0.99, 0.03)], [], 1920, 1080)
    assert region is not None
    assert 0.0 <= region.x1 < region.x2 == 1.0 and region.y1 == 0.0 < region.y2 <= 1.0
    assert gain(region, 1920, 1080) == pytest.approx(MAX_GAIN, rel=0.01)
    # It still holds the line and its margin.
    assert region.x1 <= 0.97 - 0.1 and region.y2 >= 0.03 + 0.1 * 1920 / 1080


def test_boxes_found_in_the_crop_map_back_to_the_whole_frame() -> None:
    region = Box(0.25, 0.2, 0.75, 0.8)
    assert to_frame(Box(0.0, 0.0, 1.0, 1.0), region) == region
    mapped = to_frame(Box(0.5, 0.5, 0.6, 1.0), region)
    assert (mapped.x1, mapped.y1, mapped.x2, mapped.y2) == pytest.approx((0.5, 0.5, 0.55, 0.8))


class RegionRecorder:
    """A tracker that is told the geometry (edge.pipeline.RegionFollower)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.geometries: list[tuple[str, ...]] = []

    def update(self, frame: object) -> object:
        return self.inner.update(frame)  # type: ignore[attr-defined]

    def set_geometry(self, lines: list[CountingLine], zones: list[CountingZone]) -> None:
        self.geometries.append(tuple(x.name for x in (*lines, *zones)))


class GateRecorder(RegionRecorder):
    """A gate that is told the geometry (the motion gate with ``detection_crop``)."""

    def should_infer(self, frame: object, live_tracks: int) -> bool:
        return True


def test_the_tracker_and_the_gate_follow_the_geometry_at_start_and_at_the_switch() -> None:
    recorder, gate, observer = RegionRecorder(WalkingPerson()), GateRecorder(None), Results()
    pipeline = Pipeline(
        ScriptedSource(100),
        recorder,  # type: ignore[arg-type]
        SceneCounter([LINE], [ZONE], TRACKER_RULES),
        IntervalAggregator(site="s", device="d", timezone="Asia/Jakarta", interval_s=1, lines=[LINE], zones=[ZONE]),
        ListSink(),
        gate,
        observer=observer,
    )
    new_line = CountingLine("door-new", Segment(Point(0.5, 0.0), Point(0.5, 1.0)), "entrance")

    class SwitchAtFrame10:
        def on_frame(self, result: FrameResult) -> None:
            observer.on_frame(result)
            if result.frame.index == 10:
                pipeline.replace_counting(
                    SceneCounter([new_line], [], TRACKER_RULES),
                    IntervalAggregator(
                        site="s", device="d", timezone="Asia/Jakarta", interval_s=1, lines=[new_line], zones=[]
                    ),
                )

        def on_scene(self, scene: object) -> None:
            observer.on_scene(scene)  # type: ignore[arg-type]

    pipeline.observer = SwitchAtFrame10()
    pipeline.run(threading.Event())
    assert recorder.geometries == [("door", "left"), ("door-new",)]
    assert gate.geometries == recorder.geometries
