"""One open audit: the recording, what the device counted on it, and the installer's truth.

Saving scores the audit, keeps the result on the device (a JSON file beside the outbox),
puts the wire ``audit`` record in the outbox (the device service publishes it) and deletes
the recording; abandoning deletes the recording. The counted figures stay hidden from the
page until the truth is saved, so they cannot steer the installer's count.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from edge.audit.recording import Recording, discard
from edge.audit.truth import AuditInputError, AuditResult, AuditTruth, sample_frames, score
from edge.config import EdgeConfig
from edge.evaluation import SceneCounts

log = logging.getLogger(__name__)

RESULTS_DIR = "audits"
MAX_AUDITOR_CHARS = 128


def results_folder(config: EdgeConfig) -> Path:
    return config.outbox.path.parent / RESULTS_DIR


@dataclass(frozen=True, slots=True)
class SavedAudit:
    result: AuditResult
    path: Path

    def to_json(self) -> dict[str, Any]:
        return {"saved": str(self.path), **_result_json(self.result)}


class AuditSession:
    """Thread-safe: the setup page's handler threads call it."""

    def __init__(
        self,
        config: EdgeConfig,
        recording: Recording,
        counted: SceneCounts,
        *,
        clock: Callable[[], datetime],
        publish: Callable[[AuditResult], None],
        zone_samples: int = 20,
    ) -> None:
        self.config = config
        self.recording = recording
        self._counted = counted
        self._clock = clock
        self._publish = publish
        self._lock = threading.Lock()
        self.truth = AuditTruth(
            lines=tuple(line.name for line in config.lines),
            zones=tuple(zone.name for zone in config.zones),
            frames=recording.frames,
            zone_frames=sample_frames(recording.frames, zone_samples) if config.zones else (),
        )
        self.saved: SavedAudit | None = None
        self.finished = threading.Event()

    # --- for the page ------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        with self._lock:
            state: dict[str, Any] = {
                "state": "saved" if self.saved else ("abandoned" if self.finished.is_set() else "open"),
                "frames": self.recording.frames,
                "fps": self.recording.fps,
                "lines": list(self.truth.lines),
                "zones": list(self.truth.zones),
                "zone_frames": list(self.truth.zone_frames),
                **self.truth.to_json(),
            }
            if self.saved is not None:
                state["result"] = self.saved.to_json()
            return state

    def frame_png(self, index: int) -> bytes:
        with self._lock:
            self._check_open()
            if not 1 <= index <= self.recording.frames:
                raise AuditInputError(f"frame {index}: expected 1..{self.recording.frames}")
            return self.recording.frame_path(index).read_bytes()

    def add_crossing(self, line: Any, direction: Any, frame: Any) -> int:
        with self._lock:
            self._check_open()
            if not isinstance(line, str) or not isinstance(direction, str):
                raise AuditInputError('expected {"line": NAME, "direction": "in"|"out", "frame": N}')
            self.truth.add_crossing(line, direction, frame)
            return len(self.truth.crossings)

    def undo(self) -> int:
        with self._lock:
            self._check_open()
            self.truth.undo()
            return len(self.truth.crossings)

    def mark_zone(self, zone: Any, frame: Any, present: Any) -> None:
        with self._lock:
            self._check_open()
            if not isinstance(zone, str) or not isinstance(present, bool) or not isinstance(frame, int):
                raise AuditInputError('expected {"zone": NAME, "frame": N, "present": true|false}')
            self.truth.mark_zone(zone, frame, present)

    def save(self, auditor: Any) -> SavedAudit:
        if not isinstance(auditor, str) or not auditor.strip() or len(auditor.strip()) > MAX_AUDITOR_CHARS:
            raise AuditInputError(f"who audited: a name of 1 to {MAX_AUDITOR_CHARS} characters")
        with self._lock:
            self._check_open()
            result = score(self._counted, self.truth, auditor=auditor.strip(), audited_at=self._clock(),
                           recording_s=self.recording.duration_s)  # fmt: skip
            path = self._store(result)
            self._publish(result)
            self.saved = SavedAudit(result, path)
            discard(self.recording.folder)
            self.finished.set()
            log.info("audit saved to %s: line accuracy %s", path, result.line_accuracy)
            return self.saved

    def abandon(self) -> None:
        with self._lock:
            discard(self.recording.folder)
            self.finished.set()

    def _check_open(self) -> None:
        if self.finished.is_set():
            raise AuditInputError("this audit is closed (saved or abandoned); start a new one with mpp-edge audit")

    def _store(self, result: AuditResult) -> Path:
        folder = results_folder(self.config)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"audit-{result.audited_at.strftime('%Y%m%dT%H%M%SZ')}.json"
        document = {"site": self.config.site, "device": self.config.device, **_result_json(result),
                    "truth": self.truth.to_json()}  # fmt: skip
        temporary = path.with_name(f".{path.name}.saving")
        temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        os.replace(temporary, path)
        return path


def _result_json(result: AuditResult) -> dict[str, Any]:
    return {
        "audited_at": result.audited_at.isoformat(),
        "auditor": result.auditor,
        "frames": result.frames,
        "recording_s": round(result.recording_s, 3),
        "line_accuracy": result.line_accuracy,
        "zone_agreement": result.zone_agreement,
        "lines": {line.line: line.model_dump(exclude={"line"}) for line in result.lines},
        "zones": {zone.zone: zone.model_dump(exclude={"zone"}) for zone in result.zones},
    }
