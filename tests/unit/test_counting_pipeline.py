"""The per-frame loop's contract with the gate, the sink and the observer (scripted source and tracker)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from edge.camera import Frame
from edge.config import LineConfig, ZoneConfig
from edge.counting import (
    TRACKER_RULES,
    Box,
    Detection,
    IntervalAggregator,
    Observation,
    Point,
    SceneCounter,
    SceneFrame,
    Track,
)
from edge.pipeline import FrameGate, FrameResult, Pipeline
from wire.messages import CameraState, LineCounts, ZoneOccupancy

T0 = datetime(2026, 1, 5, 2, 0, 58, tzinfo=UTC)
LINE = LineConfig.model_validate({"name": "door", "points": [[0.5, 0.0], [0.5, 1.0]]}).as_counting()
ZONE = ZoneConfig.model_validate(
    {"name": "left", "points": [[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]]}
).as_counting()


class ScriptedSource:
    def __init__(self, count: int) -> None:
        self.count = count
        self.closed = False

    @property
    def state(self) -> CameraState:
        return CameraState.OK

    @property
    def fps_hint(self) -> float:
        return 25.0

    def frames(self) -> Iterator[Frame]:
        for index in range(1, self.count + 1):
            yield Frame(None, index, T0 + timedelta(seconds=(index - 1) / 25))

    def close(self) -> None:
        self.closed = True


class WalkingPerson:
    """One person walking right to left across x=0.5 over 100 frames."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def update(self, frame: Frame) -> Observation:
        self.calls.append(frame.index)
        x = 0.9 - 0.8 * (frame.index - 1) / 99
        box = Box(x - 0.05, 0.4, x + 0.05, 0.8)
        return Observation((Track(1, Point(x, 0.8), box, 0.9),), (Detection.from_box(box, 0.9),))


class EveryThird:
    def should_infer(self, frame: Frame, live_tracks: int) -> bool:
        return frame.index % 3 == 1


class ListSink:
    def __init__(self) -> None:
        self.records: list[LineCounts | ZoneOccupancy] = []

    def put(self, records: Sequence[LineCounts | ZoneOccupancy]) -> None:
        self.records.extend(records)


class Results:
    def __init__(self) -> None:
        self.results: list[FrameResult] = []
        self.scenes: list[SceneFrame] = []

    def on_frame(self, result: FrameResult) -> None:
        self.results.append(result)

    def on_scene(self, scene: SceneFrame) -> None:
        self.scenes.append(scene)


def build(gate: FrameGate) -> tuple[Pipeline, WalkingPerson, ListSink, Results, ScriptedSource]:
    source, tracker, sink, observer = ScriptedSource(100), WalkingPerson(), ListSink(), Results()
    aggregator = IntervalAggregator(
        site="s", device="d", timezone="Asia/Jakarta", interval_s=1, lines=[LINE], zones=[ZONE]
    )
    scene = SceneCounter([LINE], [ZONE], TRACKER_RULES)
    pipeline = Pipeline(source, tracker, scene, aggregator, sink, gate, observer=observer)
    return pipeline, tracker, sink, observer, source


def test_skipped_frames_do_not_call_the_tracker_and_zones_keep_previous_tracks() -> None:
    pipeline, tracker, sink, observer, source = build(EveryThird())
    pipeline.run(threading.Event())
    assert tracker.calls == list(range(1, 101, 3))
    skipped = [r for r in observer.results if not r.inferred]
    assert skipped and all(r.tracks == observer.results[r.frame.index - 2].tracks for r in skipped)
    # Every frame's scene comes out once, in order, the last ones flushed at the end.
    assert [scene.frame_index for scene in observer.scenes] == list(range(1, 101))
    crossings = [c for scene in observer.scenes for c in scene.crossings]
    assert [(c.direction.value, c.frame_index % 3) for c in crossings] == [("in", 1)]
    stats = pipeline.stats()
    assert (stats.frames_read, stats.frames_inferred) == (100, 34)
    assert stats.gating_share == round(1 - 34 / 100, 4)
    assert source.closed
    # 4 s of frames from 02:00:58: intervals 58, 59, 00, 01, the last flushed at the end.
    counts = [r for r in sink.records if isinstance(r, LineCounts)]
    assert len(counts) == 4 and sum(r.in_count for r in counts) == 1
    assert sum(r.observed_s for r in counts) == 4.0


def test_stop_ends_the_run_and_still_flushes() -> None:
    pipeline, _, sink, observer, _ = build(EveryThird())
    stop = threading.Event()
    stop.set()
    pipeline.run(stop)
    assert observer.results == [] and observer.scenes == [] and sink.records == []
