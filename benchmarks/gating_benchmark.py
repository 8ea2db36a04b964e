"""Idle-scene gating benchmark: CPU-seconds and counts with ``--gating on`` vs ``off``.

    .venv/bin/python benchmarks/gating_clips.py /tmp/gating-clips
    .venv/bin/python benchmarks/gating_benchmark.py /tmp/gating-clips [--model DIR] [--json OUT]

Runs ``mpp-edge replay`` as a child process on every clip both ways, with the same lines and
zones, and measures the children's CPU-seconds (user + system, resource.getrusage), start-up
and model loading included. On the idle clip the line counts and the per-frame zone presence
must be identical; on the busy clips ``mpp-edge evaluate`` runs both ways against the ground
truth, and gating must not lose accuracy. Exit status 1 when an acceptance check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from edge.evaluation.scenes import load_scenes

REPO_ROOT = Path(__file__).resolve().parent.parent
MPP_EDGE = str(Path(sys.executable).with_name("mpp-edge"))
# The accuracy harness's lines and zones (benchmarks/edge_scenes.yaml); the idle clip is
# TUD-Stadtmitte's scene, so it uses that clip's scene.
SCENES = load_scenes(REPO_ROOT / "benchmarks" / "edge_scenes.yaml")
SCENE_OF_CLIP = {"idle.mp4": "TUD-Stadtmitte", "busy-stadtmitte.mp4": "TUD-Stadtmitte", "busy-campus.mp4": "TUD-Campus"}
MIN_IDLE_SPEEDUP = 5.0


@dataclass(frozen=True)
class Run:
    clip: str
    command: str
    gating: str
    cpu_s: float
    wall_s: float
    result: dict[str, Any]


def shared_dir() -> Path:
    return Path(os.environ.get("MPP_SHARED_DIR", REPO_ROOT.parent / "shared"))


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def mpp_edge(clip: Path, command: str, gating: str, model: Path, extra: tuple[str, ...] = ()) -> Run:
    scene = SCENES[SCENE_OF_CLIP[clip.name]].flags()
    args = [MPP_EDGE, command, str(clip), *extra, "--model", str(model), *scene, "--gating", gating, "--json"]
    cpu_before, wall_before = children_cpu_s(), time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    cpu_s, wall_s = children_cpu_s() - cpu_before, time.perf_counter() - wall_before
    if done.returncode != 0:
        raise SystemExit(f"error: {' '.join(args)} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    run = Run(clip.name, command, gating, round(cpu_s, 2), round(wall_s, 2), json.loads(done.stdout))
    inferred = run.result.get("frames_inferred", "?")
    print(
        f"{clip.name:24} {command:8} gating {gating:3}: {cpu_s:7.1f} CPU-s {wall_s:7.1f} s wall, "
        f"{run.result['frames']} frames, {inferred} inferred",
        file=sys.stderr,
    )
    return run


def line_counts(result: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {name: (line["in"], line["out"]) for name, line in result["lines"].items()}


def zone_presence(result: dict[str, Any]) -> dict[str, list[bool]]:
    return {name: [count > 0 for count in zone["per_frame"]] for name, zone in result["zones"].items()}


def compare_idle(on: Run, off: Run) -> dict[str, Any]:
    presence_on, presence_off = zone_presence(on.result), zone_presence(off.result)
    differing = {
        name: [i for i, (a, b) in enumerate(zip(presence_on[name], presence_off[name], strict=True), 1) if a != b]
        for name in presence_on
    }
    speedup = off.cpu_s / on.cpu_s if on.cpu_s > 0 else float("inf")
    return {
        "cpu_speedup": round(speedup, 2),
        "lines_on": line_counts(on.result),
        "lines_off": line_counts(off.result),
        "lines_identical": line_counts(on.result) == line_counts(off.result),
        "presence_frames_differing": {name: len(frames) for name, frames in differing.items()},
        "presence_identical": not any(differing.values()),
        "zone_counts_identical": all(
            on.result["zones"][n]["per_frame"] == off.result["zones"][n]["per_frame"] for n in on.result["zones"]
        ),
    }


def accuracy(run: Run) -> dict[str, float]:
    keys = ("line_accuracy", "zone_mae", "presence_agreement")
    return {key: run.result[key] for key in keys}


def gate_cost(clip: Path, frames: int) -> int:
    """Time MotionGate alone on the first ``frames`` decoded frames (decoding not counted)."""
    from datetime import UTC, datetime, timedelta

    import cv2

    from edge.camera import Frame
    from edge.camera.opencv import grey_preview
    from edge.gating import MotionGate

    capture = cv2.VideoCapture(str(clip))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    start = datetime(2026, 1, 5, tzinfo=UTC)
    images: list[Frame] = []
    while len(images) < frames:
        ok, image = capture.read()
        if not ok:
            break
        ts = start + timedelta(seconds=len(images) / fps)
        images.append(Frame(image, len(images) + 1, ts, preview=grey_preview))
    gate = MotionGate()
    started = time.process_time()
    inferred = sum(gate.should_infer(image, 0) for image in images)
    cost_ms = (time.process_time() - started) / len(images) * 1000
    print(json.dumps({"clip": clip.name, "frames": len(images), "inferred": inferred, "gate_ms_per_frame": cost_ms}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clips", type=Path, help="folder written by benchmarks/gating_clips.py")
    parser.add_argument("--model", type=Path, default=shared_dir() / "models" / "yolov8n_int8_openvino_model")
    parser.add_argument("--json", type=Path, help="also write all runs and checks here")
    parser.add_argument("--skip-busy", action="store_true", help="only the idle clip")
    parser.add_argument("--gate-cost", type=int, metavar="FRAMES", help="only time the gate itself on the idle clip")
    args = parser.parse_args(argv)
    idle = args.clips / "idle.mp4"
    if not idle.exists():
        print(f"error: {idle} not found; run benchmarks/gating_clips.py {args.clips} first", file=sys.stderr)
        return 2
    if args.gate_cost:
        return gate_cost(idle, args.gate_cost)

    runs = [mpp_edge(idle, "replay", gating, args.model) for gating in ("on", "off")]
    idle_check = compare_idle(runs[0], runs[1])
    busy_checks = {}
    if not args.skip_busy:
        for clip in sorted(args.clips.glob("busy-*.mp4")):
            truth = (str(clip.with_suffix(".gt.txt")),)
            on, off = (mpp_edge(clip, "evaluate", gating, args.model, truth) for gating in ("on", "off"))
            runs += [on, off]
            busy_checks[clip.name] = {
                "on": accuracy(on),
                "off": accuracy(off),
                "cpu_s_on": on.cpu_s,
                "cpu_s_off": off.cpu_s,
                "no_loss": on.result["line_accuracy"] >= off.result["line_accuracy"]
                and on.result["zone_mae"] <= off.result["zone_mae"],
            }
    ok = (
        idle_check["cpu_speedup"] >= MIN_IDLE_SPEEDUP
        and idle_check["lines_identical"]
        and idle_check["presence_identical"]
        and all(check["no_loss"] for check in busy_checks.values())
    )
    summary = {"idle": idle_check, "busy": busy_checks, "accepted": ok}
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({**summary, "runs": [asdict(r) for r in runs]}, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
