"""The setup page's live view: the device's own pipeline on its own source, with the
latest picture (a JPEG in memory, never on disk), foot points and counts kept for the page.

A recording (video file, image folder) plays at its own frame rate and starts over at
its end, so the page can be tried on a clip; a new geometry restarts the counts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from edge.camera import SourceError
from edge.config import EdgeConfig
from edge.counting import Box, CountingLine, CountingZone, Record, SceneFrame, detection_region
from edge.pipeline import FrameResult
from edge.vision import ModelError

log = logging.getLogger(__name__)

# The page polls; a picture every 0.2 s is live enough and spares a Pi's CPU.
PICTURE_INTERVAL_S = 0.2
# A failed start (no camera yet, model missing) is retried after this long.
RETRY_S = 5.0


class _Discard:
    """The setup page shows counts; it publishes nothing (the device service does)."""

    def put(self, records: Sequence[Record]) -> None:
        pass


class _RunObserver:
    """The FrameObserver of one pipeline run, tagged with the geometry it counts on."""

    def __init__(self, scene: LiveScene, generation: int) -> None:
        self._scene, self._generation = scene, generation

    def on_frame(self, result: FrameResult) -> None:
        self._scene._on_frame(result, self._generation)

    def on_scene(self, scene: SceneFrame) -> None:
        self._scene._on_scene(scene, self._generation)


class LiveScene:
    """Runs the pipeline in a thread; every accessor is thread-safe."""

    def __init__(
        self,
        config: EdgeConfig,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._run_stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._jpeg: bytes | None = None
        self._jpeg_at = -1e9
        self._size: tuple[int, int] | None = None
        self._frame_index = 0
        self._feet: list[tuple[float, float, int]] = []
        self._error: str | None = None
        self.generation = 0
        self._reset_counts(config)
        # Pacing of a recording: monotonic time and frame time of its first frame.
        self._pace: tuple[float, datetime] | None = None

    def _reset_counts(self, config: EdgeConfig) -> None:
        self._totals = {line.name: [0, 0] for line in config.lines}
        self._zone_counts = {zone.name: 0 for zone in config.zones}
        self.generation += 1

    # --- control -----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="setup-live", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._run_stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def set_config(self, config: EdgeConfig) -> None:
        """Count on a new geometry from now on (the pipeline restarts; counts start at zero)."""
        with self._lock:
            self._config = config
            self._reset_counts(config)
        self._run_stop.set()

    def _loop(self) -> None:
        from edge.app import build_counting, build_gate
        from edge.camera import open_source
        from edge.pipeline import Pipeline
        from edge.vision import UltralyticsTracker

        # Loaded once: a recording starting over or a new geometry does not reload the model.
        tracker: UltralyticsTracker | None = None
        while not self._stop.is_set():
            with self._lock:
                config, generation = self._config, self.generation
                run_stop = self._run_stop = threading.Event()
                self._pace = None
            try:
                if tracker is None:
                    tracker = UltralyticsTracker(
                        config.model, config.imgsz, config.confidence, config.tracker, crop=config.detection_crop
                    )
                source = open_source(config, lambda: datetime.now(UTC))
                scene, aggregator = build_counting(config)
                pipeline = Pipeline(
                    source,
                    tracker,
                    scene,
                    aggregator,
                    _Discard(),
                    build_gate(config, gating=True),
                    observer=_RunObserver(self, generation),
                )
                with self._lock:
                    self._error = None
                pipeline.run(run_stop)
                # A recording ended (it plays again) or the geometry changed (counts restart).
            except (SourceError, ModelError) as exc:
                with self._lock:
                    self._error = str(exc)
                log.warning("setup page: %s; retrying in %.0f s", exc, RETRY_S)
                self._stop.wait(RETRY_S)

    # --- what one pipeline run saw --------------------------------------------------------

    def _on_frame(self, result: FrameResult, generation: int) -> None:
        from edge.annotate import encode_jpeg

        frame = result.frame
        now = self._monotonic()
        with self._lock:
            if generation != self.generation:
                return
            self._size = (frame.width, frame.height)
            self._frame_index = frame.index
            self._feet = [(t.foot.x, t.foot.y, t.track_id) for t in result.tracks]
            due = now - self._jpeg_at >= PICTURE_INTERVAL_S
            pace = self._pace = self._pace or (now, frame.ts)
        if due:
            jpeg = encode_jpeg(frame.image)
            with self._lock:
                self._jpeg, self._jpeg_at = jpeg, now
        # A recording plays in real time (a live camera delivers in real time anyway).
        wait_s = (frame.ts - pace[1]).total_seconds() - (self._monotonic() - pace[0])
        if 0 < wait_s < 1.0:
            self._run_stop.wait(wait_s)

    def _on_scene(self, scene: SceneFrame, generation: int) -> None:
        with self._lock:
            if generation != self.generation:
                return  # what a run on the previous geometry flushes on its way out
            for crossing in scene.crossings:
                if crossing.line in self._totals:
                    self._totals[crossing.line][0 if crossing.direction.value == "in" else 1] += 1
            for zone in scene.zones:
                if zone.zone in self._zone_counts:
                    self._zone_counts[zone.zone] = zone.count

    # --- for the page ------------------------------------------------------------------

    def picture(self) -> bytes | None:
        with self._lock:
            return self._jpeg

    def region(self, lines: Sequence[CountingLine], zones: Sequence[CountingZone]) -> Box | None:
        """The part of the picture the model would look at with these lines and zones: None with
        ``detection_crop`` off, before the first picture (the region is in its pixels), or where
        no region applies (the model sees the whole picture)."""
        with self._lock:
            crop, size = self._config.detection_crop, self._size
        if not crop or size is None:
            return None
        return detection_region(lines, zones, *size)

    def state(self) -> dict[str, object]:
        with self._lock:
            return {
                "frame": self._frame_index,
                "size": list(self._size) if self._size else None,
                "feet": [{"x": round(x, 4), "y": round(y, 4), "track": t} for x, y, t in self._feet],
                "lines": {name: {"in": n[0], "out": n[1]} for name, n in self._totals.items()},
                "zones": dict(self._zone_counts),
                "generation": self.generation,
                "error": self._error,
            }
