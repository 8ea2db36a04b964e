"""Counting accuracy on the shared MOT15 clips, against ground-truth-derived counts.

Replays each clip once through the real pipeline (``mpp-edge replay``'s code path) with
its scene from ``edge_scenes.yaml``, then re-counts the recorded tracks offline:

- on a generated grid of 108 lines (vertical, horizontal, diagonal; several positions and
  lengths) and 95 rectangular zones (three sizes), so figures rest on hundreds of true
  crossings rather than a handful;
- under rule variants (plain foot point, fixed bands, score filter, tracker compensations),
  each on the whole observation (zone counts from the frame's detections, as shipped) or on
  the tracks alone (zone counts from tracks, as before);
- against two truths: the shipped rule applied to the annotated foot points (what
  ``mpp-edge evaluate`` reports), and the plain rule (sign change within the segment,
  no band; foot point inside the polygon). Annotated boxes carry no score, so the score
  filter never applies to truth.

    .venv/bin/python benchmarks/edge_accuracy.py [--confidence 0.1] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge.app import ReplayResult, evaluate_replay, replay
from edge.config import EdgeConfig, LineConfig, ZoneConfig
from edge.counting import TRACKER_RULES, TRUTH_RULES, LineRules, SceneRules, ZoneRules
from edge.evaluation import compare, load_mot
from edge.evaluation.counts import count_tracks
from edge.evaluation.scenes import Scene, load_scenes

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MPP_SHARED_DIR", ROOT.parent / "shared"))

PLAIN = SceneRules(
    LineRules(band=0.0, band_per_height=0.0), ZoneRules(leave_margin=0.0), min_confidence=0.0, count_smoothing_s=0.0
)
TRUTHS = {"shipped rule": TRUTH_RULES, "plain rule": PLAIN}
# Rule variants, each counted on the whole observation (tracks and the frame's detections: zone
# counts from detections, as shipped) or on the tracks alone (zone counts from tracks, as
# before). ``BEFORE``: the rules shipped until zone counts came from detections.
BEFORE = SceneRules(min_confidence=0.25, count_smoothing_s=0.15)
VARIANTS: dict[str, tuple[SceneRules, bool]] = {
    "shipped": (TRACKER_RULES, True),
    "before (zones from tracks)": (BEFORE, False),
    "plain (no band, no score filter)": (PLAIN, False),
    "first rules (band 0.01, zone margin 0.01)": (
        SceneRules(
            LineRules(band=0.01, band_per_height=0.0),
            ZoneRules(leave_margin=0.01),
            min_confidence=0.0,
            count_smoothing_s=0.0,
        ),
        False,
    ),
    "no zone count smoothing": (replace(TRACKER_RULES, count_smoothing_s=0.0), True),
    "zone count smoothing 0.25 s": (replace(TRACKER_RULES, count_smoothing_s=0.25), True),
    "no score filter": (replace(TRACKER_RULES, min_confidence=0.0), True),
    "score filter 0.5": (replace(TRACKER_RULES, min_confidence=0.5), True),
    "fixed band 0.005": (replace(TRACKER_RULES, line=LineRules(band=0.005, band_per_height=0.0)), True),
    "band 3% of height": (replace(TRACKER_RULES, line=LineRules(band_per_height=0.03)), True),
    "handover 0.05 / 0.4 s": (
        replace(TRACKER_RULES, line=replace(TRACKER_RULES.line, handover_radius=0.05, handover_s=0.4)),
        True,
    ),
    "zone hold 0.4 s (zones from tracks)": (replace(BEFORE, zone=replace(BEFORE.zone, hold_s=0.4)), False),
}


def grid() -> tuple[list[LineConfig], list[ZoneConfig]]:
    def line(name: str, a: tuple[float, float], b: tuple[float, float]) -> LineConfig:
        return LineConfig.model_validate({"name": name, "points": [a, b]})

    lines = []
    for i in range(17):
        x = round(0.1 + 0.05 * i, 3)
        for j, (y0, y1) in enumerate([(0.0, 1.0), (0.3, 0.9), (0.5, 1.0), (0.4, 0.7)]):
            lines.append(line(f"v{i}_{j}", (x, y0), (x, y1)))
    for i in range(13):
        y = round(0.35 + 0.05 * i, 3)
        for j, (x0, x1) in enumerate([(0.0, 1.0), (0.2, 0.8)]):
            lines.append(line(f"h{i}_{j}", (x0, y), (x1, y)))
    for i in range(7):
        x = round(0.2 + 0.1 * i, 3)
        lines.append(line(f"d{i}_up", (x - 0.15, 0.95), (x + 0.15, 0.35)))
        lines.append(line(f"d{i}_down", (x - 0.15, 0.35), (x + 0.15, 0.95)))
    zones = []
    for k, (w, h) in enumerate([(0.15, 0.2), (0.25, 0.3), (0.4, 0.4)]):
        for i in range(10):
            for j in range(6):
                x0, y0 = round(0.05 + 0.1 * i, 3), round(0.4 + 0.1 * j, 3)
                if x0 + w <= 1 and y0 + h <= 1:
                    corners = [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)]
                    zones.append(ZoneConfig.model_validate({"name": f"z{k}_{i}_{j}", "points": corners}))
    return lines, zones


def recount(
    result: ReplayResult, gt: Path, lines: list[LineConfig], zones: list[ZoneConfig]
) -> dict[str, dict[str, dict[str, float | int | None]]]:
    """Each variant against each truth, on recorded tracks."""
    truth_tracks = load_mot(gt, *result.size)
    timing = {"start": result.start, "fps": result.video_fps}
    out: dict[str, dict[str, dict[str, float | int | None]]] = {}
    for truth_name, truth_rules in TRUTHS.items():
        truth = count_tracks(truth_tracks, result.frames, lines, zones, truth_rules, **timing)  # type: ignore[arg-type]
        crossings = sum(t.in_count + t.out_count for t in truth.lines.values())
        out[truth_name] = {}
        for name, (rules, whole) in VARIANTS.items():
            seen = result.observations if whole else result.tracks
            counts = count_tracks(seen, result.frames, lines, zones, rules, **timing)  # type: ignore[arg-type]
            report = compare(counts, truth)
            out[truth_name][name] = {
                "true_crossings": crossings,
                "line_accuracy": report.line_accuracy,
                "zone_mae": report.zone_mae,
                "presence_agreement": report.presence_agreement,
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n_int8_openvino_model"))
    parser.add_argument("--confidence", type=float, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    scenes = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")
    grid_lines, grid_zones = grid()
    # With --json, stdout holds the result only: ultralytics prints a notice there on a
    # machine's first run.
    quiet = contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext()
    with quiet:
        results = measure(args, scenes, grid_lines, grid_zones)
    if args.json:
        json.dump(results, sys.stdout)
        print()


def measure(
    args: argparse.Namespace, scenes: dict[str, Scene], grid_lines: list[LineConfig], grid_zones: list[ZoneConfig]
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for clip, scene in scenes.items():
        folder = SHARED / "data" / "mot15" / clip
        gt = folder / "gt" / "gt.txt"
        data = {"site": "replay", "device": "replay", "source": str(folder / f"{clip}.mp4"), "model": args.model}
        if args.confidence is not None:
            data["confidence"] = args.confidence
        config = EdgeConfig.model_validate({**data, "lines": scene.lines, "zones": scene.zones})
        result = replay(config, gating=False, clock=lambda: datetime.now(UTC), keep_tracks=True)
        shipped = evaluate_replay(result, config, gt)
        results[clip] = {
            "fps": round(result.fps, 2),
            "report": shipped.to_json(),
            "scene": recount(result, gt, list(config.lines), list(config.zones)),
            "grid": recount(result, gt, grid_lines, grid_zones),
        }
        if not args.json:
            print(f"{clip}: {result.frames} frames, {result.fps:.1f} fps", flush=True)
            for line, v in shipped.to_json()["lines"].items():
                print(f"  line {line}: in {v['in']}/{v['in_true']} out {v['out']}/{v['out_true']}")
            for where in ("scene", "grid"):
                for truth_name, variants in results[clip][where].items():
                    for name, v in variants.items():
                        print(
                            f"  {where:5s} truth={truth_name:12s} {name:34s} crossings {v['true_crossings']:3d}  "
                            f"line accuracy {v['line_accuracy']}  zone MAE {v['zone_mae']}  "
                            f"presence {v['presence_agreement']}",
                            flush=True,
                        )
    return results


if __name__ == "__main__":
    main()
