"""Composition root: builds source, tracker, counters and pipeline from one EdgeConfig."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from edge.camera import Clock, open_source
from edge.config import EdgeConfig
from edge.counting import (
    TRACKER_RULES,
    TRUTH_RULES,
    IntervalAggregator,
    Observation,
    Record,
    SceneCounter,
    SceneFrame,
    SceneRules,
    Track,
)
from edge.evaluation import EvaluationReport, SceneCounts, compare, load_mot
from edge.evaluation.counts import count_tracks
from edge.gating import MotionGate
from edge.pipeline import AlwaysInfer, FrameGate, FrameObserver, FrameResult, Pipeline, RecordSink
from edge.vision import UltralyticsTracker

log = logging.getLogger(__name__)


def build_gate(config: EdgeConfig, *, gating: bool) -> FrameGate:
    """The frame gate for this run: the one place where idle-scene gating plugs in.

    ``gating`` on and ``config.gating.enabled`` select edge.gating's motion gate (watching
    the tracker's detection region with ``detection_crop``); otherwise every frame is inferred.
    """
    if gating and config.gating.enabled:
        return MotionGate.from_config(config.gating, crop=config.detection_crop)
    return AlwaysInfer()


def build_counting(config: EdgeConfig, rules: SceneRules = TRACKER_RULES) -> tuple[SceneCounter, IntervalAggregator]:
    """The counters of ``config``'s lines and zones (also for a new geometry while running)."""
    lines = [line.as_counting() for line in config.lines]
    zones = [zone.as_counting() for zone in config.zones]
    aggregator = IntervalAggregator(
        site=config.site,
        device=config.device,
        timezone=config.timezone,
        interval_s=config.interval_s,
        lines=lines,
        zones=zones,
    )
    return SceneCounter(lines, zones, rules), aggregator


def build_pipeline(
    config: EdgeConfig,
    sink: RecordSink,
    *,
    gating: bool,
    clock: Clock,
    observer: FrameObserver | None = None,
    rules: SceneRules = TRACKER_RULES,
) -> Pipeline:
    """Raises SourceError (no usable source), ModelError (no usable model)."""
    source = open_source(config, clock)
    try:
        tracker = UltralyticsTracker(
            config.model, config.imgsz, config.confidence, config.tracker, crop=config.detection_crop
        )
    except BaseException:
        source.close()
        raise
    scene, aggregator = build_counting(config, rules)
    return Pipeline(source, tracker, scene, aggregator, sink, build_gate(config, gating=gating), observer=observer)


class MemorySink:
    """Keeps interval records in memory (replay)."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    def put(self, records: Sequence[Record]) -> None:
        self.records.extend(records)


class _ReplayRecorder:
    def __init__(self, config: EdgeConfig, also: FrameObserver | None, keep_tracks: bool) -> None:
        self.counts = SceneCounts.empty([line.name for line in config.lines], [zone.name for zone in config.zones])
        self.keep_tracks = keep_tracks
        self.observations: dict[int, Observation] = {}
        self.size: tuple[int, int] | None = None
        self.first_ts: datetime | None = None
        self.also = also

    def on_frame(self, result: FrameResult) -> None:
        if self.size is None:
            self.size = (result.frame.width, result.frame.height)
            self.first_ts = result.frame.ts
        if result.inferred and self.keep_tracks:
            self.observations[result.frame.index] = result.observation
        if self.also is not None:
            self.also.on_frame(result)

    def on_scene(self, scene: SceneFrame) -> None:
        self.counts.add(scene)
        if self.also is not None:
            self.also.on_scene(scene)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    counts: SceneCounts
    frames: int
    wall_s: float
    # Frame size in pixels (width, height), and the video's frame rate.
    size: tuple[int, int]
    video_fps: float
    start: datetime
    records: tuple[Record, ...]
    # The tracker's output per inferred frame, to re-count offline (``keep_tracks``; empty
    # otherwise: hours of footage would hold every box in memory).
    observations: dict[int, Observation]
    # The annotated video's codec, e.g. "H.264 (avc1)" (``annotate``; None otherwise).
    annotated_codec: str | None = None

    @property
    def tracks(self) -> dict[int, tuple[Track, ...]]:
        return {index: seen.tracks for index, seen in self.observations.items()}

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    def to_json(self) -> dict[str, object]:
        return {"frames": self.frames, "fps": round(self.fps, 3), **self.counts.to_json()}


def replay(
    config: EdgeConfig, *, gating: bool, clock: Clock, annotate: Path | None = None, keep_tracks: bool = False
) -> ReplayResult:
    """Process every frame of ``config.source`` (a file) and return what was counted."""
    annotator = None
    if annotate is not None:
        from edge.annotate import VideoAnnotator

        annotator = VideoAnnotator(annotate, config.lines, config.zones, fps=25.0, crop=config.detection_crop)
    recorder = _ReplayRecorder(config, annotator, keep_tracks)
    sink = MemorySink()
    pipeline = build_pipeline(config, sink, gating=gating, clock=clock, observer=recorder)
    if annotator is not None:
        annotator.fps = pipeline.source.fps_hint
    started = time.perf_counter()
    try:
        pipeline.run(threading.Event())
    finally:
        if annotator is not None:
            annotator.close()
    wall_s = time.perf_counter() - started
    return ReplayResult(
        counts=recorder.counts,
        frames=recorder.counts.frames,
        wall_s=wall_s,
        size=recorder.size or (0, 0),
        video_fps=pipeline.source.fps_hint,
        start=recorder.first_ts or clock(),
        records=tuple(sink.records),
        observations=recorder.observations,
        annotated_codec=annotator.codec if annotator is not None else None,
    )


def evaluate_replay(result: ReplayResult, config: EdgeConfig, ground_truth: Path) -> EvaluationReport:
    """Compare a replay with the counts the same rule gives on MOT ground truth."""
    width, height = result.size
    truth_tracks = load_mot(ground_truth, width, height)
    truth = count_tracks(
        truth_tracks,
        result.frames,
        config.lines,
        config.zones,
        TRUTH_RULES,
        start=result.start,
        fps=result.video_fps,
    )
    return compare(result.counts, truth)
