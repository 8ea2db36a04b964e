"""Cost of the idle-scene gate per frame at several frame sizes.

    .venv/bin/python benchmarks/gate_cost.py [--frames N]

Times ``MotionGate.should_infer`` over N random frames of each size (after one frame that
sets the background), with a live track so every frame takes the full path.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from edge.gating import MotionGate

SIZES = ((640, 480), (1280, 720), (1920, 1080), (3840, 2160))


@dataclass(frozen=True)
class RandomFrame:
    image: NDArray[np.uint8]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=100)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for width, height in SIZES:
        frames = [RandomFrame(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)) for _ in range(5)]
        gate = MotionGate()
        gate.should_infer(frames[0], 0)
        started = time.perf_counter()
        for i in range(args.frames):
            gate.should_infer(frames[i % len(frames)], 1)
        ms = (time.perf_counter() - started) / args.frames * 1000
        print(f"{width}x{height}: {ms:.2f} ms a frame")


if __name__ == "__main__":
    main()
