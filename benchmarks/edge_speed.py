"""Replay speed against a bare ``model.predict`` loop on the same video, model and machine.

    .venv/bin/python benchmarks/edge_speed.py [--video PATH] [--model PATH] [--repeat N]

Both loops decode every frame with OpenCV and run the model at the same imgsz; the
bare loop does nothing else. ``replay`` adds tracking, counting on the scene's
lines and zones, and interval records. Runs alternate so that both see the same
machine load; the ratio is replay fps / bare fps (acceptance: >= 0.9).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MPP_SHARED_DIR", ROOT.parent / "shared"))
CLIP = "TUD-Stadtmitte"

BARE = """
import sys, time, cv2
from ultralytics import YOLO
model = YOLO(sys.argv[1], task="detect")
capture = cv2.VideoCapture(sys.argv[2])
frames, started = 0, time.perf_counter()
while True:
    ok, image = capture.read()
    if not ok:
        break
    model.predict(image, imgsz=int(sys.argv[3]), verbose=False)
    frames += 1
print(frames / (time.perf_counter() - started))
"""


def bare_fps(model: str, video: Path, imgsz: int) -> float:
    done = subprocess.run(
        [sys.executable, "-c", BARE, model, str(video), str(imgsz)], capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def replay_fps(model: str, video: Path, imgsz: int) -> float:
    sys.path.insert(0, str(ROOT))
    from edge.evaluation.scenes import load_scenes

    flags = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")[CLIP].flags()
    done = subprocess.run(
        [sys.executable, "-m", "edge.cli", "replay", str(video), "--model", model, "--imgsz", str(imgsz),
         *flags, "--json"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return float(json.loads(done.stdout)["fps"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--video", type=Path, default=SHARED / "data" / "mot15" / CLIP / f"{CLIP}.mp4")
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n_int8_openvino_model"))
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    for run in range(1, args.repeat + 1):
        started = time.perf_counter()
        bare = bare_fps(args.model, args.video, args.imgsz)
        replay = replay_fps(args.model, args.video, args.imgsz)
        print(
            f"run {run}: bare predict {bare:.2f} fps, replay {replay:.2f} fps, "
            f"ratio {replay / bare:.3f} ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
