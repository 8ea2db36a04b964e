"""Pictures for the installer: the ``--annotate`` video, the ``snapshot`` PNG and the setup
page's JPEG frames, with lines (with their in-arrow), zones (role and gerai) and tracks drawn,
and with ``detection_crop`` the region the model looks at.

The one module besides the camera adapter that draws and encodes pixels with OpenCV.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.camera import SourceError
from edge.config import LineConfig, ZoneConfig
from edge.counting import SceneFrame, detection_region
from edge.pipeline import FrameResult
from wire.vocabulary import CountingRole

log = logging.getLogger(__name__)

# BGR, one colour per role: a staff zone and a queue zone must not look alike.
ROLE_COLOURS: Mapping[str, tuple[int, int, int]] = {
    CountingRole.ENTRANCE.value: (0, 200, 255),  # amber
    CountingRole.STAFF.value: (220, 60, 200),  # purple
    CountingRole.QUEUE.value: (255, 160, 0),  # azure
    CountingRole.VISITOR.value: (60, 200, 60),  # green
}
OTHER_ROLE = (200, 200, 200)
TRACK_COLOUR = (60, 60, 255)
GRID_COLOUR = (255, 255, 255)
# The region's outline: white dashes on black, seen on a bright scene and a dark one alike,
# and told apart from a zone's solid edge at a glance.
REGION_COLOUR = (255, 255, 255)
REGION_GAPS = (0, 0, 0)
_DASH_PX = 8
LABEL_TEXT = (0, 0, 0)
COUNTER_BACKGROUND = (0, 0, 0)
COUNTER_TEXT = (255, 255, 255)
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_SCALE = 0.5
_PAD = 3

# Tried in order; the first the OpenCV build can open wins. H.264 plays in every browser
# and phone; MPEG-4 Part 2 ("mp4v") is in every build but many players refuse it.
CODECS: tuple[tuple[str, str], ...] = (("avc1", "H.264"), ("H264", "H.264"), ("mp4v", "MPEG-4 Part 2"))


def role_colour(role: str) -> tuple[int, int, int]:
    return ROLE_COLOURS.get(role, OTHER_ROLE)


def draw_label(
    image: Any,
    text: str,
    anchor: tuple[int, int],
    colour: tuple[int, int, int],
    text_colour: tuple[int, int, int] = LABEL_TEXT,
) -> tuple[int, int, int, int]:
    """Text on a filled box whose bottom-left corner is ``anchor``, kept inside the image;
    returns the box (x1, y1, x2, y2)."""
    h, w = image.shape[:2]
    (tw, th), baseline = cv2.getTextSize(text, _FONT, _SCALE, 1)
    box_w, box_h = tw + 2 * _PAD, th + baseline + 2 * _PAD
    x1 = min(max(0, anchor[0]), max(0, w - box_w))
    y1 = min(max(0, anchor[1] - box_h), max(0, h - box_h))
    cv2.rectangle(image, (x1, y1), (x1 + box_w - 1, y1 + box_h - 1), colour, -1)
    cv2.putText(image, text, (x1 + _PAD, y1 + _PAD + th), _FONT, _SCALE, text_colour, 1, cv2.LINE_AA)
    return x1, y1, x1 + box_w - 1, y1 + box_h - 1


def _pixels(points: Sequence[Any], w: int, h: int) -> list[tuple[int, int]]:
    return [to_pixel(p.x, p.y, w, h) for p in points]


def to_pixel(x: float, y: float, w: int, h: int) -> tuple[int, int]:
    """Normalised (0..1) to the pixel it falls in."""
    return min(round(x * w), w - 1), min(round(y * h), h - 1)


def draw_grid(image: Any, step: float = 0.1) -> None:
    """A normalised grid (thin, see-through) labelled 0.1 ... 0.9 along the top and left edges."""
    h, w = image.shape[:2]
    overlay = image.copy()
    steps = round(1 / step)
    for i in range(1, steps):
        x, y = to_pixel(i * step, i * step, w, h)
        cv2.line(overlay, (x, 0), (x, h - 1), GRID_COLOUR, 1)
        cv2.line(overlay, (0, y), (w - 1, y), GRID_COLOUR, 1)
    cv2.addWeighted(overlay, 0.45, image, 0.55, 0, dst=image)
    for i in range(1, steps):
        value = f"{i * step:.1f}"
        x, y = to_pixel(i * step, i * step, w, h)
        draw_label(image, f"x {value}", (x + 2, 18), COUNTER_BACKGROUND, COUNTER_TEXT)
        draw_label(image, f"y {value}", (0, y - 2), COUNTER_BACKGROUND, COUNTER_TEXT)


def draw_line(image: Any, line: LineConfig, label: str) -> None:
    """The segment A->B, an arrow towards its positive side (crossing along it counts ``in``)
    and its label above the upper end, off the walking path."""
    h, w = image.shape[:2]
    colour = role_colour(line.role)
    (ax, ay), (bx, by) = _pixels(line.points, w, h)
    cv2.line(image, (ax, ay), (bx, by), colour, 3)
    mx, my = (ax + bx) / 2, (ay + by) / 2
    nx, ny = -(by - ay), bx - ax
    scale = 40 / max(1e-9, (nx * nx + ny * ny) ** 0.5)
    tip = (round(mx + nx * scale), round(my + ny * scale))
    cv2.arrowedLine(image, (round(mx), round(my)), tip, colour, 3, tipLength=0.35)
    draw_label(image, "in", (tip[0] + 4, tip[1] + 6), colour)
    top = (ax, ay) if ay <= by else (bx, by)
    draw_label(image, label, (top[0] + 6, top[1] - 6), colour)


def draw_zone(image: Any, zone: ZoneConfig, label: str) -> None:
    """The polygon and its label at its top-left corner, outside it (above) where there is room."""
    h, w = image.shape[:2]
    colour = role_colour(zone.role)
    points = _pixels(zone.points, w, h)
    cv2.polylines(image, [np.array(points, dtype=np.int32).reshape(-1, 1, 2)], True, colour, 2)
    left, top = min(p[0] for p in points), min(p[1] for p in points)
    draw_label(image, label, (left, top - 2), colour)


def zone_label(zone: ZoneConfig) -> str:
    return f"{zone.name} {zone.role}" + (f" gerai {zone.gerai}" if zone.gerai else "")


def draw_setting(image: Any, lines: Sequence[LineConfig], zones: Sequence[ZoneConfig]) -> None:
    """Lines and zones as configured, labelled with name, role and gerai (no counts)."""
    for zone in zones:
        draw_zone(image, zone, zone_label(zone))
    for line in lines:
        draw_line(image, line, f"{line.name} {line.role}")


def draw_region(image: Any, lines: Sequence[LineConfig], zones: Sequence[ZoneConfig]) -> None:
    """The detection region of these lines and zones (edge.counting.region) as a thin dashed
    rectangle, labelled; nothing where no region applies (the model sees the whole frame)."""
    h, w = image.shape[:2]
    region = detection_region([x.as_counting() for x in lines], [z.as_counting() for z in zones], w, h)
    if region is None:
        return
    # The region is snapped to whole pixels: its last column and row are x2 - 1 and y2 - 1.
    x1, y1 = round(region.x1 * w), round(region.y1 * h)
    x2, y2 = round(region.x2 * w) - 1, round(region.y2 * h) - 1
    cv2.rectangle(image, (x1, y1), (x2, y2), REGION_GAPS, 1)
    for start in range(x1, x2 + 1, 2 * _DASH_PX):
        end = min(start + _DASH_PX - 1, x2)
        cv2.line(image, (start, y1), (end, y1), REGION_COLOUR, 1)
        cv2.line(image, (start, y2), (end, y2), REGION_COLOUR, 1)
    for start in range(y1, y2 + 1, 2 * _DASH_PX):
        end = min(start + _DASH_PX - 1, y2)
        cv2.line(image, (x1, start), (x1, end), REGION_COLOUR, 1)
        cv2.line(image, (x2, start), (x2, end), REGION_COLOUR, 1)
    draw_label(image, "detection region", (x1 + 2, y1 - 2), REGION_COLOUR)


def write_png(path: Path, image: Any) -> None:
    try:
        ok = cv2.imwrite(str(path), image)
    except cv2.error as exc:
        raise SourceError(f"cannot write {path}: {exc.msg}") from None
    if not ok:
        raise SourceError(f"cannot write {path}: not writable, or not a .png name")


def encode_jpeg(image: Any, quality: int = 80) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise SourceError("cannot encode the frame as JPEG")
    return bytes(data.tobytes())


@dataclass(frozen=True, slots=True)
class OpenedVideo:
    writer: Any
    fourcc: str
    codec: str


def open_video_writer(path: Path, fps: float, size: tuple[int, int]) -> OpenedVideo:
    """The first of CODECS this OpenCV build can write; SourceError if none."""
    # A failed try logs OpenCV errors; only the outcome matters here.
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        for fourcc, codec in CODECS:
            if fourcc == "H264" and path.suffix.lower() == ".mp4":
                continue  # FFmpeg writes H264 as avc1 in MP4: the same try again, and a notice on stderr
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, size)
            if writer.isOpened():
                return OpenedVideo(writer, fourcc, codec)
            writer.release()
    finally:
        cv2.utils.logging.setLogLevel(level)
    raise SourceError(f"cannot write annotated video {path}")


class VideoAnnotator:
    """A FrameObserver that writes every frame, drawn over, to an MP4 file (with ``crop``,
    the detection region too)."""

    def __init__(
        self,
        path: Path,
        lines: tuple[LineConfig, ...],
        zones: tuple[ZoneConfig, ...],
        fps: float,
        *,
        crop: bool = False,
    ) -> None:
        self.path, self.lines, self.zones, self.fps, self.crop = path, lines, zones, fps, crop
        self._writer: Any = None
        # "H.264 (avc1)" once the first frame is written.
        self.codec: str | None = None
        self._totals = {line.name: [0, 0] for line in lines}
        # Latest counted scene frame's zone counts (a few frames behind the picture).
        self._zone_counts: dict[str, int] = {}

    def on_scene(self, scene: SceneFrame) -> None:
        for crossing in scene.crossings:
            self._totals[crossing.line][0 if crossing.direction.value == "in" else 1] += 1
        self._zone_counts = {z.zone: z.count for z in scene.zones}

    def on_frame(self, result: FrameResult) -> None:
        image = result.frame.image.copy()
        h, w = image.shape[:2]
        if self._writer is None:
            opened = open_video_writer(self.path, self.fps, (w, h))
            self._writer, self.codec = opened.writer, f"{opened.codec} ({opened.fourcc})"
            if opened.fourcc == "mp4v":
                log.warning(
                    "annotated video %s: this OpenCV build has no H.264 encoder; writing MPEG-4 Part 2 (mp4v), "
                    "which some browsers and phones do not play (VLC does)",
                    self.path,
                )
            else:
                log.info("annotated video %s: %s", self.path, self.codec)
        for track in result.tracks:
            b = track.box
            corners = (round(b.x1 * w), round(b.y1 * h)), (round(b.x2 * w), round(b.y2 * h))
            cv2.rectangle(image, *corners, TRACK_COLOUR, 2)
            cv2.circle(image, (round(track.foot.x * w), round(track.foot.y * h)), 4, TRACK_COLOUR, -1)
        if self.crop:
            draw_region(image, self.lines, self.zones)
        counts = self._zone_counts
        for zone in self.zones:
            draw_zone(image, zone, f"{zone_label(zone)}: {counts.get(zone.name, 0)}")
        for line in self.lines:
            n_in, n_out = self._totals[line.name]
            draw_line(image, line, f"{line.name} in {n_in} out {n_out}")
        for track in result.tracks:
            draw_label(
                image,
                str(track.track_id),
                (round(track.box.x1 * w), round(track.box.y1 * h)),
                TRACK_COLOUR,
                COUNTER_TEXT,
            )
        draw_label(image, f"frame {result.frame.index}", (0, h), COUNTER_BACKGROUND, COUNTER_TEXT)
        self._writer.write(image)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
