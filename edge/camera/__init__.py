"""Frame sources: video files, image folders, streams, USB cameras and the Raspberry Pi camera."""

from __future__ import annotations

from pathlib import Path

from edge.camera.source import Clock, Frame, FrameSource, PacedSource, SourceError
from edge.config import EdgeConfig

__all__ = ["Clock", "Frame", "FrameSource", "PacedSource", "SourceError", "open_source"]


def open_source(config: EdgeConfig, clock: Clock) -> FrameSource:
    """The adapter for ``config.source``; raises SourceError when it can never work."""
    kind = config.source_kind
    if kind == "picamera2":
        from edge.camera.picamera import PicameraSource

        return PicameraSource(clock)
    from edge.camera.opencv import ImageFolderSource, LiveCaptureSource, VideoFileSource

    if kind == "file":
        path = Path(config.source)
        if path.is_dir():
            return ImageFolderSource(path, clock, config.video_start)
        return VideoFileSource(path, clock, config.video_start)
    return LiveCaptureSource(int(config.source) if kind == "usb" else config.source, clock)
