"""Detection on the region of the lines and zones (``detection_crop``), on a wide camera.

The shared clips are 640x480 and their scenes span the frame, so a crop cannot help there.
The case the crop is for, a wide camera whose counted scene is a small part of the frame, is
built from them: each frame is pasted at its native size into the middle of a larger canvas
(1280x720 or 1920x1080) over a heavily blurred, stretched copy of itself (colour and light of
a scene, no detectable person), and the lines, zones and ground truth are mapped into the
canvas's normalised coordinates. Without the crop the model sees the whole canvas shrunk to
640 px (people 2x or 3x smaller than in the clip); with it, the region that
``edge.counting.detection_region`` computes from the geometry (the hand scene's, or the
grid's), cut out before the letterbox, boxes mapped back with ``edge.counting.to_frame``:
the adapter's code path.

Detections (persons, threshold 0.01, 640 px) are cached under ``--cache`` per clip, canvas and
region, then tracked offline by ultralytics' ByteTrack and counted with the shipped rules at
25, 12.5, 8.3 and 7 fps, as ``edge_degradation_study.py`` does.

    .venv/bin/python benchmarks/edge_region_study.py [--cache DIR] [--canvases 640x480,1280x720,1920x1080]
        [--margin 0.1] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

with contextlib.redirect_stdout(sys.stderr):
    from ultralytics.models.yolo.model import YOLO

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edge_accuracy import grid
from edge_degradation_study import CLIPS, RATES, RULE_SETS, START, frame_picks, observations, study_cli, track
from edge_tracker_study import ROOT, SHARED, frames_of

from edge.config import LineConfig, ZoneConfig
from edge.counting import TRUTH_RULES, Box, Track, detection_region, to_frame
from edge.counting.region import REGION_MARGIN
from edge.evaluation import compare, load_mot
from edge.evaluation.counts import count_tracks
from edge.evaluation.scenes import load_scenes

CLIP_SIZE = (640, 480)


@dataclass(frozen=True, slots=True)
class Canvas:
    """Where a 640x480 clip sits in a larger frame (pixels)."""

    width: int
    height: int

    @property
    def offset(self) -> tuple[int, int]:
        return (self.width - CLIP_SIZE[0]) // 2, (self.height - CLIP_SIZE[1]) // 2

    def x(self, x: float) -> float:
        """Clip-normalised x -> canvas-normalised."""
        return (self.offset[0] + x * CLIP_SIZE[0]) / self.width

    def y(self, y: float) -> float:
        return (self.offset[1] + y * CLIP_SIZE[1]) / self.height

    def box(self, b: Box) -> Box:
        return Box(self.x(b.x1), self.y(b.y1), self.x(b.x2), self.y(b.y2))

    def paint(self, image: np.ndarray) -> np.ndarray:
        if (self.width, self.height) == CLIP_SIZE:
            return image
        # A blurred, stretched copy of the frame: a scene's colours, no person the model finds.
        tiny = cv2.resize(image, (16, 12), interpolation=cv2.INTER_AREA)
        out = cv2.resize(tiny, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        ox, oy = self.offset
        out[oy : oy + CLIP_SIZE[1], ox : ox + CLIP_SIZE[0]] = image
        return out

    def lines(self, lines: Sequence[LineConfig]) -> list[LineConfig]:
        return [
            LineConfig.model_validate(
                {"name": line.name, "points": [[self.x(p.x), self.y(p.y)] for p in line.points], "role": line.role}
            )
            for line in lines
        ]

    def zones(self, zones: Sequence[ZoneConfig]) -> list[ZoneConfig]:
        return [
            ZoneConfig.model_validate(
                {"name": zone.name, "points": [[self.x(p.x), self.y(p.y)] for p in zone.points], "role": zone.role}
            )
            for zone in zones
        ]


def parse_canvas(text: str) -> Canvas:
    width, height = (int(v) for v in text.lower().split("x"))
    return Canvas(width, height)


def canvas_frames(video: Path, canvas: Canvas) -> Iterator[np.ndarray]:
    for image in frames_of(video):
        yield canvas.paint(image)


def region_of(
    canvas: Canvas, lines: Sequence[LineConfig], zones: Sequence[ZoneConfig], margin: float = REGION_MARGIN
) -> Box | None:
    return detection_region(
        [line.as_counting() for line in canvas.lines(lines)],
        [zone.as_counting() for zone in canvas.zones(zones)],
        canvas.width,
        canvas.height,
        margin=margin,
    )


def detect(model: Any, video: Path, canvas: Canvas, region: Box | None, path: Path) -> list[np.ndarray]:
    """Per frame: rows x1, y1, x2, y2 (canvas-normalised), score."""
    if path.exists():
        data = np.load(path)
        return [data[f"f{i}"] for i in range(int(data["n"]))]
    per_frame = []
    for image in canvas_frames(video, canvas):
        h, w = image.shape[:2]
        if region is not None:
            image = image[round(region.y1 * h) : round(region.y2 * h), round(region.x1 * w) : round(region.x2 * w)]
        boxes = model.predict(image, conf=0.01, classes=[0], imgsz=640, verbose=False)[0].boxes
        rows = []
        for xyxy, score in zip(boxes.xyxyn.tolist(), boxes.conf.tolist(), strict=True):
            b = Box(*xyxy) if region is None else to_frame(Box(*xyxy), region)
            rows.append([b.x1, b.y1, b.x2, b.y2, score])
        per_frame.append(np.array(rows, dtype=np.float32).reshape(-1, 5))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, n=len(per_frame), **{f"f{i}": d for i, d in enumerate(per_frame)})
    return per_frame


def _name(region: Box | None) -> str:
    return "all" if region is None else f"{region.x1:.4f}-{region.y1:.4f}-{region.x2:.4f}-{region.y2:.4f}"


def measure(model_path: str, cache: Path, canvases: Sequence[Canvas], margin: float = REGION_MARGIN) -> dict[str, Any]:
    scenes = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")
    grid_lines, grid_zones = grid()
    model: Any = YOLO(model_path, task="detect")
    shipped = RULE_SETS["shipped"]
    results: dict[str, Any] = {}
    for canvas in canvases:
        size = f"{canvas.width}x{canvas.height}"
        for label, (name, floor_y) in CLIPS.items():
            folder = SHARED / "data" / "mot15" / name
            video, gt = folder / f"{name}.mp4", folder / "gt" / "gt.txt"
            fps = float(cv2.VideoCapture(str(video)).get(cv2.CAP_PROP_FPS) or 25.0)
            truth_all = {
                f: [Track.from_box(t.track_id, canvas.box(t.box)) for t in people]
                for f, people in load_mot(gt, *CLIP_SIZE).items()
            }
            scene = scenes[name]
            where = {"scene": (list(scene.lines), list(scene.zones)), "grid": (grid_lines, grid_zones)}
            for w, (lines, zones) in where.items():
                c_lines, c_zones = canvas.lines(lines), canvas.zones(zones)
                region = region_of(canvas, lines, zones, margin)
                for crop in ("off", "on"):
                    used = region if crop == "on" else None
                    rows = detect(model, video, canvas, used, cache / f"{name}-{size}-{_name(used)}.npz")
                    for rate in RATES:
                        picks = frame_picks(len(rows), fps, rate)
                        seen = track([rows[f - 1] for f in picks], size=(canvas.width, canvas.height))
                        truth_tracks = {i: truth_all.get(f, []) for i, f in enumerate(picks, start=1)}
                        truth = count_tracks(
                            truth_tracks, len(picks), c_lines, c_zones, TRUTH_RULES, start=START, fps=rate
                        )
                        floor = None if floor_y is None else canvas.y(floor_y)
                        obs = observations(seen, shipped, floor, shipped.rules.min_confidence)
                        counts = count_tracks(
                            dict(enumerate(obs, start=1)), len(picks), c_lines, c_zones, shipped.rules,
                            start=START, fps=rate,
                        )  # fmt: skip
                        report = compare(counts, truth)
                        cell = results.setdefault(label, {}).setdefault(w, {}).setdefault(f"{size} {rate:.1f} fps", {})
                        cell[crop] = {"line_accuracy": report.line_accuracy, "zone_mae": report.zone_mae}
                        cell["region"] = None if region is None else [region.x1, region.y1, region.x2, region.y2]
                print(f"{size} {label} {w}: region {_name(region)}", file=sys.stderr, flush=True)
    return results


def tables(results: dict[str, Any]) -> str:
    out = []
    for label, wheres in results.items():
        for w, conditions in wheres.items():
            out.append(f"\n{label}, {w}\n")
            out.append("| condition | region (x1, y1, x2, y2) | line accuracy off / on | zone MAE off / on |")
            out.append("|---|---|---|---|")
            for condition, cell in conditions.items():
                region = "whole frame" if cell["region"] is None else ", ".join(f"{v:.3f}" for v in cell["region"])
                off, on = cell["off"], cell["on"]
                out.append(
                    f"| {condition} | {region} | {off['line_accuracy']} / {on['line_accuracy']} | "
                    f"{off['zone_mae']} / {on['zone_mae']} |"
                )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=Path("/tmp/mpp-region-study"))
    parser.add_argument("--canvases", default="640x480,1280x720,1920x1080")
    parser.add_argument("--margin", type=float, default=REGION_MARGIN, help="the region's margin (sensitivity)")

    def measure_with(args: argparse.Namespace) -> Any:
        return measure(args.model, args.cache, [parse_canvas(c) for c in args.canvases.split(",")], args.margin)

    study_cli(parser, measure_with, lambda results: print(tables(results)))


if __name__ == "__main__":
    main()
