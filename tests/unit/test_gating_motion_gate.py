"""MotionGate on synthetic frames: idle stride, motion at the border, live tracks, lighting."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from edge.config import GatingConfig
from edge.gating import MotionGate, MotionGateSettings
from edge.gating.motion_gate import downscale_grey

HEIGHT, WIDTH = 240, 320


@dataclass(frozen=True)
class SyntheticFrame:
    image: NDArray[np.uint8]


class Scene:
    """A textured static floor with sensor noise; people are dark rectangles."""

    def __init__(self, seed: int = 0, noise_sigma: float = 3.0) -> None:
        self.rng = np.random.default_rng(seed)
        ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
        texture = 110 + 40 * np.sin(xs / 7.0) * np.cos(ys / 11.0) + self.rng.normal(0, 15, (HEIGHT, WIDTH))
        self.floor = np.repeat(texture[..., None], 3, axis=2)
        # Noise drawn once and cycled: fast enough for thousands of frames.
        self.noise = [self.rng.normal(0, noise_sigma, self.floor.shape) for _ in range(17)]
        self.count = 0

    def frame(self, gain: float = 0.0, people: tuple[tuple[int, int], ...] = ()) -> SyntheticFrame:
        self.count += 1
        image = self.floor + gain + self.noise[self.count % len(self.noise)]
        for left, top in people:
            # 20x60 px person, clipped at the image border.
            x0, x1 = max(left, 0), min(left + 20, WIDTH)
            if x1 > x0:
                image[top : top + 60, x0:x1] = 35
        return SyntheticFrame(np.clip(image, 0, 255).astype(np.uint8))


def run(gate: MotionGate, frames: list[SyntheticFrame], live_tracks: list[int] | None = None) -> list[int]:
    """Indices (from 1) of the frames the gate sends to inference."""
    tracks = live_tracks or [0] * len(frames)
    return [i for i, (f, n) in enumerate(zip(frames, tracks, strict=True), start=1) if gate.should_infer(f, n)]


def test_static_noisy_scene_infers_only_every_idle_stride_frames() -> None:
    scene = Scene()
    gate = MotionGate(MotionGateSettings(idle_stride_frames=10))
    inferred = run(gate, [scene.frame() for _ in range(300)])
    assert inferred == list(range(1, 301, 10))


def test_from_config_uses_idle_stride() -> None:
    scene = Scene()
    gate = MotionGate.from_config(GatingConfig(idle_stride=25))
    assert run(gate, [scene.frame() for _ in range(100)]) == [1, 26, 51, 76]


def test_person_entering_at_border_switches_to_full_rate_before_reaching_a_line() -> None:
    scene = Scene(seed=1)
    gate = MotionGate(MotionGateSettings(idle_stride_frames=50, hangover_frames=5))
    frames = [scene.frame() for _ in range(100)]
    # Walks in from the left edge at 3 px/frame; a counting line stands at x = 0.25 * width.
    walk = [scene.frame(people=((-20 + 3 * step, 120),)) for step in range(60)]
    inferred = run(gate, frames + walk)
    entering = [i - 100 for i in inferred if i > 100]
    # First partly visible at step 1 (1 px); motion by the time a few pixels show.
    assert entering[0] <= 4
    line_step = (0.25 * WIDTH + 20) / 3
    assert entering[0] < line_step
    # Every frame while the person moves.
    assert entering == list(range(entering[0], 61))


def test_wide_frames_are_gated_alike_at_the_cost_of_a_small_one() -> None:
    gate = MotionGate(MotionGateSettings(idle_stride_frames=50, hangover_frames=5))
    # A 1920 px frame is cut into 24 px cells: about as many cells (and as much work) as 640.
    assert [gate.cell_px_for(w) for w in (320, 640, 1280, 1920)] == [8, 8, 16, 24]
    scene = Scene(seed=1)

    def wide(frame: SyntheticFrame) -> SyntheticFrame:
        return SyntheticFrame(np.repeat(np.repeat(frame.image, 6, axis=0), 6, axis=1))  # 1920x1440

    idle = [i for i in range(1, 101) if gate.should_infer(wide(scene.frame()), 0)]
    assert idle == [1, 51]
    entering = [
        step for step in range(60) if gate.should_infer(wide(scene.frame(people=((-20 + 3 * step, 120),))), 0)
    ]
    assert entering[0] <= 4
    assert entering == list(range(entering[0], 60))


def test_live_tracks_keep_full_rate_then_hangover_then_idle_stride() -> None:
    scene = Scene(seed=2)
    gate = MotionGate(MotionGateSettings(idle_stride_frames=10, hangover_frames=5))
    frames = [scene.frame() for _ in range(80)]
    # A person standing still is tracked on frames 21..40 (no pixel changes at all).
    tracks = [1 if 21 <= i <= 40 else 0 for i in range(1, 81)]
    inferred = run(gate, frames, tracks)
    assert [i for i in inferred if 21 <= i <= 40] == list(range(21, 41))
    # Hangover of 5 frames after the last live track, then back to one frame in ten.
    assert [i for i in inferred if i > 40] == [41, 42, 43, 44, 45, 55, 65, 75]


def test_slow_lighting_drift_and_exposure_jump_are_not_motion() -> None:
    scene = Scene(seed=3)
    gate = MotionGate(MotionGateSettings(idle_stride_frames=1000))
    # 60 grey levels of drift over 600 frames (a sunset), then an auto-exposure step of 25 levels.
    drift = [scene.frame(gain=0.1 * i) for i in range(600)]
    step = [scene.frame(gain=60.0 + 25.0) for _ in range(100)]
    inferred = run(gate, drift + step)
    assert inferred == [1]


def test_heavy_noise_is_not_motion_but_a_person_still_is() -> None:
    scene = Scene(seed=4, noise_sigma=12.0)
    gate = MotionGate(MotionGateSettings(idle_stride_frames=1000, hangover_frames=0))
    idle = [scene.frame() for _ in range(200)]
    person = [scene.frame(people=((150, 100),))]
    inferred = run(gate, idle + person)
    assert inferred == [1, 201]


def test_new_object_is_absorbed_into_the_background_eventually() -> None:
    scene = Scene(seed=5)
    gate = MotionGate(MotionGateSettings(idle_stride_frames=10_000, hangover_frames=0))
    idle = [scene.frame() for _ in range(50)]
    # A bag left on the floor: motion at first, idle again once it is part of the background.
    bag = [scene.frame(people=((150, 100),)) for _ in range(3000)]
    inferred = run(gate, idle + bag)
    assert 51 in inferred
    assert inferred[-1] < 3000


@settings(max_examples=30, deadline=None)
@given(
    stride=st.integers(min_value=1, max_value=30),
    tracks=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=150),
)
def test_never_more_than_idle_stride_frames_without_inference(stride: int, tracks: list[int]) -> None:
    image = np.full((64, 64, 3), 100, np.uint8)
    gate = MotionGate(MotionGateSettings(idle_stride_frames=stride, hangover_frames=3))
    inferred = run(gate, [SyntheticFrame(image)] * len(tracks), tracks)
    assert inferred[0] == 1
    gaps = np.diff([*inferred, len(tracks) + 1])
    assert gaps.max() <= stride
    # A frame after a frame with live tracks is always inferred.
    for i, n in enumerate(tracks[:-1], start=1):
        if n > 0:
            assert i + 1 in inferred


def test_downscale_averages_cells_and_rejects_tiny_images() -> None:
    image = np.zeros((16, 24, 3), np.uint8)
    image[:8, :8] = 240
    cells = downscale_grey(image, 8)
    assert cells.shape == (2, 3)
    assert cells[0, 0] == pytest.approx(240.0)
    assert cells[1:, :].max() == 0.0
    with pytest.raises(ValueError, match="smaller than one"):
        downscale_grey(np.zeros((4, 4, 3), np.uint8), 8)


def test_passer_by_who_pauses_leaves_no_ghost_behind() -> None:
    scene = Scene(seed=6)
    gate = MotionGate(MotionGateSettings(idle_stride_frames=20, hangover_frames=5))
    idle = [scene.frame() for _ in range(40)]
    walk_in = [scene.frame(people=((-20 + 4 * step, 100),)) for step in range(40)]  # to x = 140
    pause = [scene.frame(people=((140, 100),)) for _ in range(60)]
    walk_out = [scene.frame(people=((140 + 4 * step, 100),)) for step in range(1, 50)]  # past the right edge
    after = [scene.frame() for _ in range(100)]
    frames = idle + walk_in + pause + walk_out + after
    inferred = run(gate, frames)
    gone = len(idle + walk_in + pause + walk_out) - 4  # gone from view 4 frames before walk_out ends
    # Idle again right after the hangover: one frame in 20, nothing left in the background.
    late = [i for i in inferred if i > gone + 6]
    assert len(late) <= (len(frames) - gone) // 20 + 1, late
    assert all(b - a == 20 for a, b in itertools.pairwise(late))
