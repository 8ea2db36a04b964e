"""The audit recording: frames of the configured source as lossless PNGs in a private folder.

The folder lies under the device's data directory (beside the outbox), is readable by the
device's user only (0700), is never published, and is deleted when the audit ends.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from edge.camera import Clock, SourceError, open_source
from edge.config import EdgeConfig

log = logging.getLogger(__name__)

RECORDING_DIR = "audit-recording"


def recording_folder(config: EdgeConfig) -> Path:
    """Where this device's audit recording lives while an audit is open."""
    return config.outbox.path.parent / RECORDING_DIR


@dataclass(frozen=True, slots=True)
class Recording:
    folder: Path
    frames: int
    fps: float
    started_at: datetime  # aware UTC time of frame 1

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps if self.fps > 0 else 0.0

    def frame_path(self, index: int) -> Path:
        """Frame ``index`` (1..frames)."""
        return self.folder / "img1" / f"{index:06d}.png"


def create_private_folder(folder: Path) -> None:
    """A fresh 0700 folder; a leftover of an interrupted audit is removed first."""
    discard(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)  # whatever the umask


def record(config: EdgeConfig, folder: Path, duration_s: float, clock: Clock, stop: threading.Event) -> Recording:
    """Up to ``duration_s`` of the source's own frame times (a file may end sooner) into
    ``folder`` (already created), as a MOTChallenge-style sequence the file source replays."""
    from edge.camera.opencv import write_png

    images = folder / "img1"
    images.mkdir(mode=0o700)
    source = open_source(config, clock)
    frames, started_at, last_at = 0, None, None
    try:
        for frame in source.frames():
            if stop.is_set():
                break
            if started_at is None:
                started_at = frame.ts
            if (frame.ts - started_at).total_seconds() >= duration_s:
                break
            frames += 1
            last_at = frame.ts
            write_png(images / f"{frames:06d}.png", frame.image)
        fps = source.fps_hint
    finally:
        source.close()
    if started_at is None or last_at is None or frames == 0:
        raise SourceError(f"the source {config.source_shown!r} gave no frame to record")
    if config.source_kind != "file" and last_at > started_at:
        # A live camera's nominal rate is not what arrived: replay at the rate recorded.
        fps = (frames - 1) / (last_at - started_at).total_seconds()
    # The replay reads the frame rate here, as for a MOTChallenge sequence.
    (folder / "seqinfo.ini").write_text(f"[Sequence]\nframeRate={fps:g}\nseqLength={frames}\n")
    log.info("audit recording: %d frames at %.1f fps in %s", frames, fps, folder)
    return Recording(folder, frames, fps, started_at)


def discard(folder: Path) -> None:
    """Delete the recording (no error when it is already gone)."""
    if folder.exists():
        shutil.rmtree(folder)
        log.info("audit recording deleted: %s", folder)
