"""Tracker configuration study on the shared MOT15 clips (the counting rules stay fixed).

Runs the detector once per clip (persons, threshold 0.01, the shared model at 640 px) and
caches every detection per frame under ``--cache`` (default /tmp, never the repository). Then
replays the cached detections offline through ultralytics' own BYTETracker / BOTSORT under each
tracker setting, turns the tracks into the counting core's ``Track`` exactly as
``edge.vision.tracker.UltralyticsTracker`` does, counts them with ``TRACKER_RULES`` and compares
with ground truth exactly as ``benchmarks/edge_accuracy.py`` does (hand scenes and the
generated grid, both truths).

First row, "live": the real pipeline (``replay``'s code path) with the shipped config, to check
that the offline replay of the same tracker setting reproduces it (full size only).

``--scale 0.5`` shrinks every frame into a black frame of the same size before detection
(people as from a camera further away) and maps the boxes back: a check that a setting
still helps when people are smaller and scored lower.

    .venv/bin/python benchmarks/edge_tracker_study.py [--scale 1.0] [--cache DIR] [--no-live] [--json]

It hands the counting core tracks alone, so zones count tracks: the rules before zone counts
came from each frame's detections (``edge_degradation_study.py`` measures those).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

# On a machine's first import ultralytics prints a notice on stdout (creating its settings
# file), before its logger can be sent to stderr: stdout belongs to --json.
with contextlib.redirect_stdout(sys.stderr):
    from ultralytics.engine.results import Boxes
    from ultralytics.models.yolo.model import YOLO
    from ultralytics.trackers.bot_sort import BOTSORT
    from ultralytics.trackers.byte_tracker import BYTETracker
    from ultralytics.utils import LOGGER, YAML, IterableSimpleNamespace
    from ultralytics.utils.checks import check_yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edge_accuracy import TRUTHS, grid

from edge.app import replay
from edge.config import EdgeConfig, LineConfig, ZoneConfig
from edge.counting import TRACKER_RULES, Box, Track
from edge.evaluation import compare, load_mot
from edge.evaluation.counts import SceneCounts, count_tracks
from edge.evaluation.scenes import load_scenes

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MPP_SHARED_DIR", ROOT.parent / "shared"))
START = datetime(2026, 1, 1, tzinfo=UTC)
# (tracker yaml, overrides, detection threshold handed to the tracker)
SETTINGS: dict[str, tuple[str, dict[str, Any], float]] = {
    "bytetrack (default)": ("bytetrack.yaml", {}, 0.1),
    "botsort, no ReID, no GMC": ("botsort.yaml", {"gmc_method": "none"}, 0.1),
    "botsort (default, sparseOptFlow GMC)": ("botsort.yaml", {}, 0.1),
    "bytetrack high/new 0.3": ("bytetrack.yaml", {"track_high_thresh": 0.3, "new_track_thresh": 0.3}, 0.1),
    "bytetrack high/new 0.4": ("bytetrack.yaml", {"track_high_thresh": 0.4, "new_track_thresh": 0.4}, 0.1),
    "bytetrack high/new 0.5": ("bytetrack.yaml", {"track_high_thresh": 0.5, "new_track_thresh": 0.5}, 0.1),
    "bytetrack new 0.4 only": ("bytetrack.yaml", {"new_track_thresh": 0.4}, 0.1),
    "bytetrack new 0.5 only": ("bytetrack.yaml", {"new_track_thresh": 0.5}, 0.1),
    "bytetrack new 0.35 only": ("bytetrack.yaml", {"new_track_thresh": 0.35}, 0.1),
    "bytetrack new 0.45 only": ("bytetrack.yaml", {"new_track_thresh": 0.45}, 0.1),
    "bytetrack new 0.6 only": ("bytetrack.yaml", {"new_track_thresh": 0.6}, 0.1),
    "bytetrack new 0.7 only": ("bytetrack.yaml", {"new_track_thresh": 0.7}, 0.1),
    "bytetrack new 0.5, match 0.7": ("bytetrack.yaml", {"new_track_thresh": 0.5, "match_thresh": 0.7}, 0.1),
    "botsort no GMC, new 0.5": ("botsort.yaml", {"gmc_method": "none", "new_track_thresh": 0.5}, 0.1),
    "bytetrack buffer 60": ("bytetrack.yaml", {"track_buffer": 60}, 0.1),
    "bytetrack buffer 15": ("bytetrack.yaml", {"track_buffer": 15}, 0.1),
    "bytetrack match 0.7": ("bytetrack.yaml", {"match_thresh": 0.7}, 0.1),
    "bytetrack match 0.9": ("bytetrack.yaml", {"match_thresh": 0.9}, 0.1),
    "bytetrack fuse_score off": ("bytetrack.yaml", {"fuse_score": False}, 0.1),
    "bytetrack low 0.05 (det 0.05)": ("bytetrack.yaml", {"track_low_thresh": 0.05}, 0.05),
    "bytetrack det 0.25 (no low stage)": ("bytetrack.yaml", {}, 0.25),
}


@dataclass(frozen=True, slots=True)
class Clip:
    name: str
    video: Path
    gt: Path
    size: tuple[int, int]
    fps: float
    # Per frame (1..N): array of rows x1, y1, x2, y2, score (pixels).
    detections: tuple[np.ndarray, ...]


def frames_of(video: Path) -> Iterator[np.ndarray]:
    capture = cv2.VideoCapture(str(video))
    try:
        while True:
            ok, image = capture.read()
            if not ok:
                return
            yield image
    finally:
        capture.release()


def detect(name: str, model_path: str, cache: Path, scale: float = 1.0) -> Clip:
    """``scale`` < 1: each frame is shrunk and pasted into a black frame of the original size
    (people further from the camera: smaller, lower scores); boxes are mapped back, so the
    same lines, zones and ground truth apply."""
    folder = SHARED / "data" / "mot15" / name
    video, gt = folder / f"{name}.mp4", folder / "gt" / "gt.txt"
    capture = cv2.VideoCapture(str(video))
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 25.0)
    capture.release()
    path = cache / f"{name}-x{scale}.npz"
    if path.exists():
        data = np.load(path)
        dets = tuple(data[f"f{i}"] for i in range(int(data["n"])))
        size = (int(data["w"]), int(data["h"]))
    else:
        model: Any = YOLO(model_path, task="detect")
        per_frame = []
        size = (0, 0)
        for image in frames_of(video):
            size = (image.shape[1], image.shape[0])
            if scale != 1.0:
                small = cv2.resize(
                    image, (round(size[0] * scale), round(size[1] * scale)), interpolation=cv2.INTER_AREA
                )
                image = np.zeros_like(image)
                image[: small.shape[0], : small.shape[1]] = small
            boxes = model.predict(image, conf=0.01, classes=[0], imgsz=640, verbose=False)[0].boxes
            per_frame.append(np.concatenate([boxes.xyxy.numpy() / scale, boxes.conf.numpy()[:, None]], axis=1))
        dets = tuple(per_frame)
        cache.mkdir(parents=True, exist_ok=True)
        np.savez(path, n=len(dets), w=size[0], h=size[1], **{f"f{i}": d for i, d in enumerate(dets)})
    return Clip(name, video, gt, size, fps, dets)


def track(clip: Clip, yaml_name: str, overrides: dict[str, Any], threshold: float) -> dict[int, tuple[Track, ...]]:
    """Cached detections through ultralytics' tracker, as ``on_predict_postprocess_end`` calls it."""
    load: Any = YAML.load
    find: Any = check_yaml
    cfg: Any = IterableSimpleNamespace(**{**load(find(yaml_name)), **overrides})
    tracker_class: Any = BOTSORT if cfg.tracker_type == "botsort" else BYTETracker
    tracker = tracker_class(args=cfg)
    needs_frames = cfg.tracker_type == "botsort" and cfg.gmc_method not in ("none", None)
    images: Iterator[np.ndarray | None] = frames_of(clip.video) if needs_frames else iter(lambda: None, 0)
    w, h = clip.size
    out: dict[int, tuple[Track, ...]] = {}
    for index, (rows, image) in enumerate(zip(clip.detections, images, strict=False), start=1):
        rows = rows[rows[:, 4] >= threshold]
        data = torch.zeros((len(rows), 6))
        data[:, :5] = torch.from_numpy(rows)
        boxes: Any = Boxes(data, (h, w))
        det = boxes.cpu().numpy()
        tracks = tracker.update(det, image)
        out[index] = tuple(
            Track.from_box(
                int(t[4]),
                Box(*(min(1.0, max(0.0, v)) for v in (t[0] / w, t[1] / h, t[2] / w, t[3] / h))),
                float(t[5]),
            )
            for t in tracks
        )
    return out


def ultralytics_logs_to_stderr() -> None:
    """ultralytics logs to stdout, which belongs to --json."""
    for handler in LOGGER.handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)


def same_tracks(a: dict[int, tuple[Track, ...]], b: dict[int, tuple[Track, ...]], frames: int) -> int:
    """Frames on which both hold the same boxes and scores, with ids that map one-to-one."""
    ids: dict[int, int] = {}
    same = 0
    for index in range(1, frames + 1):
        x = sorted(a.get(index, ()), key=lambda t: (t.box.x1, t.box.y1, t.box.x2, t.box.y2))
        y = sorted(b.get(index, ()), key=lambda t: (t.box.x1, t.box.y1, t.box.x2, t.box.y2))
        if len(x) == len(y) and all(
            p.box == q.box and p.confidence == q.confidence and ids.setdefault(p.track_id, q.track_id) == q.track_id
            for p, q in zip(x, y, strict=True)
        ):
            same += 1
    return same if len(set(ids.values())) == len(ids) else -1


def score(
    tracks: dict[int, tuple[Track, ...]], truths: dict[str, SceneCounts], clip: Clip, lines: Any, zones: Any
) -> dict[str, tuple[float | None, float | None]]:
    n = len(clip.detections)
    counts = count_tracks(tracks, n, lines, zones, TRACKER_RULES, start=START, fps=clip.fps)
    return {
        truth_name: (report.line_accuracy, report.zone_mae)
        for truth_name, truth in truths.items()
        for report in [compare(counts, truth)]
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n_int8_openvino_model"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/mpp-tracker-study"))
    parser.add_argument("--scale", type=float, default=1.0, help="shrink frames (people further away)")
    parser.add_argument("--no-live", action="store_true", help="skip the live-pipeline reference row")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ultralytics_logs_to_stderr()
    scenes = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")
    grid_lines, grid_zones = grid()
    results: dict[str, Any] = {}
    for name, scene in scenes.items():
        clip = detect(name, args.model, args.cache, args.scale)
        truth_tracks = load_mot(clip.gt, *clip.size)
        n = len(clip.detections)
        where: dict[str, tuple[list[LineConfig], list[ZoneConfig]]] = {
            "scene": (list(scene.lines), list(scene.zones)),
            "grid": (grid_lines, grid_zones),
        }
        truths = {
            w: {
                t: count_tracks(truth_tracks, n, ls, zs, rules, start=START, fps=clip.fps)
                for t, rules in TRUTHS.items()
            }
            for w, (ls, zs) in where.items()
        }
        rows: dict[str, Any] = {}
        runs: dict[str, dict[int, tuple[Track, ...]]] = {}
        if not args.no_live and args.scale == 1.0:
            config = EdgeConfig.model_validate(
                {"site": "s", "device": "d", "source": str(clip.video), "model": args.model}
            )
            live = replay(config, gating=False, clock=lambda: START, keep_tracks=True)
            runs["live pipeline (shipped config)"] = live.tracks
        for label, (yaml_name, overrides, threshold) in SETTINGS.items():
            runs[label] = track(clip, yaml_name, overrides, threshold)
        if "live pipeline (shipped config)" in runs:
            same = same_tracks(runs["live pipeline (shipped config)"], runs["bytetrack (default)"], n)
            rows["live = offline bytetrack (frames with identical tracks)"] = same
            if not args.json:
                print(f"{name:15s} live pipeline = offline bytetrack on {same}/{n} frames", flush=True)
        for label, tracks in runs.items():
            rows[label] = {w: score(tracks, truths[w], clip, *where[w]) for w in where}
            if not args.json:
                cells = "  ".join(f"{w}/{t}: {a} / {m}" for w in where for t, (a, m) in rows[label][w].items())
                print(f"{name:15s} {label:38s} {cells}", flush=True)
        results[name] = rows
    if args.json:
        json.dump(results, sys.stdout)
        print()


if __name__ == "__main__":
    main()
