"""MOTChallenge ground truth -> per-frame person tracks in normalised coordinates."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from edge.counting import Box, Track


class GroundTruthError(Exception):
    """Unreadable or malformed ground-truth file."""


def load_mot(path: Path, width: int, height: int) -> dict[int, list[Track]]:
    """Rows ``frame,id,left,top,width,height,conf,...``; rows with conf 0 are ignored (MOT convention)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise GroundTruthError(f"cannot read ground truth {path}: {exc.strerror}") from None
    by_frame: dict[int, list[Track]] = defaultdict(list)
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not "".join(row).strip():
            continue
        try:
            frame, track_id = int(float(row[0])), int(float(row[1]))
            left, top, w, h = (float(v) for v in row[2:6])
            conf = float(row[6]) if len(row) > 6 else 1.0
        except (ValueError, IndexError):
            raise GroundTruthError(f"{path}:{number}: not a MOT row (frame,id,left,top,width,height,...)") from None
        if conf == 0:
            continue

        def clip(v: float) -> float:
            return min(1.0, max(0.0, v))

        box = Box(clip(left / width), clip(top / height), clip((left + w) / width), clip((top + h) / height))
        by_frame[frame].append(Track.from_box(track_id, box))
    return dict(by_frame)
