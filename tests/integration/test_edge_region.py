"""Detection on the region of the lines and zones (``detection_crop``), with the real model,
on a wide camera: TUD-Campus pasted into the middle of a 1920x1080 frame."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.app import evaluate_replay, replay
from edge.config import EdgeConfig
from edge.counting import detection_region
from edge.evaluation.scenes import load_scenes
from tests.footage import wide_camera

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 1920, 1080


@pytest.mark.slow
def test_replay_on_a_wide_camera_detects_on_the_region_and_counts(
    mot15: Path, model_path: Path, tmp_path: Path
) -> None:
    video, gt, ox, oy = wide_camera(mot15, tmp_path, "TUD-Campus", WIDTH, HEIGHT)
    scene = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")["TUD-Campus"]

    def moved(points: tuple) -> list[list[float]]:  # type: ignore[type-arg]
        return [[(ox + p.x * 640) / WIDTH, (oy + p.y * 480) / HEIGHT] for p in points]

    data = {
        "site": "s",
        "device": "d",
        "source": str(video),
        "model": str(model_path),
        "lines": [{"name": x.name, "points": moved(x.points)} for x in scene.lines],
        "zones": [{"name": z.name, "points": moved(z.points)} for z in scene.zones],
    }
    config = EdgeConfig.model_validate({**data, "detection_crop": True})
    result = replay(config, gating=False, clock=lambda: datetime(2026, 1, 1, tzinfo=UTC), keep_tracks=True)
    assert result.frames == 71 and result.size == (WIDTH, HEIGHT)
    region = detection_region(
        [x.as_counting() for x in config.lines], [z.as_counting() for z in config.zones], WIDTH, HEIGHT
    )
    assert region is not None
    boxes = [d.box for o in result.observations.values() for d in o.detections or ()]
    # Every box found in the crop, mapped back into the whole frame's coordinates.
    assert len(boxes) > 71
    assert all(
        region.x1 - 1e-6 <= b.x1 <= b.x2 <= region.x2 + 1e-6 and region.y1 - 1e-6 <= b.y1 <= b.y2 <= region.y2 + 1e-6
        for b in boxes
    )
    # The JSON a replay prints keeps its shape.
    assert set(result.to_json()) == {"frames", "fps", "lines", "zones"}
    report = evaluate_replay(result, config, gt)
    # Measured 0.9333 / 0.2254 with the crop, 0.7333 / 0.3192 without it (the whole frame
    # shrunk 3x), 0.8667 / 0.2160 on the 640x480 clip itself; the bars sit one crossing and
    # 0.05 persons/frame below the crop's figures, above the figures without it.
    assert report.line_accuracy is not None and report.line_accuracy >= 0.8
    assert report.zone_mae is not None and report.zone_mae <= 0.28


@pytest.mark.slow
def test_a_new_region_starts_the_tracker_over_and_track_numbers_carry_on(
    mot15: Path, model_path: Path, tmp_path: Path
) -> None:
    import cv2

    from edge.camera import Frame
    from edge.counting import CountingZone, Point, Polygon
    from edge.vision import UltralyticsTracker

    video, _, _, _ = wide_camera(mot15, tmp_path, "TUD-Stadtmitte", WIDTH, HEIGHT, frames=6)
    capture = cv2.VideoCapture(str(video))
    images = [capture.read()[1] for _ in range(6)]
    capture.release()

    def zone(x1: float, x2: float) -> CountingZone:
        corners = (Point(x1, 0.45), Point(x2, 0.45), Point(x2, 0.65), Point(x1, 0.65))
        return CountingZone("z", Polygon(corners), "visitor")

    tracker = UltralyticsTracker(str(model_path), crop=True)
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def ids(index: int) -> set[int]:
        return {t.track_id for t in tracker.update(Frame(images[index], index + 1, start)).tracks}

    tracker.set_geometry([], [zone(0.35, 0.65)])
    first = [ids(i) for i in range(3)]
    region = tracker.region
    assert region is not None and first[0] and first[0] == first[2]
    # The same region again: the tracker goes on, same people, same numbers.
    tracker.set_geometry([], [zone(0.35, 0.65)])
    assert ids(3) == first[2] and tracker.region == region
    # A wider region: a new crop, so the tracker starts over; numbers go on from the last one.
    tracker.set_geometry([], [zone(0.3, 0.7)])
    after = ids(4) | ids(5)
    assert tracker.region is not None and tracker.region != region
    assert after and min(after) > max(first[2])
