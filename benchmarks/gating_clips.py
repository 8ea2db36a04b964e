"""Build the gating benchmark clips from the shared MOT15 footage.

    .venv/bin/python benchmarks/gating_clips.py OUT_DIR [--idle-s 120] [--episodes 2]

Writes into OUT_DIR (never commit it):

- ``idle.mp4`` + ``idle.gt.txt``: an empty TUD-Stadtmitte scene for long stretches with real
  passers-by spliced in. The empty scene is the per-pixel temporal median of the clip taken
  only over pixels outside the ground-truth boxes (the one person standing still the whole
  clip is inpainted away). An episode pastes the real pixels of one annotated person who
  *enters at the image border* onto that background, frame by frame, then plays the same
  frames backwards so they walk back out where they came from: nobody pops up mid-scene and
  nobody vanishes. Idle frames get fresh sensor-like noise and the whole clip a slow
  brightness drift, so a gate cannot rely on a bit-exact static picture. The ground truth
  keeps the pasted persons' boxes with frame numbers remapped to the new clip.
- ``busy-stadtmitte.mp4``/``.gt.txt`` and ``busy-campus.mp4``/``.gt.txt``: the original clips
  (people in every frame), re-encoded the same way.
- ``clips.json``: frame counts and, per idle episode, its frame range.

Deterministic (fixed random seed). Needs cv2 (this script is a benchmark tool, not edge code).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

FPS = 25
REPO_ROOT = Path(__file__).resolve().parent.parent
BGR = Any  # cv2 images: uint8 (height, width, 3)


@dataclass(frozen=True)
class Episode:
    """One passer-by: a real track from its first frame at the border to ``last_frame``, and back."""

    track: int
    first_frame: int
    last_frame: int


# Tracks of TUD-Stadtmitte that enter at the image border (checked against gt.txt):
# 10 enters at the left edge on frame 134, 9 at the right edge on frame 74, 8 at the right on frame 6.
EPISODES = (Episode(10, 134, 179), Episode(9, 74, 179), Episode(8, 6, 179))


@dataclass(frozen=True)
class EpisodeSpan:
    track: int
    first_frame: int
    last_frame: int


@dataclass(frozen=True)
class ClipManifest:
    idle_frames: int
    idle_episodes: tuple[EpisodeSpan, ...]
    busy: dict[str, int]


def shared_dir() -> Path:
    return Path(os.environ.get("MPP_SHARED_DIR", REPO_ROOT.parent / "shared"))


def read_frames(path: Path) -> list[BGR]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    if not frames:
        raise SystemExit(f"error: cannot read video {path}")
    return frames


def read_gt(path: Path) -> NDArray[np.float64]:
    return np.loadtxt(path, delimiter=",", ndmin=2)


def box_mask(shape: tuple[int, int], row: NDArray[np.float64], margin_px: int) -> NDArray[np.bool_]:
    mask = np.zeros(shape, bool)
    left, top, width, height = row[2:6]
    x0, y0 = max(int(left) - margin_px, 0), max(int(top) - margin_px, 0)
    x1, y1 = int(left + width) + margin_px + 1, int(top + height) + margin_px + 1
    mask[y0:y1, x0:x1] = True
    return mask


def empty_scene(frames: list[BGR], gt: NDArray[np.float64]) -> BGR:
    """Temporal median over pixels no ground-truth box covers; inpaint what is always covered."""
    stack = np.stack(frames)
    covered = np.zeros(stack.shape[:3], bool)
    for row in gt:
        covered[int(row[0]) - 1] |= box_mask(stack.shape[1:3], row, margin_px=6)
    median: Any = np.median(stack, axis=0)
    # Masked median only where some box ever covers the pixel (a masked median everywhere is slow).
    ever = covered.any(axis=0)
    hidden = np.repeat(covered[:, ever][..., None], 3, axis=2)
    masked = np.ma.masked_array(stack[:, ever], hidden)
    median[ever] = np.ma.median(masked, axis=0).filled(0)  # type: ignore[no-untyped-call]
    median = median.astype(np.uint8)
    always: Any = covered.all(axis=0).astype(np.uint8) * 255
    return cv2.inpaint(median, always, 7, cv2.INPAINT_TELEA)


def person_alpha(frame: BGR, background: BGR, row: NDArray[np.float64]) -> Any:
    """Soft mask of the person in ``row``'s box: pixels that differ from the empty scene."""
    region = box_mask(frame.shape[:2], row, margin_px=4)
    differs = np.abs(frame.astype(np.int16) - background.astype(np.int16)).max(axis=2) > 20
    mask = (differs & region).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    mask = cv2.dilate(mask, np.ones((5, 5), np.uint8)) * region
    return cv2.GaussianBlur(mask.astype(np.float32), (7, 7), 0)


class ClipWriter:
    """Writes frames with noise and slow brightness drift, and MOT ground truth with new frame numbers."""

    def __init__(self, path: Path, size: tuple[int, int], seed: int) -> None:
        self.path = path
        self._writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), FPS, size)
        if not self._writer.isOpened():
            raise SystemExit(f"error: cannot write {path}")
        self._rng = np.random.default_rng(seed)
        self.frames = 0
        self.gt_rows: list[str] = []
        self._pool: list[NDArray[np.float32]] = []

    def write(self, image: NDArray[np.float32], add_noise: bool, boxes: list[tuple[int, NDArray[np.float64]]]) -> None:
        self.frames += 1
        if add_noise:
            # ±3 % brightness over a 60 s period (clouds, a door), plus sensor noise.
            gain = 1.0 + 0.03 * np.sin(2 * np.pi * self.frames / (60 * FPS))
            image = image * np.float32(gain) + self._noise(image.shape)
        self._writer.write(np.clip(image, 0, 255).astype(np.uint8))
        for track, row in boxes:
            fields = [self.frames, track, *row[2:6], 1, -1, -1, -1]
            self.gt_rows.append(",".join(f"{v:g}" for v in fields))

    def _noise(self, shape: tuple[int, ...]) -> NDArray[np.float32]:
        # Fresh Gaussian noise per frame is the slow part; a random pick from a pool of 64 is as good.
        if not self._pool or self._pool[0].shape != shape:
            self._pool = [self._rng.normal(0, 2.0, shape).astype(np.float32) for _ in range(64)]
        return self._pool[int(self._rng.integers(len(self._pool)))]

    def close(self) -> None:
        self._writer.release()
        self.path.with_suffix(".gt.txt").write_text("\n".join(self.gt_rows) + "\n")


def build_idle(out: Path, frames: list[BGR], gt: NDArray[np.float64], idle_s: float, episodes: int) -> ClipManifest:
    background = empty_scene(frames, gt)
    cv2.imwrite(str(out / "idle-background.png"), background)
    height, width = background.shape[:2]
    writer = ClipWriter(out / "idle.mp4", (width, height), seed=7)
    base = background.astype(np.float32)
    idle_frames = round(idle_s * FPS)
    spans = []

    def idle_stretch() -> None:
        for _ in range(idle_frames):
            writer.write(base, add_noise=True, boxes=[])

    idle_stretch()
    for number, episode in enumerate(EPISODES[:episodes], start=1):
        rows = gt[gt[:, 1] == episode.track]
        by_frame = {int(r[0]): r for r in rows}
        forward = list(range(episode.first_frame, episode.last_frame + 1))
        start = writer.frames + 1
        for source in forward + forward[::-1]:
            row = by_frame[source]
            alpha = person_alpha(frames[source - 1], background, row)[..., None]
            image = alpha * frames[source - 1].astype(np.float32) + (1 - alpha) * base
            writer.write(image, add_noise=True, boxes=[(number * 100 + episode.track, row)])
        spans.append(EpisodeSpan(episode.track, start, writer.frames))
        idle_stretch()
    writer.close()
    return ClipManifest(writer.frames, tuple(spans), {})


def build_busy(out: Path, name: str, frames: list[BGR], gt: NDArray[np.float64]) -> int:
    height, width = frames[0].shape[:2]
    writer = ClipWriter(out / f"busy-{name}.mp4", (width, height), seed=0)
    for index, frame in enumerate(frames, start=1):
        writer.write(frame.astype(np.float32), add_noise=False, boxes=[(int(r[1]), r) for r in gt[gt[:, 0] == index]])
    writer.close()
    return writer.frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="output folder (created; never commit it)")
    parser.add_argument("--idle-s", type=float, default=120.0, help="seconds of empty scene around each episode")
    parser.add_argument("--episodes", type=int, default=2, choices=range(1, len(EPISODES) + 1))
    parser.add_argument("--no-busy", action="store_true", help="only the idle clip")
    args = parser.parse_args(argv)
    mot15 = shared_dir() / "data" / "mot15"
    if not mot15.is_dir():
        print(f"error: shared footage not found at {mot15}; set MPP_SHARED_DIR", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)

    stadtmitte = mot15 / "TUD-Stadtmitte"
    frames = read_frames(stadtmitte / "TUD-Stadtmitte.mp4")
    manifest = build_idle(args.out, frames, read_gt(stadtmitte / "gt" / "gt.txt"), args.idle_s, args.episodes)
    if not args.no_busy:
        for name, folder in (("stadtmitte", "TUD-Stadtmitte"), ("campus", "TUD-Campus")):
            clip = mot15 / folder
            source = frames if folder == "TUD-Stadtmitte" else read_frames(clip / f"{folder}.mp4")
            manifest.busy[name] = build_busy(args.out, name, source, read_gt(clip / "gt" / "gt.txt"))
    (args.out / "clips.json").write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    print(json.dumps(asdict(manifest)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
