"""Idle-scene gating: run the detector only when something in the scene changes.

Cameras in an MPP hall watch an empty floor most of the day. While idle, ``MotionGate``
looks at the scene a few times a second (``IdleScheduler``), on a small grey preview of the
frame (about 80 cells wide: what the camera adapter makes cheapest, e.g. picamera2's
low-resolution stream or a reduced JPEG decode), and compares it with a slowly updated
background. It asks for inference when enough cells differ by more than a threshold set
relative to the measured noise. Area averaging flattens compression noise; subtracting the
median difference cancels global exposure shifts; the slow background update absorbs
lighting drift. Every other frame is left undecoded.

Motion or live tracks make the scene busy: every frame inferred until ``hold_s`` passes
without either, so tracks end the way they would without gating. A person entering the
view is motion at the image border well before their foot point reaches a counting line
(``benchmarks/gating_benchmark.py`` measures the wake-up delay).

With ``crop`` (``detection_crop``) the gate compares only the cells that overlap the region
the tracker detects on (edge.counting.region, from ``set_geometry``): motion elsewhere, a
corridor at the back of a wide view, wakes nothing; the detector would find nobody there. A
person walking in crosses the region's margin before any line or zone, as they cross the image
border without the crop. A new region (saved geometry moved, another frame size) starts the
background and the noise estimate over on its cells.

Deterministic in its inputs: time is the frames' timestamps, no clock, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from edge.camera import Frame
from edge.config import GatingConfig
from edge.counting import Box, CountingLine, CountingZone, detection_region
from edge.gating.idle_scheduler import IdleSchedule, IdleScheduler


@dataclass(frozen=True)
class MotionGateSettings:
    schedule: IdleSchedule = field(default_factory=IdleSchedule)
    # Cells across the preview the scene is compared on (8 px cells at 640 px); a standing
    # person at 640x480 spans several cells.
    grid_width: int = 80
    # A cell changed when it differs from the background by this many noise sigmas...
    noise_factor: float = 5.0
    # ...and at least this many grey levels (area-averaged JPEG/H.264 noise is ~1 level).
    min_threshold_levels: float = 6.0
    # Cells that must change for the probe to count as motion; isolated cells are noise.
    min_changed_cells: int = 3
    # Per-probe background update rate for unchanged cells (lighting drift).
    background_rate: float = 0.1
    # A cell changed this long in a row becomes background (a moved chair, a bag), so it
    # stops keeping inference on. A passer-by never covers one cell that long, and changed
    # cells are otherwise never blended in, so people leave no ghost behind.
    absorb_after_s: float = 10.0
    # Smoothing of the noise estimate (per probe).
    noise_rate: float = 0.05

    def __post_init__(self) -> None:
        if min(self.grid_width, self.min_changed_cells) < 1 or self.absorb_after_s <= 0:
            raise ValueError("grid_width, min_changed_cells >= 1 and absorb_after_s > 0")
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


def region_window(region: Box, shape: tuple[int, ...], cell_w: float, cell_h: float) -> tuple[slice, slice]:
    """The rows and columns of a cell grid of ``shape`` that overlap ``region`` (normalised),
    one cell being ``cell_w`` x ``cell_h`` of the frame; cells fully outside are left out."""
    return _cover(region.y1, region.y2, cell_h, shape[0]), _cover(region.x1, region.x2, cell_w, shape[1])


def _cover(low: float, high: float, cell: float, count: int) -> slice:
    # A cell that only touches the region's edge (up to float error) lies outside it.
    first = min(count - 1, max(0, math.floor(low / cell + 1e-6)))
    return slice(first, max(first + 1, min(count, math.ceil(high / cell - 1e-6))))


def _median(values: NDArray[np.float32]) -> float:
    """``np.median`` of a flat array, the same value, without its generic overhead (a probe
    takes two: most of the gate's cost on a preview of a few thousand cells)."""
    half = values.size // 2
    if values.size % 2:
        return float(np.partition(values, half)[half])
    return float(np.partition(values, (half - 1, half))[half - 1 : half + 1].mean())


class SceneChangeDetector:
    """Background differencing on the cell grid; ``update`` says whether this probe saw motion."""

    def __init__(self, settings: MotionGateSettings) -> None:
        self._settings = settings
        self._absorb_after_probes = max(1, math.ceil(settings.absorb_after_s / settings.schedule.probe_interval_s))
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
        diff -= np.float32(_median(diff.ravel()))
        magnitude = np.abs(diff)
        # Median absolute deviation: robust to the minority of cells a person covers.
        frame_sigma = 1.4826 * _median(magnitude.ravel())
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
        settled = self._changed_streak >= self._absorb_after_probes
        if settled.any():
            self._background[settled] = cells[settled]
            self._changed_streak[settled] = 0
        return moving


class MotionGate:
    """A ``FrameGate``: ``should_infer(frame, live_tracks)`` for every frame read, in order.

    With ``crop``, also told the lines and zones (``set_geometry``, as the tracker is), it
    watches only their detection region; without, or where no region applies, the whole frame.
    """

    def __init__(self, settings: MotionGateSettings | None = None, *, crop: bool = False) -> None:
        self.settings = settings or MotionGateSettings()
        self._detector = SceneChangeDetector(self.settings)
        self._scheduler = IdleScheduler(self.settings.schedule)
        self._origin: Frame | None = None
        self.crop = crop
        self._layout: tuple[tuple[CountingLine, ...], tuple[CountingZone, ...]] = ((), ())
        # The region for the last frame size (None: the whole frame), and that size (None: redo).
        self.region: Box | None = None
        self._region_size: tuple[int, int] | None = None
        # The cells compared (rows, columns); None: all of them.
        self._window: tuple[slice, slice] | None = None

    @classmethod
    def from_config(cls, config: GatingConfig, *, crop: bool = False) -> MotionGate:
        schedule = IdleSchedule(
            probe_interval_s=config.idle_probe_interval_s,
            inference_interval_s=config.idle_inference_interval_s,
            hold_s=config.hold_s,
            max_inference_interval_s=config.idle_inference_max_interval_s,
        )
        return cls(MotionGateSettings(schedule=schedule), crop=crop)

    def set_geometry(self, lines: Sequence[CountingLine], zones: Sequence[CountingZone]) -> None:
        """Watch the region of these lines and zones from the next probe on (with ``crop``)."""
        self._layout = (tuple(lines), tuple(zones))
        self._region_size = None

    @property
    def changed_cells(self) -> int:
        """Cells that differed from the background in the last probe (for logs and tuning)."""
        return self._detector.changed_cells

    @property
    def idle_interval_s(self) -> float | None:
        """While idle, how often a frame is needed at all (a live source may skip the rest)."""
        return None if self._scheduler.busy else self.settings.schedule.probe_interval_s

    def cells(self, frame: Frame) -> NDArray[np.float32]:
        """The frame's grey preview, ``grid_width`` cells wide, from the source if it has one."""
        return self._grid(frame)[0]

    def _grid(self, frame: Frame) -> tuple[NDArray[np.float32], float, float]:
        """The preview, and one cell's width and height as fractions of the frame's."""
        preview = frame.preview(self.settings.grid_width)
        if preview is not None:
            cells = np.asarray(preview, dtype=np.float32)
            # The preview is the whole frame scaled down.
            return cells, 1.0 / cells.shape[1], 1.0 / cells.shape[0]
        cell_px = max(1, frame.width // self.settings.grid_width)
        return downscale_grey(frame.image, cell_px), cell_px / frame.width, cell_px / frame.height

    def _watched(self, frame: Frame) -> NDArray[np.float32]:
        """The cells this probe compares: all, or those over the detection region."""
        if not self.crop:
            return self.cells(frame)
        cells, cell_w, cell_h = self._grid(frame)
        size = (frame.width, frame.height)
        if size != self._region_size:
            self._region_size = size
            self.region = detection_region(*self._layout, *size)
        window = None if self.region is None else region_window(self.region, cells.shape, cell_w, cell_h)
        if window != self._window:
            # The background and the noise estimate were of other cells: start over on these.
            self._window = window
            self._detector = SceneChangeDetector(self.settings)
        return cells if window is None else cells[window]

    def should_infer(self, frame: Frame, live_tracks: int) -> bool:
        if self._origin is None:
            self._origin = frame
        now_s = (frame.ts - self._origin.ts).total_seconds()
        return self._scheduler.decide(now_s, live_tracks, lambda: self._motion(frame))

    def _motion(self, frame: Frame) -> bool:
        cells = self._watched(frame)  # first: a new region brings a new detector
        return self._detector.update(cells)
