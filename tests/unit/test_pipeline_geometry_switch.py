"""A new geometry while the device runs: it applies from the next interval, with no record lost."""

from __future__ import annotations

import threading

from edge.config import LineConfig, ZoneConfig
from edge.counting import TRACKER_RULES, IntervalAggregator, SceneCounter
from edge.pipeline import AlwaysInfer, FrameResult
from tests.unit.test_counting_pipeline import build
from wire.messages import LineCounts, ZoneOccupancy

NEW_LINE = LineConfig.model_validate({"name": "door-new", "points": [[0.5, 0.0], [0.5, 1.0]]}).as_counting()
NEW_ZONE = ZoneConfig.model_validate(
    {"name": "right", "role": "queue", "points": [[0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.0]]}
).as_counting()


def test_a_new_geometry_applies_from_the_next_interval_without_losing_any() -> None:
    pipeline, _, sink, observer, _ = build(AlwaysInfer())
    frames_seen: list[int] = []

    class SwitchAtFrame10:
        def on_frame(self, result: FrameResult) -> None:
            frames_seen.append(result.frame.index)
            observer.on_frame(result)
            if result.frame.index == 10:  # 02:00:58.36, inside the first interval
                pipeline.replace_counting(
                    SceneCounter([NEW_LINE], [NEW_ZONE], TRACKER_RULES),
                    IntervalAggregator(
                        site="s", device="d", timezone="Asia/Jakarta", interval_s=1, lines=[NEW_LINE], zones=[NEW_ZONE]
                    ),
                )

        def on_scene(self, scene: object) -> None:
            observer.on_scene(scene)  # type: ignore[arg-type]

    pipeline.observer = SwitchAtFrame10()
    pipeline.run(threading.Event())
    assert frames_seen == list(range(1, 101))
    counts = [r for r in sink.records if isinstance(r, LineCounts)]
    zones = [r for r in sink.records if isinstance(r, ZoneOccupancy)]
    # The first interval whole on the old geometry, every later one on the new: one record
    # per interval and line, and every second of the 4 s observed once.
    assert [(r.interval_start.second, r.line) for r in counts] == [
        (58, "door"),
        (59, "door-new"),
        (0, "door-new"),
        (1, "door-new"),
    ]
    assert [r.observed_s for r in counts] == [1.0, 1.0, 1.0, 1.0]
    assert [(r.interval_start.second, r.zone) for r in zones] == [
        (58, "left"),
        (59, "right"),
        (0, "right"),
        (1, "right"),
    ]
    # The person crosses x=0.5 at about 2 s: counted on the new line, once.
    assert [(r.line, r.in_count) for r in counts if r.in_count] == [("door-new", 1)]
