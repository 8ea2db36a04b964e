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
from edge_degradation_study import (
    PICTURES,
    RATES,
    RULE_SETS,
    START,
    conditions,
    observations,
    study_cli,
    track,
    truth_of,
)

from edge.counting import TRACKER_RULES, TRUTH_RULES
from edge.evaluation import compare
from edge.evaluation.counts import count_tracks

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
    shipped = RULE_SETS["shipped"]
    results: dict[str, Any] = {}
    for c in conditions(model, cache, pictures, RATES):
        frames = len(c.picks)
        all_truth = truth_of(c.clip, c.picture)
        truth_tracks = {i: all_truth.get(f, []) for i, f in enumerate(c.picks, start=1)}
        for setting, overrides in SETTINGS.items():
            seen = track([c.clip.detections[f - 1] for f in c.picks], overrides=overrides)
            counted = dict(enumerate(observations(seen, shipped, c.floor_y, TRACKER_RULES.min_confidence), 1))
            for w, (lines, zones) in c.where.items():
                ours = count_tracks(counted, frames, lines, zones, TRACKER_RULES, start=START, fps=c.rate)
                truth = count_tracks(truth_tracks, frames, lines, zones, TRUTH_RULES, start=START, fps=c.rate)
                results.setdefault(c.label, {}).setdefault(w, {}).setdefault(c.name, {})[setting] = compare(
                    ours, truth
                ).line_accuracy
        print(f"{c.name:18s} {c.label}", file=sys.stderr, flush=True)
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
