"""Cost of one idle-gate motion probe at several frame sizes.

    .venv/bin/python benchmarks/gate_cost.py [--frames N]

Times (process CPU) ``MotionGate.should_infer`` on N random decoded frames of each size, a quarter second
apart so that every frame is a probe: the preview (OpenCV area resize to 80 cells across and
grey conversion, as the video file adapter makes it) and the background comparison. Frames
between probes cost the gate nothing, and decoding is not counted.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from edge.camera import Frame
from edge.camera.opencv import grey_preview
from edge.gating import MotionGate

SIZES = ((640, 480), (1280, 720), (1920, 1080), (3840, 2160))
T0 = datetime(2026, 1, 5, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=100)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for width, height in SIZES:
        images = [rng.integers(0, 255, (height, width, 3), dtype=np.uint8) for _ in range(5)]
        frames = [
            Frame(images[i % len(images)], i, T0 + timedelta(seconds=0.25 * i), preview=grey_preview)
            for i in range(args.frames + 1)
        ]
        gate = MotionGate()
        gate.should_infer(frames[0], 0)
        started = time.process_time()
        for frame in frames[1:]:
            gate.should_infer(frame, 0)
        ms = (time.process_time() - started) / args.frames * 1000
        print(f"{width}x{height}: {ms:.2f} ms of CPU a probe")


if __name__ == "__main__":
    main()
