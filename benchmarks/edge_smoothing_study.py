"""Zone-count smoothing study: SceneRules.count_smoothing_s across camera distances and frame rates.

Reuses ``edge_tracker_study``'s cached detections (shared model, 640 px) and its offline
ultralytics ByteTrack (shipped settings), then counts with the shipped rules under several
smoothing windows and the score filter on or off, against the ground truth of the same frames
(truth never smoothed), on the hand scenes and the generated grid of ``edge_accuracy``.

- ``scale`` 0.75 / 0.5: frames shrunk into a black frame (people further from the camera);
- ``step`` 2 / 3: every 2nd / 3rd frame only (a device running at 12.5 / 8.3 fps), tracked as
  such, its timestamps 2 / 3 frame periods apart.

    .venv/bin/python benchmarks/edge_smoothing_study.py [--cache DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edge_accuracy import grid
from edge_tracker_study import ROOT, SHARED, START, detect, track
from ultralytics.utils import LOGGER

from edge.config import LineConfig, ZoneConfig
from edge.counting import TRACKER_RULES, TRUTH_RULES, SceneCounter, SceneRules, Track
from edge.evaluation import compare, load_mot
from edge.evaluation.counts import SceneCounts
from edge.evaluation.scenes import load_scenes

VARIANTS: dict[str, SceneRules] = {
    "no smoothing": replace(TRACKER_RULES, count_smoothing_s=0.0),
    "0.1 s": replace(TRACKER_RULES, count_smoothing_s=0.1),
    "0.15 s (shipped)": TRACKER_RULES,
    "0.2 s": replace(TRACKER_RULES, count_smoothing_s=0.2),
    "0.25 s": replace(TRACKER_RULES, count_smoothing_s=0.25),
    "no score filter, no smoothing": replace(TRACKER_RULES, min_confidence=0.0, count_smoothing_s=0.0),
    "no score filter, 0.15 s": replace(TRACKER_RULES, min_confidence=0.0),
}
CONDITIONS = [(1.0, 1), (0.75, 1), (0.5, 1), (1.0, 2), (0.5, 2), (1.0, 3), (0.5, 3)]


def count(
    tracks: dict[int, Any], frames: list[int], period_s: float, lines: Any, zones: Any, rules: SceneRules
) -> SceneCounts:
    """Count only ``frames`` (original numbers), ``period_s`` apart, as a device at that rate
    would; they are numbered 1..len(frames) in the counts."""
    scene = SceneCounter(lines, zones, rules)
    counts = SceneCounts.empty([line.name for line in lines], [zone.name for zone in zones])
    for i, frame in enumerate(frames):
        for done in scene.update(tracks.get(frame, ()), START + timedelta(seconds=i * period_s), i + 1):
            counts.add(done)
    for done in scene.flush():
        counts.add(done)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n_int8_openvino_model"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/mpp-tracker-study"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for handler in LOGGER.handlers:  # ultralytics logs to stdout, which belongs to --json
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)
    scenes = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")
    grid_lines, grid_zones = grid()
    results: dict[str, dict[str, dict[str, float | None]]] = {}
    for scale, step in CONDITIONS:
        for name, scene in scenes.items():
            clip = detect(name, args.model, args.cache, scale)
            sub = replace(clip, detections=clip.detections[::step])
            # Offline tracker numbers its frames 1..n of the subsampled clip; map back.
            frames = list(range(1, len(clip.detections) + 1, step))
            tracked = track(sub, "bytetrack.yaml", {}, 0.1)
            tracks: dict[int, tuple[Track, ...]] = {frames[i - 1]: t for i, t in tracked.items()}
            truth_tracks = load_mot(clip.gt, *clip.size)
            period_s = step / clip.fps
            where: dict[str, tuple[list[LineConfig], list[ZoneConfig]]] = {
                "scene": (list(scene.lines), list(scene.zones)),
                "grid": (grid_lines, grid_zones),
            }
            for w, (lines, zones) in where.items():
                truth = count(truth_tracks, frames, period_s, lines, zones, TRUTH_RULES)
                column = f"{name} x{scale} {clip.fps / step:.1f} fps {w}"
                for label, rules in VARIANTS.items():
                    report = compare(count(tracks, frames, period_s, lines, zones, rules), truth)
                    results.setdefault(label, {})[column] = report.zone_mae
                    if not args.json:
                        print(f"{column:42s} {label:32s} zone MAE {report.zone_mae}", flush=True)
    if args.json:
        json.dump(results, sys.stdout)
        print()


if __name__ == "__main__":
    main()
