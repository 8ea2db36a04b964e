"""Zone-count smoothing study: SceneRules.count_smoothing_s across camera distances and frame rates.

Reuses ``edge_tracker_study``'s cached detections (shared model, 640 px) and its offline
ultralytics ByteTrack (shipped settings), then counts with the shipped rules under several
smoothing windows and the score filter on or off, against the ground truth of the same frames
(truth never smoothed), on the hand scenes and the generated grid of ``edge_accuracy``.

- ``scale`` 0.75 / 0.5: frames shrunk into a black frame (people further from the camera);
- ``step`` 2 / 3: every 2nd / 3rd frame only (a device running at 12.5 / 8.3 fps), tracked as
  such, its timestamps 2 / 3 frame periods apart.

    .venv/bin/python benchmarks/edge_smoothing_study.py [--cache DIR] [--json]

It hands the counting core tracks alone, so zones count tracks: the rules before zone counts
came from each frame's detections (``edge_degradation_study.py`` measures those).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edge_accuracy import grid
from edge_tracker_study import ROOT, SHARED, START, detect, track, ultralytics_logs_to_stderr

from edge.config import LineConfig, ZoneConfig
from edge.counting import TRACKER_RULES, TRUTH_RULES, SceneRules
from edge.evaluation import compare, load_mot
from edge.evaluation.counts import count_tracks
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n_int8_openvino_model"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/mpp-tracker-study"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ultralytics_logs_to_stderr()
    scenes = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")
    grid_lines, grid_zones = grid()
    results: dict[str, dict[str, float | None]] = {}
    for scale, step in CONDITIONS:
        for name, scene in scenes.items():
            clip = detect(name, args.model, args.cache, scale)
            n = len(clip.detections)
            # Every step-th frame, numbered 1..n as a device at clip.fps / step would see them.
            tracks = track(replace(clip, detections=clip.detections[::step]), "bytetrack.yaml", {}, 0.1)
            all_truth = load_mot(clip.gt, *clip.size)
            truth_tracks = {i: all_truth.get(frame, []) for i, frame in enumerate(range(1, n + 1, step), start=1)}
            frames, fps = len(tracks), clip.fps / step
            where: dict[str, tuple[list[LineConfig], list[ZoneConfig]]] = {
                "scene": (list(scene.lines), list(scene.zones)),
                "grid": (grid_lines, grid_zones),
            }
            for w, (lines, zones) in where.items():
                truth = count_tracks(truth_tracks, frames, lines, zones, TRUTH_RULES, start=START, fps=fps)
                column = f"{name} x{scale} {fps:.1f} fps {w}"
                for label, rules in VARIANTS.items():
                    counts = count_tracks(tracks, frames, lines, zones, rules, start=START, fps=fps)
                    report = compare(counts, truth)
                    results.setdefault(label, {})[column] = report.zone_mae
                    if not args.json:
                        print(f"{column:42s} {label:32s} zone MAE {report.zone_mae}", flush=True)
    if args.json:
        json.dump(results, sys.stdout)
        print()


if __name__ == "__main__":
    main()
