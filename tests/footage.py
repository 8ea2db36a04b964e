"""Test footage built from the shared clips."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2


def mot_sequence(mot15: Path, folder: Path, frames: int, frame_rate: str | None) -> Path:
    """A MOTChallenge-layout sequence cut from TUD-Campus: ``img1/000001.jpg``..., its
    ``gt/gt.txt``, and a ``seqinfo.ini`` with ``frame_rate`` (none if None)."""
    (folder / "img1").mkdir(parents=True)
    capture = cv2.VideoCapture(str(mot15 / "TUD-Campus" / "TUD-Campus.mp4"))
    for index in range(1, frames + 1):
        ok, image = capture.read()
        if not ok:
            raise ValueError(f"TUD-Campus has fewer than {frames} frames")
        cv2.imwrite(str(folder / "img1" / f"{index:06d}.jpg"), image)
    capture.release()
    (folder / "gt").mkdir()
    shutil.copy(mot15 / "TUD-Campus" / "gt" / "gt.txt", folder / "gt" / "gt.txt")
    if frame_rate is not None:
        (folder / "seqinfo.ini").write_text(f"[Sequence]\nname=cut\nimDir=img1\nframeRate={frame_rate}\n")
    return folder
