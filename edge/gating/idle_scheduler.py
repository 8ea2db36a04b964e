"""When the idle gate looks at the scene and when the detector runs: a schedule in time.

While the scene is idle nothing is decoded but a small preview a few times a second
(``probe_interval_s``), and the detector runs only every ``inference_interval_s`` (a person
standing still causes no motion), or, with ``max_inference_interval_s``, after as long as the
scene has been quiet, between the two: 10, 20, 40, 80, 140, 200 s... after the last activity.
A person whose track was lost is most likely still there right after the activity; an empty
hall needs a check a minute, not six. Motion in a probe, or live tracks, make the scene busy:
every frame is inferred, from the probe that saw the motion on, until ``hold_s`` has passed
without either. Counted in seconds, not frames, so the idle cost does not grow with the
camera's frame rate.

Pure: times come in as arguments (seconds on any monotonic scale: a file's frame times, a
camera's capture times), the motion test as a callable run only when a probe is due.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Frame times from a frame rate are not exact decimals (0.1 * 3 != 0.3).
_EPS_S = 1e-6


@dataclass(frozen=True)
class IdleSchedule:
    # Seconds between motion probes (on a small preview of the frame).
    probe_interval_s: float = 0.25
    # Seconds between detector runs while idle, to notice someone who arrived without motion.
    inference_interval_s: float = 10.0
    # Seconds of full-rate inference after the last motion or live track.
    hold_s: float = 1.0
    # The idle detector interval grows with the quiet time up to this (None: stays fixed).
    max_inference_interval_s: float | None = None

    def __post_init__(self) -> None:
        if self.probe_interval_s <= 0 or self.inference_interval_s <= 0 or self.hold_s < 0:
            raise ValueError("probe_interval_s and inference_interval_s must be > 0, hold_s >= 0")
        if self.max_inference_interval_s is not None and self.max_inference_interval_s < self.inference_interval_s:
            raise ValueError("max_inference_interval_s must be >= inference_interval_s")


class IdleScheduler:
    """``decide(now_s, live_tracks, motion)`` once per frame read, in time order."""

    def __init__(self, schedule: IdleSchedule | None = None) -> None:
        self.schedule = schedule or IdleSchedule()
        # Everything due on the first frame: it is probed (sets the background) and inferred.
        self._next_probe_s = -float("inf")
        self._next_inference_s = -float("inf")
        self._busy_until_s = -float("inf")
        # Since when the scene has been quiet (no motion, no live tracks); None before the first frame.
        self._quiet_since_s: float | None = None
        self._last_s: float | None = None
        self.busy = True

    def decide(self, now_s: float, live_tracks: int, motion: Callable[[], bool]) -> bool:
        """Whether to run the detector on the frame of ``now_s``; ``live_tracks`` is what the
        last detector run left. Calls ``motion()`` (is something moving in this frame?)
        only when a probe is due."""
        if self._last_s is not None and now_s < self._last_s:
            # A clock stepped back (a live camera's wall clock): keep every deadline as far ahead.
            shift = now_s - self._last_s
            self._next_probe_s += shift
            self._next_inference_s += shift
            self._busy_until_s += shift
            if self._quiet_since_s is not None:
                self._quiet_since_s += shift
        self._last_s = now_s
        s = self.schedule
        if live_tracks > 0:
            self._busy_until_s = now_s + s.hold_s
        if now_s >= self._next_probe_s - _EPS_S:
            # Keep the cadence (one probe per interval on average) unless a gap broke it.
            late_s = now_s - self._next_probe_s
            self._next_probe_s = (self._next_probe_s if late_s < s.probe_interval_s else now_s) + s.probe_interval_s
            if motion():
                # At least until the next probe, so a moving scene is never dropped between two.
                self._busy_until_s = now_s + max(s.hold_s, s.probe_interval_s)
        self.busy = now_s <= self._busy_until_s + _EPS_S
        infer = self.busy or now_s >= self._next_inference_s - _EPS_S
        if self.busy or self._quiet_since_s is None:
            self._quiet_since_s = now_s
        if infer:
            interval_s = s.inference_interval_s
            if s.max_inference_interval_s is not None:
                # An idle run that finds someone leaves live tracks: busy again, quiet from then on.
                interval_s = min(s.max_inference_interval_s, max(interval_s, now_s - self._quiet_since_s))
            self._next_inference_s = now_s + interval_s
        return infer
