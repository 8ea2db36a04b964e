"""OpenCV adapter: video files, image folders, RTSP/HTTP streams and USB/V4L2 cameras."""

from __future__ import annotations

import configparser
import logging
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2

from edge.camera.source import Clock, Frame, SourceError
from wire.messages import CameraState

log = logging.getLogger(__name__)


def _quiet_opencv() -> None:
    # OpenCV's and FFmpeg's native messages would bypass logging and clutter the one-line
    # errors; FFmpeg reads its level when its backend first loads (-8: quiet).
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


class _Recording:
    """Frames of a recording, in order, timestamped from ``video_start`` (or the start
    time) and the recording's frame rate; subclasses read the images."""

    def __init__(self, first: Any, fps: float, clock: Clock, video_start: datetime | None) -> None:
        self._first = first
        self._fps = fps
        self._start = (video_start or clock()).astimezone(UTC)
        self._state = CameraState.OK
        self._closed = threading.Event()

    def _next_image(self) -> Any | None:
        """The next image, None at the end."""
        raise NotImplementedError

    def _release(self) -> None:
        """Free what reading held."""

    @property
    def state(self) -> CameraState:
        return self._state

    @property
    def fps_hint(self) -> float:
        return self._fps

    def frames(self) -> Iterator[Frame]:
        image: Any = self._first
        index = 1
        try:
            while image is not None and not self._closed.is_set():
                yield Frame(image, index, self._start + timedelta(seconds=(index - 1) / self._fps))
                image = self._next_image()
                index += 1
        finally:
            self._state = CameraState.ENDED
            self._release()

    def close(self) -> None:
        self._closed.set()


class VideoFileSource(_Recording):
    """Every frame of a video file, at the file's frame rate (25 fps if it names none)."""

    def __init__(self, path: Path, clock: Clock, video_start: datetime | None = None) -> None:
        if not path.is_file():
            raise SourceError(f"video not found: {path}")
        _quiet_opencv()
        self._capture = cv2.VideoCapture(str(path))
        if not self._capture.isOpened():
            raise SourceError(f"cannot open video {path}: not a readable video file")
        ok, first = self._capture.read()
        if not ok or first is None:
            self._capture.release()
            raise SourceError(f"cannot decode any frame of {path}: corrupt or unsupported video")
        fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        super().__init__(first, fps if 0.0 < fps < 1000.0 else 25.0, clock, video_start)

    def _next_image(self) -> Any | None:
        ok, image = self._capture.read()
        return image if ok else None

    def _release(self) -> None:
        self._capture.release()


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


class ImageFolderSource(_Recording):
    """The images of a folder in name order: a MOTChallenge sequence (``SEQ/`` holding
    ``img1/`` and ``seqinfo.ini``, or ``SEQ/img1/`` itself) replays at the ``frameRate`` of
    its ``seqinfo.ini``, any other folder at 25 fps."""

    def __init__(self, folder: Path, clock: Clock, video_start: datetime | None = None) -> None:
        images = folder / "img1" if (folder / "img1").is_dir() else folder
        try:
            paths = sorted(p for p in images.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        except OSError as exc:
            raise SourceError(f"cannot list {images}: {exc.strerror}") from None
        if not paths:
            raise SourceError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {images}")
        self._rest = iter(paths[1:])
        super().__init__(_read_image(paths[0]), _sequence_fps(images), clock, video_start)

    def _next_image(self) -> Any | None:
        path = next(self._rest, None)
        return None if path is None else _read_image(path)


def _read_image(path: Path) -> Any:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SourceError(f"cannot decode image {path}: corrupt or unsupported")
    return image


def _sequence_fps(images: Path) -> float:
    """``frameRate`` of the MOTChallenge ``seqinfo.ini`` beside or above the images, else 25."""
    for info in (images / "seqinfo.ini", images.parent / "seqinfo.ini"):
        if info.is_file():
            parser = configparser.ConfigParser()
            try:
                parser.read(info)
                fps = parser.getfloat("Sequence", "frameRate")
            except (configparser.Error, ValueError) as exc:
                raise SourceError(f"{info}: no readable [Sequence] frameRate ({exc.__class__.__name__})") from None
            if not 0.0 < fps < 1000.0:
                raise SourceError(f"{info}: frameRate {fps} is not a frame rate")
            return fps
    log.warning("no seqinfo.ini beside %s: replaying its images at 25 fps", images)
    return 25.0


class LiveCaptureSource:
    """A stream or camera that may drop: reopened with exponential backoff, never fatal.

    A reader thread keeps only the newest frame, so a slow consumer processes the
    present instead of a growing backlog.
    """

    def __init__(
        self,
        target: str | int,
        clock: Clock,
        *,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 30.0,
        read_timeout_s: float = 10.0,
    ) -> None:
        _quiet_opencv()
        self._target = target
        self._clock = clock
        self._backoff_initial_s = backoff_initial_s
        self._backoff_max_s = backoff_max_s
        self._read_timeout_s = read_timeout_s
        self._state = CameraState.RECONNECTING
        self._fps = 0.0
        self._closed = threading.Event()
        self._cond = threading.Condition()
        self._latest: tuple[Any, datetime] | None = None
        self._reader: threading.Thread | None = None
        self.reconnects = 0

    @property
    def state(self) -> CameraState:
        return self._state

    @property
    def fps_hint(self) -> float:
        return self._fps or 25.0

    def _describe(self) -> str:
        # Never log credentials embedded in a stream URL.
        if isinstance(self._target, int):
            return f"camera {self._target}"
        scheme, _, rest = self._target.partition("://")
        return f"{scheme}://{rest.rsplit('@', 1)[-1]}" if rest else self._target

    def _read_loop(self) -> None:
        delay = self._backoff_initial_s
        while not self._closed.is_set():
            timeout_ms = int(self._read_timeout_s * 1000)
            # Bounded open and read: a stalled stream must fail, so that it gets reopened.
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, timeout_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, timeout_ms]
            capture = cv2.VideoCapture(self._target, cv2.CAP_ANY, params)
            if not capture.isOpened():
                capture.release()
                self._state = CameraState.RECONNECTING
                log.warning("cannot open %s; retrying in %.0f s", self._describe(), delay)
                self._closed.wait(delay)
                delay = min(delay * 2, self._backoff_max_s)
                continue
            fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
            self._fps = fps if 0.0 < fps < 1000.0 else 0.0
            got_any = False
            while not self._closed.is_set():
                ok, image = capture.read()
                if not ok or image is None:
                    break
                if not got_any:
                    log.info("%s delivering frames", self._describe())
                    got_any, delay = True, self._backoff_initial_s
                self._state = CameraState.OK
                with self._cond:
                    self._latest = (image, self._clock())
                    self._cond.notify_all()
            capture.release()
            if not self._closed.is_set():
                self._state = CameraState.RECONNECTING
                self.reconnects += 1
                log.warning("lost %s; reconnecting in %.0f s", self._describe(), delay)
                self._closed.wait(delay)
                delay = min(delay * 2, self._backoff_max_s)

    def frames(self) -> Iterator[Frame]:
        if self._reader is None:
            self._reader = threading.Thread(target=self._read_loop, name="camera-reader", daemon=True)
            self._reader.start()
        index = 0
        while not self._closed.is_set():
            with self._cond:
                if self._latest is None:
                    self._cond.wait(timeout=0.5)
                item, self._latest = self._latest, None
            if item is None:
                continue
            index += 1
            yield Frame(item[0], index, item[1].astimezone(UTC))
        self._state = CameraState.ENDED

    def close(self) -> None:
        self._closed.set()
        with self._cond:
            self._cond.notify_all()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(timeout=self._read_timeout_s)


def write_png(path: Path, image: Any) -> None:
    """One frame, lossless: an audit recording counts exactly the pixels the camera gave."""
    if not cv2.imwrite(str(path), image, [cv2.IMWRITE_PNG_COMPRESSION, 1]):
        raise SourceError(f"cannot write {path}")
