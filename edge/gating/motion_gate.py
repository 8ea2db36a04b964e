"""Idle-scene gating: run the detector only when something in the scene changes.

Cameras in an MPP hall watch an empty floor most of the day. ``MotionGate``
compares each frame, shrunk to a grid of cell averages in grey levels, with a
slowly updated background and asks for inference when enough cells differ by
more than a threshold set relative to the measured noise. Block averaging
flattens compression noise; subtracting the median difference cancels global
exposure shifts; the slow background update absorbs lighting drift.

Inference then stays at full rate while the tracker reports live tracks, and a
short hangover after the last motion, so tracks end the way they would without
gating. While idle it still infers every ``idle_stride_frames`` frames to
notice a person standing still. A person entering the view is motion at the
image border long before their foot point reaches a counting line.

Pure numpy: deterministic in its inputs, no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from edge.config import GatingConfig


class ImageFrame(Protocol):
    """What the gate needs of a camera frame: the BGR image."""

    @property
    def image(self) -> NDArray[np.uint8]: ...


@dataclass(frozen=True)
class MotionGateSettings:
    idle_stride_frames: int = 10
    # Full-rate frames after the last motion or live track (1 s at 25 fps).
    hangover_frames: int = 25
    # Side of one grid cell in pixels for frames up to 640 px wide; a standing person at
    # 640x480 spans several cells. Wider frames get cells as many times larger, so the grid
    # and the cost stay about the same at any resolution (MotionGate.cell_px_for).
    cell_px: int = 8
    # A cell changed when it differs from the background by this many noise sigmas...
    noise_factor: float = 5.0
    # ...and at least this many grey levels (block-averaged JPEG/H.264 noise is ~1 level).
    min_threshold_levels: float = 6.0
    # Cells that must change for the frame to count as motion; isolated cells are noise.
    min_changed_cells: int = 3
    # Per-frame background update rate for unchanged cells (lighting drift).
    background_rate: float = 0.05
    # A cell changed this many frames in a row becomes background (a moved chair, a bag), so
    # it stops keeping inference on. A passer-by never covers one cell that long, and changed
    # cells are otherwise never blended in, so people leave no ghost behind (10 s at 25 fps).
    absorb_after_frames: int = 250
    # Smoothing of the noise estimate (per frame).
    noise_rate: float = 0.05

    def __post_init__(self) -> None:
        counts = (self.idle_stride_frames, self.cell_px, self.min_changed_cells, self.absorb_after_frames)
        if min(counts) < 1 or self.hangover_frames < 0:
            raise ValueError("idle_stride_frames, cell_px, min_changed_cells, absorb_after_frames >= 1, hangover >= 0")
        for rate in (self.background_rate, self.noise_rate):
            if not 0.0 < rate <= 1.0:
                raise ValueError("rates must be in (0, 1]")


def downscale_grey(image: NDArray[np.uint8], cell_px: int) -> NDArray[np.float32]:
    """Mean grey level per ``cell_px`` square cell (partial border cells dropped).

    Reads about 4x4 evenly spaced pixels of each cell (all channels; every second pixel
    of an 8 px cell): enough to average out compression noise, and the gate stays
    around a millisecond per frame.
    """
    rows = image.shape[0] // cell_px
    cols = image.shape[1] // cell_px
    if rows == 0 or cols == 0:
        raise ValueError(f"image {image.shape[:2]} smaller than one {cell_px}px cell")
    # The largest stride up to a quarter of the cell that divides it evenly.
    step = next(s for s in range(max(1, cell_px // 4), 0, -1) if cell_px % s == 0)
    per_cell = cell_px // step
    sampled = image[: rows * cell_px : step, : cols * cell_px : step]
    if sampled.ndim == 2:
        sampled = sampled[..., None]
    channels = sampled.shape[2]
    wide = np.ascontiguousarray(sampled, dtype=np.uint16).reshape(rows, per_cell, cols * per_cell * channels)
    sums = wide.sum(axis=1, dtype=np.uint32).reshape(rows, cols, per_cell * channels).sum(axis=2)
    means: NDArray[np.float32] = (sums / np.float32(per_cell * per_cell * channels)).astype(np.float32)
    return means


class SceneChangeDetector:
    """Background differencing on the cell grid; ``update`` says whether this frame moved."""

    def __init__(self, settings: MotionGateSettings) -> None:
        self._settings = settings
        self._background: NDArray[np.float32] | None = None
        self._changed_streak: NDArray[np.int32] | None = None
        self._noise_sigma: float | None = None
        self.changed_cells = 0

    def update(self, cells: NDArray[np.float32]) -> bool:
        s = self._settings
        if self._background is None or self._changed_streak is None or self._background.shape != cells.shape:
            self._background = cells.copy()
            self._changed_streak = np.zeros(cells.shape, np.int32)
            self.changed_cells = 0
            return False
        diff = cells - self._background
        # A global exposure shift moves every cell alike: compare against the median move.
        diff -= np.float32(np.median(diff))
        magnitude = np.abs(diff)
        # Median absolute deviation: robust to the minority of cells a person covers.
        frame_sigma = 1.4826 * float(np.median(magnitude))
        if self._noise_sigma is None:
            self._noise_sigma = frame_sigma
        else:
            self._noise_sigma += s.noise_rate * (frame_sigma - self._noise_sigma)
        threshold = max(s.min_threshold_levels, s.noise_factor * self._noise_sigma)
        changed = magnitude > threshold
        self.changed_cells = int(np.count_nonzero(changed))
        moving = self.changed_cells >= s.min_changed_cells
        # On a still frame every cell follows the scene (isolated noisy cells included); while
        # something moves only the unchanged cells do, so a passer-by leaves no ghost behind.
        rate = np.float32(s.background_rate)
        self._background += (rate if not moving else np.where(changed, np.float32(0.0), rate)) * (
            cells - self._background
        )
        self._changed_streak = np.where(changed, self._changed_streak + 1, 0).astype(np.int32)
        settled = self._changed_streak >= s.absorb_after_frames
        if settled.any():
            self._background[settled] = cells[settled]
            self._changed_streak[settled] = 0
        return moving


class MotionGate:
    """A ``FrameGate``: ``should_infer(frame, live_tracks)`` for every frame read, in order."""

    def __init__(self, settings: MotionGateSettings | None = None) -> None:
        self.settings = settings or MotionGateSettings()
        self._detector = SceneChangeDetector(self.settings)
        # Starts "long ago" so the first frame is always inferred.
        self._frames_since_inference = self.settings.idle_stride_frames
        self._quiet_frames = self.settings.hangover_frames + 1

    @classmethod
    def from_config(cls, config: GatingConfig) -> MotionGate:
        return cls(MotionGateSettings(idle_stride_frames=config.idle_stride))

    @property
    def changed_cells(self) -> int:
        """Cells that differed from the background in the last frame (for logs and tuning)."""
        return self._detector.changed_cells

    def cell_px_for(self, width: int) -> int:
        """Cell side for frames ``width`` pixels wide: ``cell_px`` up to 640 px, then as
        many times larger as the frame is wider (a 1920 px frame: 24 px cells)."""
        return self.settings.cell_px * max(1, width // 640)

    def should_infer(self, frame: ImageFrame, live_tracks: int) -> bool:
        # The detector sees every frame, inferred or not, so its background stays current.
        cells = downscale_grey(frame.image, self.cell_px_for(frame.image.shape[1]))
        moving = self._detector.update(cells)
        if moving or live_tracks > 0:
            self._quiet_frames = 0
        else:
            self._quiet_frames += 1
        self._frames_since_inference += 1
        infer = (
            self._quiet_frames <= self.settings.hangover_frames
            or self._frames_since_inference >= self.settings.idle_stride_frames
        )
        if infer:
            self._frames_since_inference = 0
        return infer
