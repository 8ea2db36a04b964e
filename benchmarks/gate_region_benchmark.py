"""Idle gate on the detection region: a wide view with motion outside the counted area.

    nice -n 10 .venv/bin/python benchmarks/gate_region_benchmark.py /tmp/gate-region [--model DIR]
        [--fps 10] [--busy-share 0.1] [--rounds 3] [--no-ungated] [--json OUT]

With ``detection_crop`` the motion gate compares only the preview cells over the tracker's
detection region (edge.gating.motion_gate), so people moving elsewhere in the picture no longer
wake the model. This builds the case (never commit OUT_DIR): a 1920x1080 picture over a blurred,
stretched copy of the empty TUD-Stadtmitte scene (no detectable person), with

- the counted scene at the bottom left: the empty scene (as benchmarks/gating_clips.py makes it)
  with real passers-by pasted in as benchmarks/duty_cycle_benchmark.py does (tracks 10 and 9,
  entering at the image border, walking in and back out), busy ``--busy-share`` of the time, and
  TUD-Stadtmitte's lines and zones (benchmarks/edge_scenes.yaml) mapped into the picture as
  benchmarks/edge_region_study.py maps them;
- at the top right, far outside the detection region (a corridor at the back of the view),
  the original TUD-Stadtmitte clip looping: people walking in every frame;

plus fresh sensor noise per frame and a slow ±3 % brightness drift over the whole picture.

Each run is a fresh child process through ``build_pipeline`` (the code path of ``mpp-edge
replay``), gating on, with ``detection_crop`` off and on alternately, ``--rounds`` times, then
once each with gating off for reference. Per run: frames inferred, CPU-seconds of the frame
loop (os.times in the child: user + system, all threads; model loading and warm-up excluded)
and of the whole child, wall seconds of the loop, line counts, per-frame zone counts, and line
accuracy / zone MAE against the pasted passers-by's ground truth.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
from collections.abc import Iterator, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent))
from duty_cycle_benchmark import SCENE, SOURCE_FPS, WALKS, Part, child_json, duty_clip, line_counts
from edge_region_study import CLIP_SIZE, Canvas
from gating_clips import empty_scene, person_alpha, read_frames, read_gt

from edge.counting import detection_region

REPO_ROOT = Path(__file__).resolve().parent.parent
WIDE = (1920, 1080)


@dataclass(frozen=True, slots=True)
class Placed(Canvas):
    """A 640x480 clip at (``left``, ``top``) of the canvas, not in its middle."""

    left: int = 0
    top: int = 0

    @property
    def offset(self) -> tuple[int, int]:
        return self.left, self.top


# The counted scene at the bottom left; the busy corridor at the top right, well outside the
# region (the scene's geometry plus a tenth of 1920 px on every side: x 0-896, y 536-1080).
COUNTED = Placed(*WIDE, left=96, top=560)
CORRIDOR = Placed(*WIDE, left=1184, top=40)


def sources(parts: Sequence[Part], fps: float) -> Iterator[tuple[int, int]]:
    """Per output frame: (part number, source frame of its passer-by, or 0 for the empty scene),
    resampled from the 25 fps source as duty_cycle_benchmark.build_clip does."""
    for number, part in enumerate(parts, start=1):
        if part.track:
            first, last = WALKS[part.track]
            forward = list(range(first, last + 1))
            sequence = forward + forward[::-1]
            steps = math.floor((len(sequence) - 1) * fps / (SOURCE_FPS * part.speed)) + 1
            for k in range(steps):
                yield number, sequence[round(k * SOURCE_FPS * part.speed / fps)]
        else:
            for _ in range(round(part.idle_s * fps)):
                yield number, 0


def build_clip(path: Path, parts: Sequence[Part], fps: float, frames: list[Any], gt: NDArray[np.float64]) -> int:
    """Write the wide clip and the counted scene's ground truth in canvas pixels (.gt.txt)."""
    background = empty_scene(frames, gt)
    base = background.astype(np.float32)
    # The rest of the picture: the empty scene's colours blurred over the canvas, no person in it.
    tiny = cv2.resize(background, (16, 12), interpolation=cv2.INTER_AREA)
    canvas = cv2.resize(tiny, WIDE, interpolation=cv2.INTER_LINEAR).astype(np.float32)
    rng = np.random.default_rng(7)
    # A small pool: one 1080p float frame is 25 MB.
    shape: tuple[int, ...] = canvas.shape
    noise = [rng.normal(0, 2.0, shape).astype(np.float32) for _ in range(8)]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, WIDE)
    (cx, cy), (ox, oy) = COUNTED.offset, CORRIDOR.offset
    w, h = CLIP_SIZE
    rows: list[str] = []
    count = 0
    for number, source in sources(parts, fps):
        count += 1
        image = canvas.copy()
        if source:
            part = parts[number - 1]
            row = next(r for r in gt[gt[:, 1] == part.track] if int(r[0]) == source)
            alpha = person_alpha(frames[source - 1], background, row)[..., None]
            image[cy : cy + h, cx : cx + w] = alpha * frames[source - 1].astype(np.float32) + (1 - alpha) * base
            left, top, bw, bh = row[2:6]
            rows.append(f"{count},{number},{left + cx:g},{top + cy:g},{bw:g},{bh:g},1,-1,-1,-1")
        else:
            image[cy : cy + h, cx : cx + w] = base
        # The corridor: the real clip at the same pace, looping (people in every frame).
        image[oy : oy + h, ox : ox + w] = frames[round((count - 1) * SOURCE_FPS / fps) % len(frames)]
        gain = np.float32(1.0 + 0.03 * math.sin(2 * math.pi * count / (60 * fps)))
        image = image * gain + noise[int(rng.integers(len(noise)))]
        writer.write(np.clip(image, 0, 255).astype(np.uint8))
    writer.release()
    path.with_suffix(".gt.txt").write_text("\n".join(rows) + "\n")
    return count


def geometry() -> dict[str, Any]:
    """The counted scene's lines and zones in the canvas's normalised coordinates (JSON)."""
    return {
        "lines": [line.model_dump(mode="json") for line in COUNTED.lines(SCENE.lines)],
        "zones": [zone.model_dump(mode="json") for zone in COUNTED.zones(SCENE.zones)],
    }


CHILD = """
import json, os, sys, threading
from datetime import UTC, datetime
from pathlib import Path
from edge.app import MemorySink, build_pipeline
from edge.config import EdgeConfig
from edge.counting import TRUTH_RULES
from edge.evaluation import SceneCounts, compare, load_mot
from edge.evaluation.counts import count_tracks
clip, model, layout, gating, crop = sys.argv[1:6]
scene = json.loads(layout)
config = EdgeConfig(site="bench", device="wide", source=clip, model=model, lines=scene["lines"], zones=scene["zones"],
                    detection_crop=crop == "on")
counts = SceneCounts.empty([l.name for l in config.lines], [z.name for z in config.zones])
first = []
class Observer:
    def on_frame(self, result):
        if not first:
            first.append(result.frame)
    def on_scene(self, frame):
        counts.add(frame)
clock = lambda: datetime(2026, 1, 5, 1, tzinfo=UTC)
pipeline = build_pipeline(config, MemorySink(), gating=gating == "on", clock=clock, observer=Observer())
before, wall = os.times(), os.times().elapsed
pipeline.run(threading.Event())
after = os.times()
frame = first[0]
truth = count_tracks(load_mot(Path(clip).with_suffix(".gt.txt"), frame.width, frame.height), counts.frames,
                     config.lines, config.zones, TRUTH_RULES, start=frame.ts, fps=pipeline.source.fps_hint)
report = compare(counts, truth)
stats = pipeline.stats()
print(json.dumps({"loop_cpu_s": (after.user - before.user) + (after.system - before.system),
                  "process_cpu_s": after.user + after.system, "loop_wall_s": after.elapsed - wall,
                  "frames": stats.frames_read, "inferred": stats.frames_inferred, "counts": counts.to_json(),
                  "line_accuracy": report.line_accuracy, "zone_mae": report.zone_mae}))
"""


def run_child(clip: Path, model: Path, gating: str, crop: str) -> dict[str, Any]:
    args = [str(clip.resolve()), str(model.resolve()), json.dumps(geometry()), gating, crop]
    result = child_json(CHILD, args, f"gating {gating} crop {crop}")
    print(
        f"gating {gating:3} crop {crop:3}: {result['inferred']:5}/{result['frames']} inferred, loop "
        f"{result['loop_cpu_s']:6.1f} CPU-s {result['loop_wall_s']:6.1f} s wall, process {result['process_cpu_s']:6.1f}"
        f" CPU-s, lines {sum(v['in'] + v['out'] for v in result['counts']['lines'].values())} events",
        file=sys.stderr,
        flush=True,
    )
    return result


def lines(result: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return line_counts(result["counts"])


def zones(result: dict[str, Any]) -> dict[str, list[int]]:
    return {name: zone["per_frame"] for name, zone in result["counts"]["zones"].items()}


def summary(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the rounds of one setting, and whether all rounds counted the same."""
    return {
        "frames": runs[0]["frames"],
        "inferred": [r["inferred"] for r in runs],
        "inferred_share": round(statistics.median(r["inferred"] / r["frames"] for r in runs), 4),
        **{k: round(statistics.median(r[k] for r in runs), 2) for k in ("loop_cpu_s", "process_cpu_s", "loop_wall_s")},
        "lines": lines(runs[0]),
        "zone_person_frames": {name: sum(v) for name, v in zones(runs[0]).items()},
        "line_accuracy": runs[0]["line_accuracy"],
        "zone_mae": runs[0]["zone_mae"],
        "rounds_count_alike": all(lines(r) == lines(runs[0]) and zones(r) == zones(runs[0]) for r in runs),
    }


def frames_differing(a: dict[str, Any], b: dict[str, Any]) -> dict[str, int]:
    za, zb = zones(a), zones(b)
    return {name: sum(x != y for x, y in zip(za[name], zb[name], strict=True)) for name in za}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder for the clip (created; never commit it)")
    shared = Path(os.environ.get("MPP_SHARED_DIR", REPO_ROOT.parent / "shared"))
    parser.add_argument("--model", type=Path, default=shared / "models" / "yolov8n_int8_openvino_model")
    parser.add_argument("--fps", type=float, default=10.0, help="frame rate of the clip")
    parser.add_argument("--busy-share", type=float, default=0.1, help="share of the time the counted scene is busy")
    parser.add_argument("--rounds", type=int, default=3, help="alternating gated rounds, crop off and on")
    parser.add_argument("--no-ungated", action="store_true", help="skip the gating-off reference runs")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()

    region = detection_region(
        [line.as_counting() for line in COUNTED.lines(SCENE.lines)],
        [zone.as_counting() for zone in COUNTED.zones(SCENE.zones)],
        *WIDE,
    )
    assert region is not None and region.x2 * WIDE[0] <= CORRIDOR.left, "the corridor must lie outside the region"
    clip = args.out / f"wide-busy{round(args.busy_share * 100)}-{args.fps:g}fps.mp4"
    if not clip.exists():
        stadtmitte = shared / "data" / "mot15" / "TUD-Stadtmitte"
        frames = read_frames(stadtmitte / "TUD-Stadtmitte.mp4")
        parts = duty_clip([Part(track=10), Part(track=9)], args.busy_share, gaps=1)
        count = build_clip(clip, parts, args.fps, frames, read_gt(stadtmitte / "gt" / "gt.txt"))
        print(f"built {clip}: {count} frames at {args.fps:g} fps", file=sys.stderr, flush=True)

    gated: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for number in range(args.rounds):
        for crop in ("off", "on") if number % 2 == 0 else ("on", "off"):
            gated[crop].append(run_child(clip, args.model, "on", crop))
    ungated = {} if args.no_ungated else {crop: run_child(clip, args.model, "off", crop) for crop in ("off", "on")}

    total = gated["off"][0]["frames"]
    truth_frames = {int(line.split(",")[0]) for line in clip.with_suffix(".gt.txt").read_text().split()}
    result: dict[str, Any] = {
        "clip": clip.name,
        "frames": total,
        "fps": args.fps,
        "counted_busy_share": round(len(truth_frames) / total, 4),
        "region_px": [round(v * s) for v, s in zip(astuple(region), WIDE * 2, strict=True)],
        "gated": {crop: summary(runs) for crop, runs in gated.items()},
        "ratios_on_over_off": {
            key: [round(on[key] / off[key], 3) for off, on in zip(gated["off"], gated["on"], strict=True)]
            for key in ("inferred", "loop_cpu_s", "process_cpu_s", "loop_wall_s")
        },
        "gated_crop_lines_alike": lines(gated["off"][0]) == lines(gated["on"][0]),
        "gated_crop_zone_frames_differing": frames_differing(gated["off"][0], gated["on"][0]),
        "load_average": {"start": load_start, "end": os.getloadavg()},
    }
    for crop, run in ungated.items():
        result.setdefault("ungated", {})[crop] = {
            **summary([run]),
            "lines_as_gated": lines(run) == lines(gated[crop][0]),
            "zone_frames_differing_from_gated": frames_differing(run, gated[crop][0]),
        }
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
