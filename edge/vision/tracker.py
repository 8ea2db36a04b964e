"""ultralytics adapter: a frame in, person tracks and detections (foot point, normalised) out."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from edge.camera import Frame
from edge.counting import Box, CountingLine, CountingZone, Detection, Observation, Track, detection_region, to_frame

log = logging.getLogger(__name__)

PERSON_CLASS = 0


class ModelError(Exception):
    """The model cannot be loaded or run; the message names the model."""


class PersonTracker(Protocol):
    def update(self, frame: Frame) -> Observation: ...


def _quiet_ultralytics() -> Any:
    """Send ultralytics' own log lines to stderr: stdout belongs to ``--json``."""
    from ultralytics.utils import LOGGER

    for handler in LOGGER.handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)
    return LOGGER


class UltralyticsTracker:
    """YOLO detection + ByteTrack/BoT-SORT with state kept across frames (persist=True).

    ``confidence`` is the detection threshold handed to the tracker; ByteTrack uses
    detections down to its low threshold (0.1) to keep tracks alive through occlusion,
    and starts new tracks only from confident ones. Each frame's observation holds the
    tracks and every detection (zone occupancy counts these: no identity needed).

    With ``crop``, each frame is cut to the region of the lines and zones
    (edge.counting.region, from ``set_geometry``) before ultralytics letterboxes it, and every
    box is mapped back to the whole frame.
    """

    def __init__(
        self,
        model: str,
        imgsz: int = 640,
        confidence: float = 0.1,
        tracker: str = "bytetrack.yaml",
        *,
        crop: bool = False,
    ) -> None:
        _quiet_ultralytics()
        from ultralytics.models.yolo.model import YOLO

        self.model_name = model
        self.imgsz, self.confidence, self.tracker = imgsz, confidence, tracker
        looks_local = Path(model).suffix in ("", ".xml", ".onnx", ".engine", ".tflite") or "/" in model
        if looks_local and not Path(model).exists():
            raise ModelError(f"model not found: {model}")
        try:
            # task given: exported formats (OpenVINO, NCNN, ONNX) cannot always tell it themselves.
            self._model: Any = YOLO(model, task="detect")
        except (FileNotFoundError, ValueError, RuntimeError, TypeError, OSError) as exc:
            raise ModelError(f"cannot load model {model}: {exc}") from None
        names = getattr(self._model, "names", None) or {}
        if names and names.get(PERSON_CLASS) != "person":
            log.warning("model %s class 0 is %r, not 'person'", model, names.get(PERSON_CLASS))
        # The frame's detections as the detector returned them, kept before the tracker's
        # callback (registered on the first track() call, so after this one) replaces them by
        # its tracks.
        self._detections: Any = None
        self.crop = crop
        self._layout: tuple[tuple[CountingLine, ...], tuple[CountingZone, ...]] = ((), ())
        # The region of the last frame, and the frame size it was computed for (None: redo).
        self.region: Box | None = None
        self._region_size: tuple[int, int] | None = None
        # Track ids go on from the last one after a tracker reset (ultralytics starts at 1 again).
        self._id_offset = self._last_id = 0
        self._model.add_callback("on_predict_postprocess_end", self._keep_detections)
        self._model.add_callback("on_predict_start", _skip_ultralytics_warmup)
        self._warm_up()

    def _keep_detections(self, predictor: Any) -> None:
        boxes = predictor.results[0].boxes
        self._detections = None if boxes is None else (boxes.xyxyn.tolist(), boxes.conf.tolist())

    def _warm_up(self) -> None:
        """Compile the model and set up the tracker now (seconds on a small CPU), not on the
        first camera frame; a model that cannot run fails here with a clear error."""
        import numpy as np

        blank = np.zeros((self.imgsz, self.imgsz, 3), dtype=np.uint8)
        try:
            self._track(blank)
        except (RuntimeError, ValueError, TypeError, OSError, AttributeError) as exc:
            raise ModelError(f"cannot run model {self.model_name}: {exc}") from None
        self._reset_tracker()

    def _reset_tracker(self) -> None:
        # Back to frame 0: trackers confirm tracks seen on their first frame at once.
        for tracker in getattr(self._model.predictor, "trackers", ()):
            tracker.reset()
        self._id_offset = self._last_id

    def set_geometry(self, lines: Sequence[CountingLine], zones: Sequence[CountingZone]) -> None:
        """Detect on the region of these lines and zones from the next frame on (with ``crop``)."""
        self._layout = (tuple(lines), tuple(zones))
        self._region_size = None

    def _region_for(self, frame: Frame) -> Box | None:
        if not self.crop:
            return None
        size = (frame.width, frame.height)
        if size != self._region_size:
            self._region_size = size
            region = detection_region(*self._layout, *size)
            if region != self.region:
                log.info("detecting on %s of the frame", "all" if region is None else _describe(region))
                # The tracker's boxes and motion model are in the old crop's pixels: start over
                # rather than match people across two coordinate systems.
                self._reset_tracker()
                self.region = region
        return self.region

    def _track(self, image: Any) -> Any:
        return self._model.track(
            image,
            persist=True,
            imgsz=self.imgsz,
            conf=self.confidence,
            classes=[PERSON_CLASS],
            tracker=self.tracker,
            verbose=False,
        )

    def update(self, frame: Frame) -> Observation:
        self._detections = None
        region = self._region_for(frame)
        image = frame.image
        if region is not None:
            h, w = image.shape[:2]
            image = image[round(region.y1 * h) : round(region.y2 * h), round(region.x1 * w) : round(region.x2 * w)]

        def place(xyxy: list[float]) -> Box:
            box = _box(xyxy)
            return box if region is None else to_frame(box, region)

        results = self._track(image)
        corners, scores = self._detections or ([], [])
        detections = tuple(
            Detection.from_box(place(xyxy), float(score)) for xyxy, score in zip(corners, scores, strict=True)
        )
        boxes = results[0].boxes
        tracks: tuple[Track, ...] = ()
        if boxes is not None and boxes.id is not None and len(boxes) > 0:
            tracks = tuple(
                Track.from_box(int(track_id) + self._id_offset, place(xyxy), float(score))
                for track_id, xyxy, score in zip(
                    boxes.id.int().tolist(), boxes.xyxyn.tolist(), boxes.conf.tolist(), strict=True
                )
            )
            self._last_id = max(self._last_id, *(t.track_id for t in tracks))
        return Observation(tracks, detections)


def _skip_ultralytics_warmup(predictor: Any) -> None:
    """Mark Ultralytics' own warm-up done before it runs.

    On the CPU that warm-up runs no inference for an exported model (OpenVINO, NCNN, ONNX)
    nor for ``.pt``; all it does is ``import torchvision``, which switches Ultralytics' NMS
    to torchvision's and loads ``torch._dynamo`` and ``sympy`` with it: about 170 MB
    resident that the edge never uses otherwise. Ultralytics' own NMS keeps the same boxes
    (replay counts unchanged, BENCHMARKS.md "Raspberry Pi (arm64)"), and ``_warm_up`` runs
    a real frame anyway.
    """
    predictor.done_warmup = True


def _describe(region: Box) -> str:
    return f"x {region.x1:.3f}-{region.x2:.3f}, y {region.y1:.3f}-{region.y2:.3f}"


def _box(xyxy: list[float]) -> Box:
    return Box(*(min(1.0, max(0.0, float(v))) for v in xyxy))
