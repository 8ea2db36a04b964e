"""Counting rules under degradations that mimic unseen footage: distance, low resolution,
frame rate, occlusion by a pillar and a rack, people entering from the image border.

Each picture condition runs the shared model once per clip (persons, threshold 0.01, 640 px)
and caches the detections under ``--cache`` (never the repository). The cached detections then
go through ultralytics' own ByteTrack (shipped settings, detection threshold 0.1: what
``replay`` does; ``edge_tracker_study.py`` showed the offline replay equals the live pipeline),
every 1st / 2nd / 3rd frame or the frames nearest 7 fps, and each rule set counts the result
against the ground truth of the same frames, on the hand scenes and the generated grid of
``edge_accuracy.py``.

Picture conditions (lines, zones and ground truth in the same normalised coordinates):

- ``x0.75`` / ``x0.5``: frame shrunk into a black frame of the same size (camera further away);
- ``384x288``: frame resized to 384x288 (a low-resolution camera; the model still runs at 640);
- ``x0.5 384x288``: both: people 37-87 px tall (median 46 and 55 px) in a 384x288 picture, a
  doorway seen from across an atrium;
- ``occluded``: a grey pillar (full height, x 0.45-0.55) and a grey rack (x 0.65-0.95, lower
  third) painted into every frame;
- ``border``: the frame cropped to x 0.15-0.85, so people walk in through the image border;
- ``occluded x0.5 384x288``: the pillar and the rack in the doorway-sized picture (people
  stepping out from behind a pillar, half hidden by racks, 37-87 px tall);
- ``CCTV``: sensor noise (Gaussian, sd 12 grey levels) and JPEG quality 15, a cheap camera's
  compressed stream; ``CCTV x0.5``: the same with people half the size;
- ``dim``: a dim hall: light at a quarter (gain 0.25) and sensor noise (sd 4) on top;
- ``blur``: Gaussian blur of sd 2.5 px (a soft focus, or a slow shutter on walking people).

The noise is drawn from a generator seeded with the frame number: every run sees the same pictures.

Who is in the truth of a degraded picture is a choice, and the verdict on occlusion and border
entry turns on it, so both are measured (``TRUTHS``):

- ``half``: a person more than half behind the pillar and rack, or more than half outside the
  crop, leaves the truth; one partly hidden stays; boxes are clipped to the crop (their foot
  point moves to the image border);
- ``visible``: everybody with any part in view stays, at the foot point where they stand (not
  clipped: a person half outside the crop stands where the annotation says, maybe outside the
  view). Only a person wholly hidden or wholly outside leaves it: no camera can count them.
  This is what a manager means by "people in the zone".

Rule sets (``RULE_SETS``): "before" is what shipped until zones counted detections (zones
from tracks scored >= 0.25, median 0.15 s); "plain" a foot-point counter on the tracks with no
band, score filter or smoothing; "shipped" ``TRACKER_RULES`` on the whole observation (zones
from the frame's detections); then the shipped rules without each fitted constant, and three
variants tried and not shipped. A third "clip", "TUD-Campus, pavement", ignores the building
behind Campus's pavement, whose people the annotation leaves out (``PAVEMENT_Y``).

    .venv/bin/python benchmarks/edge_degradation_study.py [--cache DIR] [--json]
    .venv/bin/python benchmarks/edge_degradation_study.py --tables RESULT.json   # tables of a --json run
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

with contextlib.redirect_stdout(sys.stderr):
    from ultralytics.engine.results import Boxes
    from ultralytics.models.yolo.model import YOLO
    from ultralytics.trackers.byte_tracker import BYTETracker
    from ultralytics.utils import YAML, IterableSimpleNamespace
    from ultralytics.utils.checks import check_yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edge_accuracy import grid
from edge_tracker_study import ROOT, SHARED, frames_of, ultralytics_logs_to_stderr

from edge.counting import (
    TRACKER_RULES,
    TRUTH_RULES,
    Box,
    Detection,
    LineRules,
    Observation,
    SceneRules,
    Track,
    ZoneRules,
)
from edge.evaluation import compare, load_mot
from edge.evaluation.counts import count_tracks
from edge.evaluation.scenes import load_scenes

START = datetime(2026, 1, 1, tzinfo=UTC)
PILLAR = (0.45, 0.0, 0.55, 1.0)
RACK = (0.65, 0.67, 0.95, 1.0)
CROP_X = (0.15, 0.85)
GREY = 128


@dataclass(frozen=True, slots=True)
class Picture:
    """How each frame is degraded before detection."""

    name: str
    scale: float = 1.0
    size: tuple[int, int] | None = None
    occluded: bool = False
    border: bool = False
    # Picture quality, applied after the geometry: light (gain), sensor noise (sd in grey levels),
    # blur (sd in pixels), JPEG compression (quality 1-100).
    gain: float = 1.0
    noise_sd: float = 0.0
    blur_sd_px: float = 0.0
    jpeg_quality: int | None = None


PICTURES = {
    p.name: p
    for p in [
        Picture("x1"),
        Picture("x0.75", scale=0.75),
        Picture("x0.5", scale=0.5),
        Picture("384x288", size=(384, 288)),
        Picture("x0.5 384x288", scale=0.5, size=(384, 288)),
        Picture("occluded", occluded=True),
        Picture("border", border=True),
        Picture("occluded x0.5 384x288", scale=0.5, size=(384, 288), occluded=True),
        Picture("CCTV", noise_sd=12.0, jpeg_quality=15),
        Picture("CCTV x0.5", scale=0.5, noise_sd=12.0, jpeg_quality=15),
        Picture("dim", gain=0.25, noise_sd=4.0),
        Picture("blur", blur_sd_px=2.5),
    ]
}


def degrade(image: np.ndarray, picture: Picture, frame: int = 0) -> np.ndarray:
    h, w = image.shape[:2]
    if picture.occluded:
        image = image.copy()
        for x1, y1, x2, y2 in (PILLAR, RACK):
            image[round(y1 * h) : round(y2 * h), round(x1 * w) : round(x2 * w)] = GREY
    if picture.border:
        image = image[:, round(CROP_X[0] * w) : round(CROP_X[1] * w)]
    if picture.scale != 1.0:
        small = cv2.resize(image, (round(w * picture.scale), round(h * picture.scale)), interpolation=cv2.INTER_AREA)
        image = np.zeros_like(image)
        image[: small.shape[0], : small.shape[1]] = small
    if picture.size is not None:
        image = cv2.resize(image, picture.size, interpolation=cv2.INTER_AREA)
    if picture.blur_sd_px:
        image = cv2.GaussianBlur(image, (0, 0), picture.blur_sd_px)
    if picture.gain != 1.0 or picture.noise_sd:
        noise = np.random.default_rng(frame).normal(0.0, picture.noise_sd, image.shape) if picture.noise_sd else 0.0
        image = np.clip(image.astype(np.float32) * picture.gain + noise, 0, 255).astype(np.uint8)
    if picture.jpeg_quality is not None:
        _, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, picture.jpeg_quality])
        image = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return image


@dataclass(frozen=True, slots=True)
class Clip:
    name: str
    gt: Path
    fps: float
    # Per frame (1..N): rows x1, y1, x2, y2 (normalised to the degraded view), score.
    detections: tuple[np.ndarray, ...]


def detect(name: str, model_path: str, cache: Path, picture: Picture) -> Clip:
    folder = SHARED / "data" / "mot15" / name
    video, gt = folder / f"{name}.mp4", folder / "gt" / "gt.txt"
    capture = cv2.VideoCapture(str(video))
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 25.0)
    capture.release()
    path = cache / f"{name}-{picture.name}.npz"
    if path.exists():
        data = np.load(path)
        return Clip(name, gt, fps, tuple(data[f"f{i}"] for i in range(int(data["n"]))))
    model: Any = YOLO(model_path, task="detect")
    per_frame = []
    for frame, image in enumerate(frames_of(video), start=1):
        view = degrade(image, picture, frame)
        boxes = model.predict(view, conf=0.01, classes=[0], imgsz=640, verbose=False)[0].boxes
        h, w = view.shape[:2]
        # A shrunk frame sits in the top-left corner of the black one: back to the full view.
        scale = np.array([w * picture.scale, h * picture.scale, w * picture.scale, h * picture.scale])
        per_frame.append(np.concatenate([boxes.xyxy.numpy() / scale, boxes.conf.numpy()[:, None]], axis=1))
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, n=len(per_frame), **{f"f{i}": d for i, d in enumerate(per_frame)})
    return Clip(name, gt, fps, tuple(per_frame))


def _area(b: Box) -> float:
    return max(0.0, b.x2 - b.x1) * max(0.0, b.y2 - b.y1)


def _overlap(b: Box, r: tuple[float, float, float, float]) -> float:
    return _area(Box(max(b.x1, r[0]), max(b.y1, r[1]), min(b.x2, r[2]), min(b.y2, r[3])))


# Who stays in the truth of a degraded picture: the share of a person's box that must be in view
# (at least this, and more than nothing), and whether a box cut by the crop is clipped to it (see the module docstring).
TRUTHS = {"half": (0.5, True), "visible": (0.0, False)}


def _in_view(seen: float, area: float, share: float) -> bool:
    return seen > 0 and seen >= share * area


def truth_of(clip: Clip, picture: Picture, truth: str = "half") -> dict[int, list[Track]]:
    """The annotated people a camera with this picture can see, in its normalised coordinates."""
    tracks = load_mot(clip.gt, 640, 480)
    if not (picture.occluded or picture.border):
        return tracks
    in_view, clipped = TRUTHS[truth]
    out: dict[int, list[Track]] = {}
    for frame, people in tracks.items():
        kept = []
        for t in people:
            b, area = t.box, _area(t.box)
            if area <= 0:
                continue
            hidden = sum(_overlap(b, r) for r in (PILLAR, RACK)) if picture.occluded else 0.0
            if not _in_view(area - hidden, area, in_view):
                continue
            if picture.border:
                x0, x1 = CROP_X
                inside = _overlap(b, (x0, 0.0, x1, 1.0))
                if not _in_view(inside, area, in_view):
                    continue
                if clipped:
                    b = Box(max(b.x1, x0), b.y1, min(b.x2, x1), b.y2)
                b = Box((b.x1 - x0) / (x1 - x0), b.y1, (b.x2 - x0) / (x1 - x0), b.y2)
                t = Track.from_box(t.track_id, b)
            kept.append(t)
        out[frame] = kept
    return out


@dataclass(frozen=True, slots=True)
class Seen:
    """One frame as the counting core sees it."""

    tracks: tuple[Track, ...]
    tentative: tuple[Track, ...]
    detections: tuple[Detection, ...]
    # Detections scored below the score filter that a reported track matched on this frame.
    weak_tracked: tuple[Detection, ...] = ()


def _clip01(v: float) -> float:
    return min(1.0, max(0.0, v))


def track(
    rows_by_frame: Sequence[np.ndarray],
    threshold: float = 0.1,
    overrides: dict[str, Any] | None = None,
    size: tuple[int, int] = (640, 480),
) -> list[Seen]:
    """Detections through ultralytics' ByteTrack, as ``on_predict_postprocess_end`` calls it
    (pixels of a view of ``size``; IoU and the Kalman model do not depend on the unit)."""
    load: Any = YAML.load
    cfg: Any = IterableSimpleNamespace(**{**load(check_yaml("bytetrack.yaml")), **(overrides or {})})
    tracker = BYTETracker(args=cfg)
    w, h = size
    out = []
    for rows in rows_by_frame:
        rows = rows[rows[:, 4] >= threshold]
        data = torch.zeros((len(rows), 6))
        data[:, :5] = torch.from_numpy(rows)
        data[:, [0, 2]] *= w
        data[:, [1, 3]] *= h
        boxes: Any = Boxes(data, (h, w))
        result = tracker.update(boxes.cpu().numpy(), None)

        def as_track(track_id: int, xyxy: Sequence[float], score: float) -> Track:
            x1, y1, x2, y2 = (float(v) for v in xyxy)
            return Track.from_box(
                track_id, Box(_clip01(x1 / w), _clip01(y1 / h), _clip01(x2 / w), _clip01(y2 / h)), score
            )

        tracks = tuple(as_track(int(t[4]), t[:4], float(t[5])) for t in result)
        tentative = tuple(
            as_track(int(s.track_id), s.xyxy, float(s.score)) for s in tracker.tracked_stracks if not s.is_activated
        )
        detections = tuple(Detection.from_box(Box(*(_clip01(float(v)) for v in r[:4])), float(r[4])) for r in rows)
        # Result rows end with the index of the detection each track matched.
        weak = tuple(detections[int(t[7])] for t in result if float(t[5]) < WEAK_BELOW)
        out.append(Seen(tracks, tentative, detections, weak))
    return out


def frame_picks(n: int, fps: float, rate: float) -> list[int]:
    """Frame numbers (1..n) a device running at ``rate`` fps would see."""
    if rate >= fps:
        return list(range(1, n + 1))
    step = fps / rate
    picks, i = [], 0
    while round(i * step) < n:
        picks.append(round(i * step) + 1)
        i += 1
    return picks


# Campus's annotation covers the pavement only (annotated feet at y 0.70-0.98); people seen
# through the glass front of the building behind it (feet near y 0.5) are never annotated, so
# a counter that sees them is marked wrong. "TUD-Campus, pavement" ignores every box whose foot
# point is above y 0.65, for every rule set alike (the MOT practice of ignore regions).
PAVEMENT_Y = 0.65
CLIPS = {"TUD-Stadtmitte": ("TUD-Stadtmitte", None), "TUD-Campus": ("TUD-Campus", None)}
CLIPS["TUD-Campus, pavement"] = ("TUD-Campus", PAVEMENT_Y)
RATES = (25.0, 12.5, 25 / 3, 7.0)


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: SceneRules
    # What the counting core is handed: tracks only (zones count tracks, as before), or the
    # frame's detections too (zones count detections, as shipped).
    detections: bool
    # Variants tried and not shipped: a detection counts only if a confident box overlaps it
    # (IoU >= 0.3) on the frame before or after (short-lived detections dropped); ByteTrack's
    # tentative tracks (its first frame of a new track, not reported until confirmed on the
    # next) handed to the line counters as history, so a crossing during confirmation counts.
    lasting_only: bool = False
    tentative_lines: bool = False
    # A detection scored below the filter counts in zones when a reported track matched it: a
    # person the tracker already follows, seen weakly for a moment (the plain counter's
    # held-out zone gain came from such tracks).
    weak_tracked: bool = False


PLAIN = SceneRules(
    LineRules(band=0.0, band_per_height=0.0), ZoneRules(leave_margin=0.0), min_confidence=0.0, count_smoothing_s=0.0
)
BEFORE = SceneRules(min_confidence=0.25, count_smoothing_s=0.15)
RULE_SETS = {
    "before": RuleSet(BEFORE, detections=False),
    "plain": RuleSet(PLAIN, detections=False),
    "before, no score filter": RuleSet(replace(BEFORE, min_confidence=0.0), detections=False),
    "before, no smoothing": RuleSet(replace(BEFORE, count_smoothing_s=0.0), detections=False),
    "shipped": RuleSet(TRACKER_RULES, detections=True),
    "shipped, no score filter": RuleSet(replace(TRACKER_RULES, min_confidence=0.0), detections=True),
    "shipped, no smoothing": RuleSet(replace(TRACKER_RULES, count_smoothing_s=0.0), detections=True),
    "shipped, short-lived detections dropped": RuleSet(TRACKER_RULES, detections=True, lasting_only=True),
    "shipped + tentative tracks on lines": RuleSet(TRACKER_RULES, detections=True, tentative_lines=True),
    "shipped + weak tracked detections": RuleSet(TRACKER_RULES, detections=True, weak_tracked=True),
}
WEAK_BELOW = TRACKER_RULES.min_confidence


def _iou(a: Box, b: Box) -> float:
    inter = _overlap(a, (b.x1, b.y1, b.x2, b.y2))
    union = _area(a) + _area(b) - inter
    return inter / union if union > 0 else 0.0


def observations(seen: Sequence[Seen], rule_set: RuleSet, floor_y: float | None, score: float) -> list[Observation]:
    def keep(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return items if floor_y is None else tuple(i for i in items if i.foot.y >= floor_y)

    out = []
    for t, s in enumerate(seen):
        detections = None
        if rule_set.detections:
            detections = keep(s.detections)
            if rule_set.lasting_only:
                near = [d for u in (t - 1, t + 1) if 0 <= u < len(seen) for d in seen[u].detections]
                detections = tuple(
                    d for d in detections if any(e.confidence >= score and _iou(d.box, e.box) >= 0.3 for e in near)
                )
            if rule_set.weak_tracked:
                # Raised to the filter's bar so that the counting core keeps them.
                detections += keep(tuple(replace(d, confidence=score) for d in s.weak_tracked))
        tracks = keep(s.tracks + s.tentative) if rule_set.tentative_lines else keep(s.tracks)
        out.append(Observation(tracks, detections))
    return out


@dataclass(frozen=True, slots=True)
class Condition:
    """One clip at one picture and frame rate, with the lines and zones it is counted on."""

    name: str  # picture and rate, e.g. "x0.5 12.5 fps"
    label: str  # the clip's name in the tables
    floor_y: float | None
    picture: Picture
    rate: float
    clip: Clip
    picks: list[int]  # the frames (1..N) seen at this rate
    where: dict[str, tuple[list[Any], list[Any]]]  # "scene" / "grid": (lines, zones)


def conditions(model: str, cache: Path, pictures: Sequence[str], rates: Sequence[float]) -> Iterator[Condition]:
    scenes = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")
    grid_lines, grid_zones = grid()
    for picture_name in pictures:
        picture = PICTURES[picture_name]
        for rate in rates:
            for label, (name, floor_y) in CLIPS.items():
                clip = detect(name, model, cache, picture)
                picks = frame_picks(len(clip.detections), clip.fps, rate)
                scene = scenes[name]
                where = {"scene": (list(scene.lines), list(scene.zones)), "grid": (grid_lines, grid_zones)}
                yield Condition(f"{picture_name} {rate:.1f} fps", label, floor_y, picture, rate, clip, picks, where)


def measure(model: str, cache: Path, pictures: Sequence[str], rates: Sequence[float]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for c in conditions(model, cache, pictures, rates):
        seen = track([c.clip.detections[f - 1] for f in c.picks])
        frames = len(c.picks)
        counted = {
            (w, rule_name): count_tracks(
                dict(enumerate(observations(seen, rule_set, c.floor_y, rule_set.rules.min_confidence), start=1)),
                frames,
                lines,
                zones,
                rule_set.rules,
                start=START,
                fps=c.rate,
            )
            for w, (lines, zones) in c.where.items()
            for rule_name, rule_set in RULE_SETS.items()
        }
        # The truths differ only where people are hidden or cut by the border.
        for truth_rule in TRUTHS if c.picture.occluded or c.picture.border else ("half",):
            all_truth = truth_of(c.clip, c.picture, truth_rule)
            truth_tracks = {i: all_truth.get(f, []) for i, f in enumerate(c.picks, start=1)}
            for w, (lines, zones) in c.where.items():
                truth = count_tracks(truth_tracks, frames, lines, zones, TRUTH_RULES, start=START, fps=c.rate)
                for rule_name in RULE_SETS:
                    report = compare(counted[w, rule_name], truth)
                    per_truth = results.setdefault(truth_rule, {}).setdefault(c.label, {})
                    cell = per_truth.setdefault(c.name, {}).setdefault(rule_name, {})
                    cell[w] = {
                        "line_accuracy": report.line_accuracy,
                        "zone_mae": report.zone_mae,
                        "presence_agreement": report.presence_agreement,
                    }
        print(f"{c.name:18s} {c.label}", file=sys.stderr, flush=True)
    return results


LINE_COLUMNS = ["before", "plain", "shipped, no score filter", "shipped + tentative tracks on lines"]
ZONE_COLUMNS = [
    "before",
    "plain",
    "shipped",
    "shipped, no score filter",
    "shipped, no smoothing",
    "shipped, short-lived detections dropped",
    "shipped + weak tracked detections",
]


def tables(results: dict[str, Any], where: str, truth: str = "half") -> str:
    """Markdown: per clip, condition x rule set; line accuracy (shipped lines = before's) and
    zone MAE, with how often each differs from before."""
    out = []
    for clip, conditions in results.items():
        out.append(f"\n{clip}, {where}, truth {truth!r}: line accuracy | zone MAE\n")
        out.append("| condition | " + " | ".join(LINE_COLUMNS) + " | " + " | ".join(ZONE_COLUMNS) + " |")
        out.append("|---" * (1 + len(LINE_COLUMNS) + len(ZONE_COLUMNS)) + "|")
        for condition, rules in conditions.items():
            lines = [str(rules[c][where]["line_accuracy"]) for c in LINE_COLUMNS]
            zones = [str(rules[c][where]["zone_mae"]) for c in ZONE_COLUMNS]
            out.append(f"| {condition} | " + " | ".join(lines) + " | " + " | ".join(zones) + " |")
        summary = []
        for c in LINE_COLUMNS[1:]:
            diffs = [r[c][where]["line_accuracy"] - r["before"][where]["line_accuracy"] for r in conditions.values()]
            summary.append(f"{sum(d > 1e-9 for d in diffs)}+/{sum(d < -1e-9 for d in diffs)}-")
        zsummary = []
        for c in ZONE_COLUMNS[1:]:
            diffs = [r[c][where]["zone_mae"] - r["before"][where]["zone_mae"] for r in conditions.values()]
            zsummary.append(f"{sum(d < -1e-9 for d in diffs)}+/{sum(d > 1e-9 for d in diffs)}-")
        out.append("| better / worse than before | | " + " | ".join(summary) + " | | " + " | ".join(zsummary) + " |")
        psummary = []
        for c in ZONE_COLUMNS[1:]:
            diffs = [
                (r[c][where].get("presence_agreement") or 0.0) - (r["before"][where].get("presence_agreement") or 0.0)
                for r in conditions.values()
            ]
            psummary.append(f"{sum(d > 1e-9 for d in diffs)}+/{sum(d < -1e-9 for d in diffs)}-")
        # Under the zone columns but before's.
        blank = " |" * (len(LINE_COLUMNS) + 1)
        out.append("| zone presence agreement: better / worse |" + blank + " " + " | ".join(psummary) + " |")
    return "\n".join(out)


def study_cli(parser: argparse.ArgumentParser, measure_with: Callable[[argparse.Namespace], Any],
              print_tables: Callable[[Any], None]) -> None:  # fmt: skip
    """The studies' command line, after their own options: ``--json`` prints what ``measure_with``
    measured, ``--tables FILE`` the tables of an earlier ``--json`` run, otherwise the tables."""
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n_int8_openvino_model"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--tables", type=Path, help="print the tables of an earlier --json output, measure nothing")
    args = parser.parse_args()
    if args.tables:
        results = json.loads(args.tables.read_text())
    else:
        ultralytics_logs_to_stderr()
        results = measure_with(args)
    if args.json:
        json.dump(results, sys.stdout)
        print()
        return
    print_tables(results)


def print_all_tables(results: dict[str, Any]) -> None:
    for truth in TRUTHS:
        for where in ("grid", "scene"):
            print(tables(results[truth], where, truth))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=Path("/tmp/mpp-degradation-study"))
    parser.add_argument("--pictures", default=",".join(PICTURES), help="comma-separated: " + ", ".join(PICTURES))
    study_cli(parser, lambda args: measure(args.model, args.cache, args.pictures.split(","), RATES), print_all_tables)


if __name__ == "__main__":
    main()
