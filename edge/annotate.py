"""``--annotate``: the replayed video with tracks, lines (with their in-arrow) and zones drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2

from edge.camera import SourceError
from edge.config import LineConfig, ZoneConfig
from edge.counting import SceneFrame
from edge.pipeline import FrameResult

_LINE = (0, 200, 255)
_IN = (0, 220, 0)
_ZONE = (255, 160, 0)
_TRACK = (60, 60, 255)


class VideoAnnotator:
    """A FrameObserver that writes every frame, drawn over, to an MP4 file."""

    def __init__(self, path: Path, lines: tuple[LineConfig, ...], zones: tuple[ZoneConfig, ...], fps: float) -> None:
        self.path, self.lines, self.zones, self.fps = path, lines, zones, fps
        self._writer: Any = None
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
            self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter.fourcc(*"mp4v"), self.fps, (w, h))
            if not self._writer.isOpened():
                raise SourceError(f"cannot write annotated video {self.path}")
        counts = self._zone_counts
        for zone in self.zones:
            pts = [(round(p.x * w), round(p.y * h)) for p in zone.points]
            cv2.polylines(image, [_array(pts)], True, _ZONE, 2)
            cv2.putText(image, f"{zone.name}: {counts.get(zone.name, 0)}", pts[0], 0, 0.5, _ZONE, 2)
        for line in self.lines:
            ax, ay = line.points[0].x * w, line.points[0].y * h
            bx, by = line.points[1].x * w, line.points[1].y * h
            cv2.line(image, (round(ax), round(ay)), (round(bx), round(by)), _LINE, 2)
            # The arrow points to the positive side: crossing along it counts "in".
            mx, my = (ax + bx) / 2, (ay + by) / 2
            nx, ny = -(by - ay), bx - ax
            scale = 30 / max(1e-9, (nx * nx + ny * ny) ** 0.5)
            cv2.arrowedLine(image, (round(mx), round(my)), (round(mx + nx * scale), round(my + ny * scale)), _IN, 2)
            n_in, n_out = self._totals[line.name]
            cv2.putText(image, f"{line.name} in {n_in} out {n_out}", (round(ax), round(ay) - 6), 0, 0.5, _LINE, 2)
        for track in result.tracks:
            b = track.box
            cv2.rectangle(image, (round(b.x1 * w), round(b.y1 * h)), (round(b.x2 * w), round(b.y2 * h)), _TRACK, 2)
            foot = (round(track.foot.x * w), round(track.foot.y * h))
            cv2.circle(image, foot, 4, _TRACK, -1)
            cv2.putText(image, str(track.track_id), (round(b.x1 * w), round(b.y1 * h) - 4), 0, 0.5, _TRACK, 2)
        cv2.putText(image, f"frame {result.frame.index}", (8, h - 10), 0, 0.5, (255, 255, 255), 1)
        self._writer.write(image)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None


def _array(points: list[tuple[int, int]]) -> Any:
    import numpy as np

    return np.array(points, dtype=np.int32).reshape(-1, 1, 2)
