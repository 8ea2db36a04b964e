"""Counting accuracy on the shared MOT15 clips, against ground-truth-derived counts.

Replays each clip once through the real pipeline (``mpp-edge replay``'s code path),
then re-counts the recorded tracks under rule variants to show what each
tracker compensation adds over a plain foot-point counter.

    .venv/bin/python benchmarks/edge_accuracy.py [--confidence 0.25] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from edge.app import evaluate_replay, replay
from edge.config import EdgeConfig
from edge.counting import TRACKER_RULES, SceneRules
from edge.evaluation import compare, load_mot
from edge.evaluation.counts import count_tracks
from edge.evaluation.scenes import load_scenes

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MPP_SHARED_DIR", ROOT.parent / "shared"))

# Tracker compensations measured against the shipped rules (TRACKER_RULES).
VARIANTS = {
    "shipped": TRACKER_RULES,
    "hold 0.3 s": replace(TRACKER_RULES, zone=replace(TRACKER_RULES.zone, hold_s=0.3)),
    "hold 0.6 s": replace(TRACKER_RULES, zone=replace(TRACKER_RULES.zone, hold_s=0.6)),
    "handover 0.05": replace(TRACKER_RULES, line=replace(TRACKER_RULES.line, handover_radius=0.05, handover_s=0.4)),
    "handover 0.08": replace(TRACKER_RULES, line=replace(TRACKER_RULES.line, handover_radius=0.08, handover_s=0.4)),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n_int8_openvino_model"))
    parser.add_argument("--confidence", type=float, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    scenes = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")
    results = {}
    for clip, scene in scenes.items():
        folder = SHARED / "data" / "mot15" / clip
        data = {"site": "replay", "device": "replay", "source": str(folder / f"{clip}.mp4"), "model": args.model}
        if args.confidence is not None:
            data["confidence"] = args.confidence
        config = EdgeConfig.model_validate({**data, "lines": scene.lines, "zones": scene.zones})
        result = replay(config, gating=False, clock=lambda: datetime.now(UTC))
        shipped = evaluate_replay(result, config, folder / "gt" / "gt.txt")
        truth_tracks = load_mot(folder / "gt" / "gt.txt", *result.size)
        truth = count_tracks(
            truth_tracks, result.frames, config.lines, config.zones, SceneRules(), start=result.start,
            fps=result.video_fps,
        )
        variants = {}
        for name, rules in VARIANTS.items():
            counts = count_tracks(
                result.tracks, result.frames, config.lines, config.zones, rules, start=result.start,
                fps=result.video_fps,
            )
            report = compare(counts, truth)
            variants[name] = {
                "line_accuracy": report.line_accuracy,
                "zone_mae": report.zone_mae,
                "presence_agreement": report.presence_agreement,
            }
        results[clip] = {"fps": round(result.fps, 2), "report": shipped.to_json(), "variants": variants}
        if not args.json:
            true_crossings = sum(v["in_true"] + v["out_true"] for v in shipped.to_json()["lines"].values())
            print(f"{clip}: {result.frames} frames, {true_crossings} true crossings, {result.fps:.1f} fps", flush=True)
            for line, v in shipped.to_json()["lines"].items():
                print(f"  line {line}: in {v['in']}/{v['in_true']} out {v['out']}/{v['out_true']}")
            for name, v in variants.items():
                print(
                    f"  {name:12s} line accuracy {v['line_accuracy']}  zone MAE {v['zone_mae']}  "
                    f"presence {v['presence_agreement']}"
                )
    if args.json:
        json.dump(results, sys.stdout)
        print()


if __name__ == "__main__":
    main()
