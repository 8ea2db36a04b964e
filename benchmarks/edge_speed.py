"""Replay speed against a bare ``model.predict`` loop on the same video, model and machine.

    .venv/bin/python benchmarks/edge_speed.py [--video PATH] [--model PATH] [--repeat N]
        [--gating on|off] [--resize WIDTHxHEIGHT | --canvas WIDTHxHEIGHT] [--crop off|on|both]

Both loops decode every frame with OpenCV and run the model at the same imgsz after
one untimed warm-up inference (replay's tracker warms up when it loads); the bare
loop does nothing else. ``replay`` (the ``mpp-edge replay --json`` code path)
adds tracking, counting on the scene's lines and zones and interval records, and
idle-scene gating as ``mpp-edge replay`` has it by default (``--gating on``; on a busy
clip every frame is still inferred, and the gate only adds its own cost).
``--resize`` measures on a copy of the video scaled to that size (e.g. 1920x1080:
decoding, and whatever scales with the frame, costs more); ``--canvas`` on a copy pasted at
its native size into a larger frame, the scene mapped with it (the wide camera of
``edge_region_study.py``). ``--crop both`` measures replay with the detection crop off and
on (``detection_crop``) in the same run, beside the bare loop. Each
run is a fresh process; the two alternate so that both see the same machine load.
Besides wall-clock fps (acceptance: replay >= 0.9x bare) it prints frames per
CPU-second of the process, which neighbours on a shared machine disturb less.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
SHARED = Path(os.environ.get("MPP_SHARED_DIR", ROOT.parent / "shared"))
CLIP = "TUD-Stadtmitte"

BARE = """
import json, sys, time, cv2
from ultralytics import YOLO
model = YOLO(sys.argv[1], task="detect")
model.predict(cv2.VideoCapture(sys.argv[2]).read()[1], imgsz=int(sys.argv[3]), verbose=False)  # warm-up, as replay's
capture = cv2.VideoCapture(sys.argv[2])
frames, wall, cpu = 0, time.perf_counter(), time.process_time()
while True:
    ok, image = capture.read()
    if not ok:
        break
    model.predict(image, imgsz=int(sys.argv[3]), verbose=False)
    frames += 1
print(json.dumps({"fps": frames / (time.perf_counter() - wall), "cpu_fps": frames / (time.process_time() - cpu)}))
"""

REPLAY = """
import json, sys, threading, time
from datetime import UTC, datetime
from edge.app import MemorySink, build_pipeline
from edge.config import EdgeConfig
scene = json.loads(sys.argv[4])
config = EdgeConfig(site="replay", device="replay", source=sys.argv[2], model=sys.argv[1], imgsz=int(sys.argv[3]),
                    lines=scene["lines"], zones=scene["zones"], detection_crop=sys.argv[6] == "on")
pipeline = build_pipeline(config, MemorySink(), gating=sys.argv[5] == "on", clock=lambda: datetime.now(UTC))
wall, cpu = time.perf_counter(), time.process_time()
pipeline.run(threading.Event())
stats = pipeline.stats()
frames = stats.frames_read
print(json.dumps({"fps": frames / (time.perf_counter() - wall), "cpu_fps": frames / (time.process_time() - cpu),
                  "inferred": stats.frames_inferred / frames}))
"""


def resized_copy(video: Path, size: str, folder: Path) -> Path:
    import cv2

    width, height = (int(v) for v in size.lower().split("x"))
    capture = cv2.VideoCapture(str(video))
    out = folder / f"{video.stem}-{width}x{height}.mp4"
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"mp4v"), capture.get(cv2.CAP_PROP_FPS), (width, height))
    while True:
        ok, image = capture.read()
        if not ok:
            break
        writer.write(cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR))
    capture.release()
    writer.release()
    return out


def canvas_copy(video: Path, size: str, folder: Path) -> Path:
    import cv2
    from edge_region_study import canvas_frames, parse_canvas

    canvas = parse_canvas(size)
    fps = cv2.VideoCapture(str(video)).get(cv2.CAP_PROP_FPS)
    out = folder / f"{video.stem}-canvas-{canvas.width}x{canvas.height}.mp4"
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"mp4v"), fps, (canvas.width, canvas.height))
    for image in canvas_frames(video, canvas):
        writer.write(image)
    writer.release()
    return out


def scene_json(canvas: str | None) -> str:
    """The clip's hand scene (mapped into the canvas, with one) as replay's lines and zones."""
    from edge.evaluation.scenes import load_scenes

    scene = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")[CLIP]
    lines, zones = list(scene.lines), list(scene.zones)
    if canvas:
        from edge_region_study import parse_canvas

        lines, zones = parse_canvas(canvas).lines(lines), parse_canvas(canvas).zones(zones)
    return json.dumps(
        {"lines": [x.model_dump(mode="json") for x in lines], "zones": [x.model_dump(mode="json") for x in zones]}
    )


def measure(
    script: str, model: str, video: Path, imgsz: int, gating: str, scene: str, crop: str = "off"
) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", script, model, str(video), str(imgsz), scene, gating, crop],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--video", type=Path, default=SHARED / "data" / "mot15" / CLIP / f"{CLIP}.mp4")
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n_int8_openvino_model"))
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--gating", choices=("on", "off"), default="on", help="replay gating (default on, as the CLI)")
    parser.add_argument("--resize", metavar="WIDTHxHEIGHT", help="measure on a copy of the video at this size")
    parser.add_argument("--canvas", metavar="WIDTHxHEIGHT", help="measure on a copy pasted into a frame this large")
    parser.add_argument("--crop", choices=("off", "on", "both"), default="off", help="replay's detection_crop")
    args = parser.parse_args()
    if args.resize:
        args.video = resized_copy(args.video, args.resize, Path(tempfile.mkdtemp(prefix="mpp-speed-")))
    if args.canvas:
        args.video = canvas_copy(args.video, args.canvas, Path(tempfile.mkdtemp(prefix="mpp-speed-")))
    scene = scene_json(args.canvas)
    crops = ("off", "on") if args.crop == "both" else (args.crop,)
    sides = ["bare", *(f"crop {c}" for c in crops)]
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for run in range(1, args.repeat + 1):
        # Rotate which goes first, so that a change in load does not favour one side.
        shift = (run - 1) % len(sides)
        for side in sides[shift:] + sides[:shift]:
            if side == "bare":
                runs[side].append(measure(BARE, args.model, args.video, args.imgsz, args.gating, scene))
            else:
                crop = side.removeprefix("crop ")
                runs[side].append(measure(REPLAY, args.model, args.video, args.imgsz, args.gating, scene, crop))
        bare = runs["bare"][-1]
        line = f"run {run}: bare predict {bare['fps']:.2f} fps ({bare['cpu_fps']:.2f}/CPU-s)"
        for side in sides[1:]:
            replay = runs[side][-1]
            line += (
                f"; replay {side} {replay['fps']:.2f} fps ({replay['cpu_fps']:.2f}/CPU-s), "
                f"ratio {replay['fps'] / bare['fps']:.3f} (CPU {replay['cpu_fps'] / bare['cpu_fps']:.3f}), "
                f"inferred {replay['inferred']:.0%}"
            )
        print(line, flush=True)
    for key, label in (("fps", "wall"), ("cpu_fps", "CPU")):
        bare_median = statistics.median(r[key] for r in runs["bare"])
        text = f"median {label}: bare predict {bare_median:.2f}"
        for side in sides[1:]:
            replay_median = statistics.median(r[key] for r in runs[side])
            text += f", replay {side} {replay_median:.2f} (ratio {replay_median / bare_median:.3f})"
        print(text)


if __name__ == "__main__":
    main()
