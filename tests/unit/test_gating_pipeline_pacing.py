"""The per-frame loop with an idle gate: live-source pacing and the time-weighted idle share."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from edge.camera import Frame
from edge.config import ZoneConfig
from edge.counting import TRACKER_RULES, IntervalAggregator, Observation, SceneCounter
from edge.counting.tracks import Box, Track
from edge.pipeline import Pipeline
from wire.messages import CameraState, LineCounts, ZoneOccupancy

T0 = datetime(2026, 1, 5, 2, 0, 0, tzinfo=UTC)
ZONE = ZoneConfig.model_validate({"name": "all", "points": [[0, 0], [1, 0], [1, 1], [0, 1]]}).as_counting()


class PacedLiveSource:
    """A live camera at 25 fps that delivers one frame per idle interval while asked to."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.idle_interval_s: float | None = None
        self.requests: list[float | None] = []

    @property
    def state(self) -> CameraState:
        return CameraState.OK

    @property
    def fps_hint(self) -> float:
        return 25.0

    def set_idle_interval(self, interval_s: float | None) -> None:
        self.idle_interval_s = interval_s
        self.requests.append(interval_s)

    def frames(self) -> Iterator[Frame]:
        t, index = 0.0, 0
        while t < self.seconds:
            index += 1
            yield Frame(None, index, T0 + timedelta(seconds=t))
            t += self.idle_interval_s or 1 / 25

    def close(self) -> None:
        pass


class BusyBetween:
    """Busy (every frame inferred) from 10 s to 20 s, otherwise idle wanting a frame every 0.25 s."""

    def __init__(self) -> None:
        self.busy = True

    @property
    def idle_interval_s(self) -> float | None:
        return None if self.busy else 0.25

    def should_infer(self, frame: Frame, live_tracks: int) -> bool:
        t = (frame.ts - T0).total_seconds()
        self.busy = 10.0 <= t < 20.0
        return self.busy


class NoOne:
    def update(self, frame: Frame) -> Observation:
        return Observation((), ())


class ListSink:
    def __init__(self) -> None:
        self.records: list[LineCounts | ZoneOccupancy] = []

    def put(self, records: Sequence[LineCounts | ZoneOccupancy]) -> None:
        self.records.extend(records)


def test_an_idle_gate_paces_a_live_source_and_the_idle_share_is_weighted_by_time() -> None:
    source, sink = PacedLiveSource(40.0), ListSink()
    aggregator = IntervalAggregator(
        site="s", device="d", timezone="Asia/Jakarta", interval_s=60, lines=[], zones=[ZONE]
    )
    pipeline = Pipeline(source, NoOne(), SceneCounter([], [ZONE], TRACKER_RULES), aggregator, sink, BusyBetween())
    pipeline.run(threading.Event())
    # Idle 0-10 s and 20-40 s at 4 frames a second, busy 10-20 s at 25: 120 + 250 frames.
    stats = pipeline.stats()
    assert 365 <= stats.frames_read <= 375
    assert None in source.requests and 0.25 in source.requests
    # By frame count the gate skipped a third (idle frames are few); by camera time it was idle 3/4.
    assert abs(stats.gating_share - 120 / 370) < 0.02
    assert abs(stats.idle_share - 0.75) < 0.01
    # Fewer frames while idle lose no observed time.
    assert abs(sum(r.observed_s for r in sink.records) - 40.0) < 0.1


class PersonBetween:
    """One person stands in the zone from 10 s to 20 s: the scene is busy then (every frame of the
    camera), idle otherwise (a frame every 0.25 s); every frame delivered is inferred."""

    def __init__(self) -> None:
        self.busy = True

    @property
    def idle_interval_s(self) -> float | None:
        return None if self.busy else 0.25

    def should_infer(self, frame: Frame, live_tracks: int) -> bool:
        self.busy = 10.0 <= (frame.ts - T0).total_seconds() < 20.0
        return True

    def update(self, frame: Frame) -> Observation:
        if not self.busy:
            return Observation(())
        return Observation((Track.from_box(1, Box(0.4, 0.4, 0.6, 0.8)),))


def test_the_mean_count_is_weighted_by_the_time_each_frame_stands_for() -> None:
    """A paced source sends 25 frames a second while someone is there and 4 while nobody is: the
    interval's mean count is people over time (10 s of 40 with one person: 0.25), not over frames
    (250 of 370 frames: 0.68), and agrees with its occupied share."""
    source, sink, scene = PacedLiveSource(40.0), ListSink(), PersonBetween()
    aggregator = IntervalAggregator(
        site="s", device="d", timezone="Asia/Jakarta", interval_s=60, lines=[], zones=[ZONE]
    )
    pipeline = Pipeline(source, scene, SceneCounter([], [ZONE], TRACKER_RULES), aggregator, sink, scene)  # type: ignore[arg-type]
    pipeline.run(threading.Event())
    [record] = [r for r in sink.records if isinstance(r, ZoneOccupancy)]
    assert abs(record.observed_s - 40.0) < 0.1 and abs(record.occupied_s - 10.0) < 0.3
    assert record.max_count == 1
    assert abs(record.mean_count - record.occupied_s / record.observed_s) < 1e-3
    assert abs(record.mean_count - 0.25) < 0.01
