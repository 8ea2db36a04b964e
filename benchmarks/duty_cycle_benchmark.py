"""Idle-scene gating at realistic duty cycles: CPU-seconds with and without gating, and wake-up delays.

    .venv/bin/python benchmarks/duty_cycle_benchmark.py OUT_DIR [--model DIR] [--fps 10] [--json OUT]
        [--only-wake] [--no-wake] [--before TREE]

Builds clips from the shared TUD-Stadtmitte footage (never commit OUT_DIR): the empty scene
(temporal median over pixels outside the ground-truth boxes, as benchmarks/gating_clips.py
makes it) with fresh sensor noise per frame and a slow ±3 % brightness drift, and real
passers-by pasted in, each one entering at the image border, walking in and back out
(tracks 10, 9, 8 of TUD-Stadtmitte). Clips are resampled to ``--fps`` from the 25 fps source.

- ``busy11``: 2 min empty, 30 s of passers-by one after another, 2 min empty (11 % busy).
- ``busy1``: about 6 min empty, 3.7 s passer-by, about 6 min empty, 3.7 s, ... (1 % busy).
- wake-up clips: six passers-by with about 8 s empty between them, at 7, 10 and 12 fps, and
  fast walkers (every second or third source frame dropped: twice or three times as far per frame).

``busy11`` and ``busy1`` (and the wake-up clips with ``--with-off``) run with gating on and
off in this one run, each in a fresh child process through ``build_pipeline`` (the code path
of ``mpp-edge replay``), and report: CPU-seconds of the frame loop (os.times in the child:
user + system, all threads, model loading excluded) and of the whole child process
(start-up and model loading included), each child measuring its own, so ``--jobs`` may run
several at once; line counts and per-frame zone presence, which must be identical. Every clip
runs gated to measure the wake-up: for each passer-by, the first frame in which the ground
truth shows them, the first inferred frame from then on, and the first frame in which their
ground-truth foot point is inside a zone or past a line; the wake-up must not come later.
Both ratios, loop and whole process, must reach the bar (5x at 11 % busy, 20x at 1 %).
``--before TREE`` also runs ``busy11`` and ``busy1`` gated with the code of another checkout
(e.g. ``git archive COMMIT | tar -x -C TREE``), side by side in the same run, against the same
always-on baseline. Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gating_clips import empty_scene, person_alpha, read_frames, read_gt

from edge.counting.geometry import Point, Polygon, Segment, crossing_offset
from edge.evaluation.scenes import load_scenes

REPO_ROOT = Path(__file__).resolve().parent.parent
SCENES = REPO_ROOT / "benchmarks" / "edge_scenes.yaml"
SCENE = load_scenes(SCENES)["TUD-Stadtmitte"]
SOURCE_FPS = 25.0
# TUD-Stadtmitte tracks that enter at the image border: (track, first frame, last frame).
WALKS = {10: (134, 179), 9: (74, 179), 8: (6, 179)}
MIN_SPEEDUP = {"busy11": 5.0, "busy1": 20.0}


@dataclass(frozen=True)
class Part:
    """``idle_s`` of empty scene, or one passer-by (``track``) at ``speed`` times the real pace."""

    idle_s: float = 0.0
    track: int = 0
    speed: float = 1.0


def walk_s(track: int, speed: float = 1.0) -> float:
    first, last = WALKS[track]
    return 2 * (last - first + 1) / SOURCE_FPS / speed


def duty_clip(busy: list[Part], busy_share: float, gaps: int) -> list[Part]:
    """``busy`` passers-by spread over ``gaps`` + 1 equal empty stretches, ``busy_share`` of the time."""
    busy_s = sum(walk_s(p.track, p.speed) for p in busy)
    idle_s = busy_s * (1 - busy_share) / busy_share / (gaps + 1)
    parts = [Part(idle_s=idle_s)]
    per_gap = math.ceil(len(busy) / gaps)
    for start in range(0, len(busy), per_gap):
        parts += [*busy[start : start + per_gap], Part(idle_s=idle_s)]
    return parts


def wake_clip(speed: float) -> list[Part]:
    # Empty stretches of slightly different lengths, so passers-by show up at different
    # moments between two motion probes (a whole number of probe intervals would flatter).
    parts = [Part(idle_s=15.07)]
    for number, track in enumerate((10, 9, 8, 10, 9, 8), start=1):
        parts += [Part(track=track, speed=speed), Part(idle_s=8.0 + 0.06 * number)]
    return parts


def build_clip(path: Path, parts: list[Part], fps: float, frames: list[Any], gt: NDArray[np.float64]) -> int:
    """Write the clip and its ground truth (``path`` with .gt.txt); frames written."""
    background = empty_scene(frames, gt) if not hasattr(build_clip, "background") else build_clip.background  # type: ignore[attr-defined]
    build_clip.background = background  # type: ignore[attr-defined]
    base = background.astype(np.float32)
    height, width = base.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    rng = np.random.default_rng(7)
    noise = [rng.normal(0, 2.0, base.shape).astype(np.float32) for _ in range(64)]
    rows: list[str] = []
    count = 0
    for number, part in enumerate(parts, start=1):
        if part.track:
            first, last = WALKS[part.track]
            forward = list(range(first, last + 1))
            sequence = forward + forward[::-1]
            by_frame = {int(r[0]): r for r in gt[gt[:, 1] == part.track]}
            steps = math.floor((len(sequence) - 1) * fps / (SOURCE_FPS * part.speed)) + 1
            sources = [sequence[round(k * SOURCE_FPS * part.speed / fps)] for k in range(steps)]
        else:
            sources = [0] * round(part.idle_s * fps)
        for source in sources:
            count += 1
            gain = np.float32(1.0 + 0.03 * math.sin(2 * math.pi * count / (60 * fps)))
            if source:
                row = by_frame[source]
                alpha = person_alpha(frames[source - 1], background, row)[..., None]
                image = alpha * frames[source - 1].astype(np.float32) + (1 - alpha) * base
                left, top, w, h = row[2:6]
                rows.append(f"{count},{number},{left:g},{top:g},{w:g},{h:g},1,-1,-1,-1")
            else:
                image = base
            image = image * gain + noise[int(rng.integers(len(noise)))]
            writer.write(np.clip(image, 0, 255).astype(np.uint8))
    writer.release()
    path.with_suffix(".gt.txt").write_text("\n".join(rows) + "\n")
    return count


CHILD = """
import json, os, sys, threading
from datetime import UTC, datetime
from pathlib import Path
from edge.app import MemorySink, build_pipeline
from edge.config import EdgeConfig
from edge.evaluation import SceneCounts
from edge.evaluation.scenes import load_scenes
clip, model, scenes, gating = sys.argv[1:5]
scene = load_scenes(Path(scenes))["TUD-Stadtmitte"]
config = EdgeConfig(site="bench", device="idle", source=clip, model=model, lines=scene.lines, zones=scene.zones)
counts = SceneCounts.empty([l.name for l in scene.lines], [z.name for z in scene.zones])
inferred = []
class Observer:
    def on_frame(self, result):
        if result.inferred:
            inferred.append(result.frame.index)
    def on_scene(self, frame):
        counts.add(frame)
clock = lambda: datetime(2026, 1, 5, 1, tzinfo=UTC)
pipeline = build_pipeline(config, MemorySink(), gating=gating == "on", clock=clock, observer=Observer())
before = os.times()
pipeline.run(threading.Event())
after = os.times()
loop_cpu_s = (after.user - before.user) + (after.system - before.system)
stats = pipeline.stats()
print(json.dumps({"loop_cpu_s": loop_cpu_s, "process_cpu_s": after.user + after.system, "counts": counts.to_json(),
                  "inferred": inferred, "idle_share": stats.idle_share}))
"""


def child_json(code: str, args: Sequence[str], what: str, tree: Path = REPO_ROOT) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; its last line of output, a JSON object, with the
    child's wall seconds added (``wall_s``)."""
    wall = time.perf_counter()
    # ``python -c`` imports from its working directory first: the code of ``tree``.
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False, cwd=tree)
    if done.returncode != 0:
        raise SystemExit(f"error: {what}: {done.stderr.strip()[-800:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - wall
    return result


def run_child(clip: Path, model: Path, gating: str, tree: Path = REPO_ROOT) -> dict[str, Any]:
    args = [str(clip.resolve()), str(model.resolve()), str(SCENES), gating]
    result = child_json(CHILD, args, f"{clip.name} gating {gating}", tree)
    label = gating if tree == REPO_ROOT else f"{gating} ({tree.name})"
    print(
        f"{clip.name:18} gating {label}: loop {result['loop_cpu_s']:7.1f} CPU-s, process "
        f"{result['process_cpu_s']:7.1f} CPU-s, {len(result['inferred'])} inferred, {result['wall_s']:.0f} s wall",
        file=sys.stderr,
        flush=True,
    )
    return result


def line_counts(counts: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {name: (line["in"], line["out"]) for name, line in counts["lines"].items()}


def presence(counts: dict[str, Any]) -> dict[str, list[bool]]:
    return {name: [c > 0 for c in zone["per_frame"]] for name, zone in counts["zones"].items()}


def first_events(gt_path: Path, width: int, height: int) -> dict[int, dict[str, int | None]]:
    """Per pasted passer-by: first ground-truth frame, and the first frame in which the
    ground-truth foot point is inside a zone or has crossed a line (plain geometry)."""
    rows = np.loadtxt(gt_path, delimiter=",", ndmin=2)
    zones = [Polygon(tuple(Point(p.x, p.y) for p in z.points)) for z in SCENE.zones]
    lines = [Segment(Point(a.x, a.y), Point(b.x, b.y)) for a, b in (line.points for line in SCENE.lines)]
    result: dict[int, dict[str, int | None]] = {}
    for person in sorted({int(r) for r in rows[:, 1]}):
        mine = rows[rows[:, 1] == person]
        event: int | None = None
        previous: Point | None = None
        for row in mine:
            left, top, w, h = row[2:6]
            foot = Point((left + w / 2) / width, (top + h) / height)
            crossed = previous is not None and any(
                (t := crossing_offset(line, previous, foot)) is not None and -0.5 <= t <= 0.5 for line in lines
            )
            if crossed or any(zone.contains(foot) for zone in zones):
                event = int(row[0])
                break
            previous = foot
        result[person] = {"first_frame": int(mine[0, 0]), "first_event": event}
    return result


def wake_report(clip: Path, inferred: list[int], fps: float) -> list[dict[str, Any]]:
    capture = cv2.VideoCapture(str(clip))
    width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    capture.release()
    inferred_set = sorted(inferred)
    report = []
    for person, events in first_events(clip.with_suffix(".gt.txt"), width, height).items():
        first = int(events["first_frame"] or 0)
        wake = next((i for i in inferred_set if i >= first), None)
        event = events["first_event"]
        report.append(
            {
                "person": person,
                "first_frame": first,
                "wake_frame": wake,
                "wake_delay_frames": None if wake is None else wake - first,
                "wake_delay_s": None if wake is None else round((wake - first) / fps, 3),
                "first_zone_or_line_frame": event,
                "in_time": wake is not None and (event is None or wake <= event),
            }
        )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    shared = Path(os.environ.get("MPP_SHARED_DIR", REPO_ROOT.parent / "shared"))
    parser.add_argument("--model", type=Path, default=shared / "models" / "yolov8n_int8_openvino_model")
    parser.add_argument("--fps", type=float, default=10.0, help="frame rate of the duty-cycle clips")
    parser.add_argument("--only-wake", action="store_true", help="only the wake-up clips")
    parser.add_argument("--no-wake", action="store_true", help="only busy11 and busy1")
    parser.add_argument("--before", type=Path, help="a checkout of earlier code: its gated runs too")
    parser.add_argument("--with-off", action="store_true", help="wake-up clips also ungated: identical counts")
    parser.add_argument("--jobs", type=int, default=1, help="children run at once (default 1)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    stadtmitte = shared / "data" / "mot15" / "TUD-Stadtmitte"
    frames = read_frames(stadtmitte / "TUD-Stadtmitte.mp4")
    gt = read_gt(stadtmitte / "gt" / "gt.txt")

    clips: dict[str, tuple[float, list[Part]]] = {}
    if not args.only_wake:
        clips["busy11"] = (args.fps, duty_clip([Part(track=t) for t in (10, 9, 8, 10)], 0.11, gaps=1))
        clips["busy1"] = (args.fps, duty_clip([Part(track=10), Part(track=10)], 0.01, gaps=2))
    if not args.no_wake:
        for fps in (7.0, 10.0, 12.0):
            clips[f"wake-{fps:g}fps"] = (fps, wake_clip(1.0))
        clips["wake-10fps-fast2"] = (10.0, wake_clip(2.0))
        clips["wake-7fps-fast3"] = (7.0, wake_clip(3.0))

    for name, (fps, parts) in clips.items():
        path = args.out / f"{name}.mp4"
        if not path.exists():
            count = build_clip(path, parts, fps, frames, gt)
            print(f"built {path.name}: {count} frames at {fps:g} fps", file=sys.stderr, flush=True)
    runs = [(name, "on") for name in clips]
    runs += [(name, "off") for name in clips if name in MIN_SPEEDUP or args.with_off]
    if args.before is not None:
        runs += [(name, "before") for name in clips if name in MIN_SPEEDUP]
    # Longest first, so that parallel jobs end together.
    runs.sort(key=lambda run: -(args.out / f"{run[0]}.mp4").stat().st_size * (20 if run[1] == "off" else 1))
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {
            run: pool.submit(
                run_child,
                args.out / f"{run[0]}.mp4",
                args.model,
                "on" if run[1] == "before" else run[1],
                args.before.resolve() if run[1] == "before" else REPO_ROOT,
            )
            for run in runs
        }
        results = {run: future.result() for run, future in futures.items()}

    summary: dict[str, Any] = {"clips": {}, "accepted": True}
    for name, (fps, _) in clips.items():
        path = args.out / f"{name}.mp4"
        gt_frames = {int(line.split(",")[0]) for line in path.with_suffix(".gt.txt").read_text().split()}
        total = int(cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FRAME_COUNT))
        on = results[(name, "on")]
        entry: dict[str, Any] = {
            "fps": fps,
            "frames": total,
            "busy_share": round(len(gt_frames) / total, 4),
            "on": {k: round(on[k], 3) for k in ("loop_cpu_s", "process_cpu_s", "idle_share")},
            "inferred_on": len(on["inferred"]),
            "wake": wake_report(path, on["inferred"], fps),
        }
        ok = all(w["in_time"] for w in entry["wake"])
        if (name, "off") in results:
            off = results[(name, "off")]
            entry["off"] = {k: round(off[k], 3) for k in ("loop_cpu_s", "process_cpu_s")}
            entry["loop_speedup"] = round(off["loop_cpu_s"] / on["loop_cpu_s"], 2)
            entry["process_speedup"] = round(off["process_cpu_s"] / on["process_cpu_s"], 2)
            entry["lines_on"] = line_counts(on["counts"])
            entry["lines_off"] = line_counts(off["counts"])
            entry["lines_identical"] = entry["lines_on"] == entry["lines_off"]
            entry["presence_frames_differing"] = {
                zone: sum(a != b for a, b in zip(p, presence(off["counts"])[zone], strict=True))
                for zone, p in presence(on["counts"]).items()
            }
            entry["presence_identical"] = not any(entry["presence_frames_differing"].values())
            ok = ok and entry["lines_identical"] and entry["presence_identical"]
            bar = MIN_SPEEDUP.get(name, 0.0)
            ok = ok and entry["loop_speedup"] >= bar and entry["process_speedup"] >= bar
            if (name, "before") in results:
                before = results[(name, "before")]
                entry["before"] = {k: round(before[k], 3) for k in ("loop_cpu_s", "process_cpu_s", "idle_share")}
                entry["before"]["inferred"] = len(before["inferred"])
                entry["before"]["loop_speedup"] = round(off["loop_cpu_s"] / before["loop_cpu_s"], 2)
                entry["before"]["process_speedup"] = round(off["process_cpu_s"] / before["process_cpu_s"], 2)
                entry["before"]["lines_identical"] = line_counts(before["counts"]) == entry["lines_off"]
                entry["before"]["presence_identical"] = presence(before["counts"]) == presence(off["counts"])
        entry["accepted"] = ok
        summary["clips"][name] = entry
        summary["accepted"] = summary["accepted"] and ok
        print(json.dumps({name: entry}), flush=True)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({"accepted": summary["accepted"]}))
    return 0 if summary["accepted"] else 1


if __name__ == "__main__":
    sys.exit(main())
