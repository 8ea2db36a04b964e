"""IdleScheduler with explicit times (no clock, no sleeps): probes in time, wake-up, hold, idle inference."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.gating import IdleSchedule, IdleScheduler


class Motion:
    """The motion test the scheduler calls: records when, answers from a set of moving times."""

    def __init__(self, moving_from_s: float = float("inf"), moving_until_s: float = float("inf")) -> None:
        self.moving_from_s, self.moving_until_s = moving_from_s, moving_until_s
        self.probed_at: list[float] = []
        self.now_s = 0.0

    def __call__(self) -> bool:
        self.probed_at.append(self.now_s)
        return self.moving_from_s <= self.now_s < self.moving_until_s


def run(
    scheduler: IdleScheduler, fps: float, seconds: float, motion: Motion, tracks: dict[int, int] | None = None
) -> list[int]:
    """Frame numbers (from 0) the scheduler sends to inference, frames at ``fps`` for ``seconds``."""
    inferred = []
    for n in range(round(fps * seconds)):
        motion.now_s = n / fps
        if scheduler.decide(n / fps, (tracks or {}).get(n, 0), motion):
            inferred.append(n)
    return inferred


@pytest.mark.parametrize("fps", [7.0, 10.0, 12.0, 25.0, 30.0])
def test_idle_cost_is_set_by_time_not_by_the_frame_rate(fps: float) -> None:
    scheduler = IdleScheduler(IdleSchedule(probe_interval_s=0.25, inference_interval_s=10.0, hold_s=1.0))
    motion = Motion()
    inferred = run(scheduler, fps, 60.0, motion)
    # Four probes a second and one inference every 10 s, at any frame rate.
    assert len(motion.probed_at) == pytest.approx(240, abs=2)
    assert max(b - a for a, b in itertools.pairwise(motion.probed_at)) <= 0.25 + 1 / fps + 1e-9
    assert [n / fps for n in inferred] == pytest.approx([0.0, 10.0, 20.0, 30.0, 40.0, 50.0], abs=1 / fps)
    assert not scheduler.busy


def test_motion_in_a_probe_wakes_on_that_frame_and_holds_full_rate() -> None:
    scheduler = IdleScheduler(IdleSchedule(probe_interval_s=0.25, inference_interval_s=100.0, hold_s=1.0))
    # Something moves from 5.02 s to 7.0 s; frames at 25 fps.
    motion = Motion(moving_from_s=5.02, moving_until_s=7.0)
    inferred = run(scheduler, 25.0, 12.0, motion)
    woken = [n for n in inferred if n > 0]
    # Probes fall on the first frame at or after each quarter second: 5.0, 5.28, 5.52, ...
    # The first after 5.02 s is frame 132 (5.28 s): inferred at once.
    assert woken[0] == 132
    # Then every frame while it moves, and ``hold_s`` after the last probe that saw motion (6.76 s).
    assert woken == list(range(132, 194 + 1))
    assert not scheduler.busy


def test_wake_up_delay_never_exceeds_one_probe_interval_plus_a_frame() -> None:
    for fps, start_s in itertools.product((7.0, 10.0, 25.0), (3.0, 3.01, 3.1, 3.2, 3.24, 3.26)):
        scheduler = IdleScheduler(IdleSchedule(probe_interval_s=0.25, inference_interval_s=100.0, hold_s=1.0))
        inferred = run(scheduler, fps, 6.0, Motion(moving_from_s=start_s))
        wake_s = next(n / fps for n in inferred if n / fps >= start_s)
        assert wake_s - start_s <= 0.25 + 1 / fps + 1e-9, (fps, start_s, wake_s)


def test_live_tracks_keep_inference_on_without_motion_then_hold_then_idle() -> None:
    scheduler = IdleScheduler(IdleSchedule(probe_interval_s=0.25, inference_interval_s=5.0, hold_s=0.5))
    # A person standing still (no motion) is tracked on frames 100..199 (10 fps: 10 s to 20 s).
    tracks = {n: 1 for n in range(100, 200)}
    inferred = run(scheduler, 10.0, 40.0, Motion(), tracks)
    assert [n for n in inferred if 100 <= n < 200] == list(range(100, 200))
    # The last live track is seen at frame 199 (19.9 s): hold until 20.4 s, then idle inference only.
    assert [n for n in inferred if n >= 200] == [200, 201, 202, 203, 204, 254, 304, 354]


def test_the_first_frame_is_probed_and_inferred() -> None:
    scheduler = IdleScheduler()
    motion = Motion()
    assert scheduler.decide(1000.0, 0, motion)
    assert motion.probed_at == [0.0]


def test_a_clock_stepping_back_keeps_the_schedule() -> None:
    scheduler = IdleScheduler(IdleSchedule(probe_interval_s=0.25, inference_interval_s=10.0, hold_s=1.0))
    motion = Motion()
    assert scheduler.decide(100.0, 0, motion)
    assert not scheduler.decide(100.1, 0, motion)
    # The wall clock steps back an hour (NTP): that step counts as no time passing, so there is
    # neither a burst of probes nor an hour without them.
    stepped = [t / 10 - 3600 for t in range(1002, 1102)]  # 10 s of frames at 10 fps
    inferred = [t + 3600 for t in stepped if scheduler.decide(t, 0, motion)]
    assert len(motion.probed_at) == 1 + 40
    assert inferred == [pytest.approx(110.1)]


def test_a_gap_in_the_frames_does_not_bunch_probes() -> None:
    scheduler = IdleScheduler(IdleSchedule(probe_interval_s=0.25, inference_interval_s=100.0, hold_s=1.0))
    motion = Motion()
    for t in (0.0, 0.1, 5.0, 5.1, 5.2, 5.3, 5.4, 5.5):
        motion.now_s = t
        scheduler.decide(t, 0, motion)
    assert motion.probed_at == [0.0, 5.0, 5.3, 5.5]


def test_schedule_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="probe_interval_s"):
        IdleSchedule(probe_interval_s=0.0)
    with pytest.raises(ValueError, match="hold_s"):
        IdleSchedule(hold_s=-1.0)


@settings(max_examples=50, deadline=None)
@given(
    fps=st.sampled_from([5.0, 7.0, 12.0, 25.0]),
    tracks=st.lists(st.integers(min_value=0, max_value=2), min_size=1, max_size=300),
    moving=st.lists(st.booleans(), min_size=300, max_size=300),
)
def test_never_longer_than_the_inference_interval_idle_and_never_idle_after_a_track(
    fps: float, tracks: list[int], moving: list[bool]
) -> None:
    schedule = IdleSchedule(probe_interval_s=0.25, inference_interval_s=2.0, hold_s=0.5)
    scheduler = IdleScheduler(schedule)
    inferred = []
    for n, live in enumerate(tracks):
        if scheduler.decide(n / fps, live, lambda n=n: moving[n]):  # type: ignore[misc]
            inferred.append(n)
    assert inferred[0] == 0
    times = [n / fps for n in inferred]
    assert max((b - a for a, b in itertools.pairwise([*times, len(tracks) / fps])), default=0.0) <= 2.0 + 1 / fps
    # A frame after a frame with live tracks is always inferred.
    assert all(n + 1 in inferred for n, live in enumerate(tracks[:-1]) if live)


def test_idle_inference_backs_off_with_the_quiet_time_up_to_the_cap() -> None:
    schedule = IdleSchedule(probe_interval_s=0.25, inference_interval_s=10.0, hold_s=1.0, max_inference_interval_s=60.0)
    # Something moves from 300 s to 302 s; frames at 10 fps for 10 minutes.
    inferred = run(IdleScheduler(schedule), 10.0, 600.0, Motion(moving_from_s=300.0, moving_until_s=302.0))
    idle = [n / 10 for n in inferred if n / 10 < 300.0]
    # From the start: 10 s after it, then as long again as the scene has been quiet, at most 60 s.
    assert idle == pytest.approx([0.0, 10.0, 20.0, 40.0, 80.0, 140.0, 200.0, 260.0], abs=0.1)
    # The motion probe at 300 s wakes it (busy to 303 s, hold after the last moving probe at
    # 301.75 s); quiet from the last busy frame on, the same back-off starts again.
    busy_end_s = max(n / 10 for n in inferred if n / 10 <= 303.0)
    after = [n / 10 - busy_end_s for n in inferred if n / 10 > busy_end_s]
    assert after == pytest.approx([10.0, 20.0, 40.0, 80.0, 140.0, 200.0, 260.0], abs=0.1)


def test_an_idle_run_that_finds_someone_restarts_the_back_off() -> None:
    schedule = IdleSchedule(probe_interval_s=0.25, inference_interval_s=10.0, hold_s=0.5, max_inference_interval_s=60.0)
    # No motion ever (a person standing still): the idle run at 80 s finds them (live tracks on
    # the next frame), the tracker keeps them until frame 849 (84.9 s).
    tracks = {n: 1 for n in range(801, 850)}
    inferred = run(IdleScheduler(schedule), 10.0, 200.0, Motion(), tracks)
    assert [n for n in inferred if n < 801] == [0, 100, 200, 400, 800]
    assert [n for n in inferred if 801 <= n <= 855] == list(range(801, 855))
    # Quiet from 85.4 s (the end of the hold) on: 10 s later, then the back-off again.
    assert [n for n in inferred if n > 855] == [954, 1054, 1254, 1654]


def test_schedule_rejects_a_cap_below_the_interval() -> None:
    with pytest.raises(ValueError, match="max_inference_interval_s"):
        IdleSchedule(inference_interval_s=10.0, max_inference_interval_s=5.0)
