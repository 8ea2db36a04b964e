"""ByteTrack settings for line crossings, over every picture and frame rate of the degradation study.

Zones count the frame's detections, so a tracker setting now moves line crossings (and visits and
dwell) only. Each setting replays the study's cached detections (``edge_degradation_study.py``
fills the cache; this script runs the model for a picture it has not cached) through
ultralytics' ByteTrack with the setting's overrides, counts with the shipped rules and prints,
per clip, against the shipped ``bytetrack.yaml``: conditions better / worse on line accuracy
and the worst loss. Truth "half" (as the study's tables).

    .venv/bin/python benchmarks/edge_tracker_degradation.py [--cache DIR] [--pictures P,...] [--json]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edge_accuracy import grid
from edge_degradation_study import (
    CLIPS,
    PICTURES,
    RATES,
    RULE_SETS,
    START,
    detect,
    frame_picks,
    observations,
    study_cli,
    track,
    truth_of,
)
from edge_tracker_study import ROOT

from edge.counting import TRACKER_RULES, TRUTH_RULES
from edge.evaluation import compare
from edge.evaluation.counts import count_tracks
from edge.evaluation.scenes import load_scenes

SETTINGS: dict[str, dict[str, Any]] = {
    "bytetrack.yaml (shipped)": {},
    "new_track_thresh 0.4": {"new_track_thresh": 0.4},
    "new_track_thresh 0.5": {"new_track_thresh": 0.5},
    "new_track_thresh 0.6": {"new_track_thresh": 0.6},
    "track_buffer 60": {"track_buffer": 60},
}
SHIPPED = next(iter(SETTINGS))


def measure(model: str, cache: Path, pictures: Sequence[str]) -> dict[str, Any]:
    """{clip: {"scene"|"grid": {condition: {setting: line accuracy}}}}"""
    scenes = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")
    grid_lines, grid_zones = grid()
    shipped = RULE_SETS["shipped"]
    results: dict[str, Any] = {}
    for picture_name in pictures:
        picture = PICTURES[picture_name]
        for rate in RATES:
            condition = f"{picture_name} {rate:.1f} fps"
            for label, (name, floor_y) in CLIPS.items():
                clip = detect(name, model, cache, picture)
                picks = frame_picks(len(clip.detections), clip.fps, rate)
                all_truth = truth_of(clip, picture)
                truth_tracks = {i: all_truth.get(f, []) for i, f in enumerate(picks, start=1)}
                scene = scenes[name]
                where = {"scene": (list(scene.lines), list(scene.zones)), "grid": (grid_lines, grid_zones)}
                for setting, overrides in SETTINGS.items():
                    seen = track([clip.detections[f - 1] for f in picks], overrides=overrides)
                    counted = dict(enumerate(observations(seen, shipped, floor_y, TRACKER_RULES.min_confidence), 1))
                    for w, (lines, zones) in where.items():
                        ours = count_tracks(counted, len(picks), lines, zones, TRACKER_RULES, start=START, fps=rate)
                        truth = count_tracks(truth_tracks, len(picks), lines, zones, TRUTH_RULES, start=START, fps=rate)
                        cell = results.setdefault(label, {}).setdefault(w, {}).setdefault(condition, {})
                        cell[setting] = compare(ours, truth).line_accuracy
            print(condition, file=sys.stderr, flush=True)
    return results


def print_tables(results: dict[str, Any]) -> None:
    others = list(SETTINGS)[1:]
    print("| clip | " + " | ".join(others) + " |")
    print("|---" * (1 + len(others)) + "|")
    for clip, per_where in results.items():
        for w in ("grid", "scene"):
            conditions = per_where[w]
            cells = []
            for setting in others:
                diffs = {c: r[setting] - r[SHIPPED] for c, r in conditions.items()}
                worst = min(diffs, key=lambda c: diffs[c])
                better, worse = sum(d > 1e-9 for d in diffs.values()), sum(d < -1e-9 for d in diffs.values())
                cells.append(f"{better}/{worse} ({diffs[worst]:+.3f} {worst})")
            print(f"| {clip}, {w} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=Path("/tmp/mpp-degradation-study"))
    parser.add_argument("--pictures", default=",".join(PICTURES), help="comma-separated: " + ", ".join(PICTURES))
    study_cli(parser, lambda args: measure(args.model, args.cache, args.pictures.split(",")), print_tables)


if __name__ == "__main__":
    main()
