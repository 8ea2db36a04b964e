"""Idle-scene gating on degraded footage: the live ``replay`` with gating on against off.

``mpp-edge replay`` gates by default, the degradation study (``edge_degradation_study.py``)
replays cached detections of every frame. This checks that the study's figures hold for the
gated replay on pictures where a detector misses people more often (compressed, dim, soft,
low resolution) and at a low frame rate: each shared clip is degraded with the study's
``degrade``, written as a video (mp4v) at 25 and 8.3 fps with its ground truth scaled and
renumbered, and replayed twice (``replay`` + ``evaluate_replay``: the ``mpp-edge evaluate``
path) on its hand scene; the 108-line / 95-zone grid is counted on the same replay's
observations, a skipped frame holding the last inferred one as the pipeline does.

    .venv/bin/python benchmarks/gating_degraded.py [--out DIR] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))
with contextlib.redirect_stdout(sys.stderr):
    from edge_degradation_study import PICTURES, SHARED, Picture, degrade, frame_picks
from edge_accuracy import grid
from edge_tracker_study import ROOT, frames_of

from edge.app import evaluate_replay, replay
from edge.config import EdgeConfig
from edge.counting import TRACKER_RULES, TRUTH_RULES, Observation
from edge.evaluation import compare, load_mot
from edge.evaluation.counts import count_tracks
from edge.evaluation.scenes import load_scenes

CLIP_FPS = 25.0
RATES = (25.0, 25 / 3)
GATE_PICTURES = {
    name: PICTURES.get(name) or Picture(name, size=(384, 288), noise_sd=12.0, jpeg_quality=15)
    for name in ("x1", "CCTV", "dim", "blur", "384x288", "384x288 CCTV")
}


def write_condition(clip: str, picture: Picture, rate: float, out: Path) -> tuple[Path, Path]:
    """The degraded video at ``rate`` fps and its ground truth (pixels of the video, frames renumbered)."""
    folder = SHARED / "data" / "mot15" / clip
    frames = list(frames_of(folder / f"{clip}.mp4"))
    picks = frame_picks(len(frames), CLIP_FPS, rate)
    stem = out / f"{clip}-{picture.name}-{rate:.1f}".replace(" ", "_")
    video, gt = stem.with_suffix(".mp4"), stem.with_suffix(".txt")
    h, w = degrade(frames[0], picture, 1).shape[:2]
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"mp4v"), rate, (w, h))
    for f in picks:
        writer.write(degrade(frames[f - 1], picture, f))
    writer.release()
    sx, sy = w / 640, h / 480
    renumbered = {f: i for i, f in enumerate(picks, start=1)}
    rows = []
    for line in (folder / "gt" / "gt.txt").read_text().splitlines():
        cells = line.split(",")
        if not line.strip() or int(float(cells[0])) not in renumbered:
            continue
        left, top, width, height = (float(v) for v in cells[2:6])
        rest = ",".join(cells[6:])
        rows.append(
            f"{renumbered[int(float(cells[0]))]},{cells[1]},{left * sx},{top * sy},{width * sx},{height * sy},{rest}\n"
        )
    gt.write_text("".join(rows))
    return video, gt


def measure(model: str, out: Path) -> dict[str, Any]:
    scenes = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")
    grid_lines, grid_zones = grid()
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    for clip, scene in scenes.items():
        for picture in GATE_PICTURES.values():
            for rate in RATES:
                video, gt = write_condition(clip, picture, rate, out)
                condition = f"{picture.name} {rate:.1f} fps"
                for gating in (False, True):
                    source = {"site": "replay", "device": "replay", "source": str(video), "model": model}
                    config = EdgeConfig.model_validate({**source, "lines": scene.lines, "zones": scene.zones})
                    with contextlib.redirect_stdout(sys.stderr):
                        result = replay(config, gating=gating, clock=lambda: datetime.now(UTC), keep_tracks=True)
                    on_scene = evaluate_replay(result, config, gt)
                    held: dict[int, Observation] = {}
                    last: Observation | None = None
                    for i in range(1, result.frames + 1):
                        last = result.observations.get(i, last)
                        if last is not None:
                            held[i] = last
                    timing: dict[str, Any] = {"start": result.start, "fps": result.video_fps}
                    ours = count_tracks(held, result.frames, grid_lines, grid_zones, TRACKER_RULES, **timing)
                    truth_tracks = load_mot(gt, *result.size)
                    truth = count_tracks(truth_tracks, result.frames, grid_lines, grid_zones, TRUTH_RULES, **timing)
                    on_grid = compare(ours, truth)
                    results.setdefault(clip, {}).setdefault(condition, {})["on" if gating else "off"] = {
                        "frames": result.frames,
                        "inferred": len(result.observations),
                        "scene": [on_scene.line_accuracy, on_scene.zone_mae, on_scene.presence_agreement],
                        "grid": [on_grid.line_accuracy, on_grid.zone_mae, on_grid.presence_agreement],
                    }
                print(f"{clip} {condition}", file=sys.stderr, flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n_int8_openvino_model"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/mpp-gating-degraded"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure(args.model, args.out)
    if args.json:
        json.dump(results, sys.stdout)
        print()
        return
    print("| clip | condition | frames | inferred (on) | scene on / off | grid on / off |")
    print("|---|---|---|---|---|---|")
    for clip, conditions in results.items():
        for condition, r in conditions.items():
            on, off = r["on"], r["off"]
            same = "same" if on["scene"] == off["scene"] else f"{on['scene']} / {off['scene']}"
            same_grid = "same" if on["grid"] == off["grid"] else f"{on['grid']} / {off['grid']}"
            print(f"| {clip} | {condition} | {on['frames']} | {on['inferred']} | {same} | {same_grid} |")


if __name__ == "__main__":
    main()
