"""MotionGate on synthetic frames: probes in time on a preview, motion at the border, live tracks,
lighting, and with ``detection_crop`` the detection region alone."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from numpy.typing import NDArray

from edge.app import build_gate
from edge.camera import Frame
from edge.config import ConfigError, GatingConfig, parse_config
from edge.counting import Box, CountingZone, Point, Polygon
from edge.gating import IdleSchedule, MotionGate, MotionGateSettings
from edge.gating.motion_gate import downscale_grey, region_window

HEIGHT, WIDTH = 240, 320
T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def settings(probe_s: float = 0.25, inference_s: float = 10.0, hold_s: float = 1.0) -> MotionGateSettings:
    return MotionGateSettings(schedule=IdleSchedule(probe_s, inference_s, hold_s))


class Scene:
    """A textured static floor with sensor noise, filmed at ``fps``; people are dark rectangles."""

    def __init__(self, seed: int = 0, noise_sigma: float = 3.0, fps: float = 25.0) -> None:
        self.rng = np.random.default_rng(seed)
        self.fps = fps
        ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
        texture = 110 + 40 * np.sin(xs / 7.0) * np.cos(ys / 11.0) + self.rng.normal(0, 15, (HEIGHT, WIDTH))
        self.floor = np.repeat(texture[..., None], 3, axis=2)
        # Noise drawn once and cycled: fast enough for thousands of frames.
        self.noise = [self.rng.normal(0, noise_sigma, self.floor.shape) for _ in range(17)]
        self.count = 0

    def image(self, gain: float = 0.0, people: tuple[tuple[int, int], ...] = ()) -> NDArray[np.uint8]:
        image = self.floor + gain + self.noise[self.count % len(self.noise)]
        for left, top in people:
            # 20x60 px person, clipped at the image border.
            x0, x1 = max(left, 0), min(left + 20, WIDTH)
            if x1 > x0:
                image[top : top + 60, x0:x1] = 35
        return np.clip(image, 0, 255).astype(np.uint8)

    def frame(self, gain: float = 0.0, people: tuple[tuple[int, int], ...] = ()) -> Frame:
        self.count += 1
        return Frame(self.image(gain, people), self.count, T0 + timedelta(seconds=(self.count - 1) / self.fps))


def run(gate: MotionGate, frames: list[Frame], live_tracks: list[int] | None = None) -> list[int]:
    """Indices (from 1) of the frames the gate sends to inference."""
    tracks = live_tracks or [0] * len(frames)
    return [f.index for f, n in zip(frames, tracks, strict=True) if gate.should_infer(f, n)]


def test_static_noisy_scene_infers_only_every_inference_interval() -> None:
    scene = Scene()
    gate = MotionGate(settings(inference_s=4.0))
    inferred = run(gate, [scene.frame() for _ in range(25 * 20)])
    assert inferred == [1, 101, 201, 301, 401]
    assert gate.idle_interval_s == 0.25


def test_from_config_uses_the_time_based_keys() -> None:
    config = GatingConfig(
        idle_probe_interval_s=0.5, idle_inference_interval_s=2.0, hold_s=0.0, idle_inference_max_interval_s=30.0
    )
    gate = MotionGate.from_config(config)
    assert gate.settings.schedule == IdleSchedule(0.5, 2.0, 0.0, max_inference_interval_s=30.0)
    scene = Scene()
    assert run(gate, [scene.frame() for _ in range(125)]) == [1, 51, 101]


def test_the_old_frame_count_key_is_a_clear_config_error() -> None:
    with pytest.raises(ConfigError, match=r"gating: idle_stride .*replaced by idle_probe_interval_s"):
        parse_config({"site": "s", "device": "d", "source": "x.mp4", "gating": {"idle_stride": 10}})


@pytest.mark.parametrize(("fps", "px_per_frame"), [(25.0, 3), (7.0, 11), (10.0, 16)])
def test_person_entering_at_border_wakes_within_a_probe_and_before_reaching_a_line(
    fps: float, px_per_frame: int
) -> None:
    scene = Scene(seed=1, fps=fps)
    gate = MotionGate(settings(inference_s=100.0, hold_s=0.2))
    idle = [scene.frame() for _ in range(round(4 * fps))]
    # Walks in from the left edge; a counting line stands at x = 0.25 * width.
    walk = [scene.frame(people=((-20 + px_per_frame * step, 120),)) for step in range(1, 320 // px_per_frame)]
    inferred = run(gate, idle + walk)
    entering = [i - len(idle) for i in inferred if i > len(idle)]
    # Visible from step 1; woken by the first probe that sees a few pixels of them.
    assert (entering[0] - 1) / fps <= 0.25 + 1.5 / fps
    line_step = (0.25 * WIDTH + 20) / px_per_frame
    assert entering[0] < line_step
    # Every frame while the person moves.
    assert entering == list(range(entering[0], len(walk) + 1))


def test_the_preview_is_used_and_skipped_frames_are_never_decoded() -> None:
    scene = Scene(seed=2)
    decoded: list[int] = []
    previews: list[int] = []

    def lazy(image: NDArray[np.uint8], index: int) -> Frame:
        def decode() -> NDArray[np.uint8]:
            decoded.append(index)
            return image

        def preview(frame: Frame, width_px: int) -> NDArray[np.uint8]:
            previews.append(index)
            return downscale_grey(image, WIDTH // width_px).astype(np.uint8)

        ts = T0 + timedelta(seconds=(index - 1) / 25)
        return Frame(None, index, ts, decode=decode, preview=preview, size=(WIDTH, HEIGHT))

    gate = MotionGate(settings(inference_s=100.0))
    frames = [lazy(scene.image(), i) for i in range(1, 251)]
    inferred = run(gate, frames)
    assert inferred == [1]
    # Ten seconds at 25 fps: 40 previews (four a second), no frame decoded by the gate.
    assert len(previews) == 40
    assert decoded == []


def test_wide_frames_are_gated_alike_at_the_cost_of_a_small_one() -> None:
    gate = MotionGate(settings(inference_s=100.0, hold_s=0.2))
    scene = Scene(seed=1)

    def wide(frame: Frame) -> Frame:
        return Frame(np.repeat(np.repeat(frame.image, 6, axis=0), 6, axis=1), frame.index, frame.ts)  # 1920x1440

    # A 1920 px frame is cut into 24 px cells: as many cells (and as much work) as 320 px in 4 px cells.
    assert gate.cells(wide(scene.frame())).shape == (60, 80)
    idle = [f.index for f in (wide(scene.frame()) for _ in range(100)) if gate.should_infer(f, 0)]
    assert idle == [2]  # the first frame the gate sees is inferred
    entering = [s for s in range(60) if gate.should_infer(wide(scene.frame(people=((-20 + 3 * s, 120),))), 0)]
    assert entering[0] <= 10
    assert entering == list(range(entering[0], 60))


def test_live_tracks_keep_full_rate_then_hold_then_idle() -> None:
    scene = Scene(seed=2, fps=10.0)
    gate = MotionGate(settings(inference_s=3.0, hold_s=0.5))
    frames = [scene.frame() for _ in range(100)]
    # A person standing still is tracked on frames 21..40 (no pixel changes at all).
    tracks = [1 if 21 <= i <= 40 else 0 for i in range(1, 101)]
    inferred = run(gate, frames, tracks)
    assert [i for i in inferred if 21 <= i <= 40] == list(range(21, 41))
    assert gate.idle_interval_s == 0.25
    # The last live track is reported on frame 40 (3.9 s): hold 0.5 s, then one inference every 3 s.
    assert [i for i in inferred if i > 40] == [41, 42, 43, 44, 45, 75]


def test_slow_lighting_drift_and_exposure_jump_are_not_motion() -> None:
    scene = Scene(seed=3)
    gate = MotionGate(settings(inference_s=1000.0))
    # 60 grey levels of drift over 24 s (a fast sunset), then an auto-exposure step of 25 levels.
    drift = [scene.frame(gain=0.1 * i) for i in range(600)]
    step = [scene.frame(gain=60.0 + 25.0) for _ in range(100)]
    inferred = run(gate, drift + step)
    assert inferred == [1]


def test_heavy_noise_is_not_motion_but_a_person_still_is() -> None:
    scene = Scene(seed=4, noise_sigma=12.0)
    gate = MotionGate(settings(inference_s=1000.0, hold_s=0.0))
    idle = [scene.frame() for _ in range(200)]
    person = [scene.frame(people=((150, 100),)) for _ in range(7)]
    inferred = run(gate, idle + person)
    # Nothing in 8 s of heavy noise; the person shows from frame 201 and the next probe
    # (within a quarter second) sees them.
    assert [i for i in inferred if i <= 200] == [1]
    assert 201 <= inferred[1] <= 207


def test_new_object_is_absorbed_into_the_background_eventually() -> None:
    scene = Scene(seed=5)
    gate = MotionGate(settings(inference_s=10_000.0, hold_s=0.0))
    idle = [scene.frame() for _ in range(50)]
    # A bag left on the floor: motion at first, idle again once it is part of the background (10 s).
    bag = [scene.frame(people=((150, 100),)) for _ in range(600)]
    inferred = run(gate, idle + bag)
    assert 51 <= inferred[1] <= 57
    assert inferred[-1] < 50 + 12 * 25


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
    gate = MotionGate(settings(inference_s=0.8, hold_s=0.2))
    idle = [scene.frame() for _ in range(40)]
    walk_in = [scene.frame(people=((-20 + 4 * step, 100),)) for step in range(40)]  # to x = 140
    pause = [scene.frame(people=((140, 100),)) for _ in range(60)]
    walk_out = [scene.frame(people=((140 + 4 * step, 100),)) for step in range(1, 50)]  # past the right edge
    after = [scene.frame() for _ in range(100)]
    frames = idle + walk_in + pause + walk_out + after
    inferred = run(gate, frames)
    gone = len(idle + walk_in + pause + walk_out) - 4  # gone from view 4 frames before walk_out ends
    # Idle again right after the hold: one inference in 0.8 s (20 frames), nothing left in the background.
    late = [i for i in inferred if i > gone + 15]
    assert len(late) <= (len(frames) - gone) // 20 + 1, late
    assert all(b - a == 20 for a, b in itertools.pairwise(late))


def test_config_rejects_a_back_off_cap_below_the_idle_interval() -> None:
    with pytest.raises(ValueError, match="idle_inference_max_interval_s"):
        GatingConfig(idle_inference_interval_s=30.0, idle_inference_max_interval_s=20.0)


# --- with detection_crop: only the detection region is watched -------------------------------


def zone(x1: float, x2: float) -> CountingZone:
    corners = (Point(x1, 0.3), Point(x2, 0.3), Point(x2, 0.7), Point(x1, 0.7))
    return CountingZone("z", Polygon(corners), "visitor")


# Regions at 320x240: x 0..0.4 and 0.6..1 (as many cells each), y 1/6..5/6; none for the wide zone.
LEFT, RIGHT, WIDE = zone(0.05, 0.25), zone(0.75, 0.95), zone(0.1, 0.9)


def cropped(*zones: CountingZone) -> MotionGate:
    gate = MotionGate(settings(inference_s=100.0, hold_s=0.2), crop=True)
    gate.set_geometry([], zones)
    return gate


def test_with_the_crop_motion_outside_the_region_wakes_nothing() -> None:
    scene = Scene(seed=7)
    idle = [scene.frame() for _ in range(50)]
    # Someone walking in a corridor at the back, right of the region (x >= 180 px of 320).
    corridor = [scene.frame(people=((180 + 3 * step, 120),)) for step in range(40)]
    whole = MotionGate(settings(inference_s=100.0, hold_s=0.2))
    assert len(run(whole, idle + corridor)) > 30
    gate = cropped(LEFT)
    assert run(gate, idle + corridor) == [1]
    assert gate.region == Box(0.0, 1 / 6, 0.4, 5 / 6)


def test_with_the_crop_motion_inside_the_region_wakes_inference() -> None:
    scene = Scene(seed=8)
    idle = [scene.frame() for _ in range(50)]
    # Walks in from the left edge, which is the region's edge too, towards the zone.
    walk = [scene.frame(people=((-20 + 3 * step, 120),)) for step in range(1, 40)]
    inferred = run(cropped(LEFT), idle + walk)
    entering = [i - len(idle) for i in inferred if i > len(idle)]
    assert entering and (entering[0] - 1) / 25 <= 0.25 + 1.5 / 25
    assert entering == list(range(entering[0], len(walk) + 1))


@pytest.mark.parametrize(("crop", "zones"), [(True, (WIDE,)), (True, ()), (False, (LEFT,))])
def test_where_no_region_applies_the_gate_decides_as_on_the_whole_frame(
    crop: bool, zones: tuple[CountingZone, ...]
) -> None:
    scene = Scene(seed=9)
    idle = [scene.frame() for _ in range(60)]
    across = [scene.frame(people=((-20 + 4 * step, 100),)) for step in range(90)]
    drift = [scene.frame(gain=0.2 * i) for i in range(150)]
    frames = idle + across + drift + [scene.frame(people=((250, 120),)) for _ in range(30)]
    tracks = [1 if 200 <= i <= 220 else 0 for i in range(1, len(frames) + 1)]
    plain = run(MotionGate(settings(inference_s=2.0, hold_s=0.2)), frames, tracks)
    gate = MotionGate(settings(inference_s=2.0, hold_s=0.2), crop=crop)
    gate.set_geometry([], zones)
    assert run(gate, frames, tracks) == plain
    assert gate.region is None


def test_a_moved_region_starts_over_on_its_own_cells() -> None:
    scene = Scene(seed=10)
    gate = cropped(LEFT)
    assert run(gate, [scene.frame() for _ in range(50)]) == [1]
    # Saved on the right: as many cells as before but other ones, compared with their own
    # background (against the left's, the still scene would look like motion).
    gate.set_geometry([], [RIGHT])
    assert run(gate, [scene.frame() for _ in range(50)]) == []
    assert gate.region == Box(0.6, 1 / 6, 1.0, 5 / 6)
    # The left is outside now, the right inside.
    assert run(gate, [scene.frame(people=((20 + 3 * step, 120),)) for step in range(30)]) == []
    inferred = run(gate, [scene.frame(people=((200 + 3 * step, 120),)) for step in range(30)])
    assert inferred and inferred[0] <= 130 + 7


def test_a_new_frame_size_gives_a_new_region_and_no_error() -> None:
    scene = Scene(seed=11)
    gate = cropped(LEFT)
    assert run(gate, [scene.frame() for _ in range(30)]) == [1]
    first = gate.region

    def cut(frame: Frame) -> Frame:  # the camera now delivers 320x180
        return Frame(np.ascontiguousarray(frame.image[30:210]), frame.index, frame.ts)

    assert run(gate, [cut(scene.frame()) for _ in range(30)]) == []
    assert gate.region is not None and gate.region != first
    inferred = run(gate, [cut(scene.frame(people=((-20 + 3 * step, 60),))) for step in range(1, 30)])
    assert inferred and inferred[0] <= 60 + 7


def test_region_window_keeps_every_cell_the_region_overlaps() -> None:
    # 10 x 8 cells, each a tenth of the width and an eighth of the height.
    rows, cols = region_window(Box(0.25, 0.125, 0.5, 1.0), (8, 10), 0.1, 0.125)
    # 0.25 lies in cell 2 (kept, partly inside); cell 5 only touches 0.5 (left out).
    assert (cols.start, cols.stop) == (2, 5)
    assert (rows.start, rows.stop) == (1, 8)


def test_build_gate_watches_the_region_with_the_crop() -> None:
    base = {"site": "s", "device": "d", "source": "x.mp4"}
    gate = build_gate(parse_config({**base, "detection_crop": True}), gating=True)
    assert isinstance(gate, MotionGate) and gate.crop
    gate = build_gate(parse_config(base), gating=True)
    assert isinstance(gate, MotionGate) and not gate.crop
