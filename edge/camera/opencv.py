"""OpenCV adapter: video files, image folders, RTSP/HTTP streams and USB/V4L2 cameras."""

from __future__ import annotations

import configparser
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import cv2

from edge.camera.source import Clock, Frame, SourceError
from edge.config import source_shown
from edge.rate_limit import OUTAGE_LOG_INTERVAL_S, RateLimitedWarning
from wire.messages import CameraState

log = logging.getLogger(__name__)


def _quiet_opencv() -> None:
    # OpenCV's and FFmpeg's native messages would bypass logging and clutter the one-line
    # errors; FFmpeg reads its level when its backend first loads (-8: quiet).
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


def preview_size(frame: Frame, width_px: int) -> tuple[int, int]:
    # The same for every frame of a source, however it was made, so previews compare.
    width = min(width_px, frame.width)
    return width, max(1, round(frame.height * width / frame.width))


def shrink(image: Any, size: tuple[int, int]) -> Any:
    if (image.shape[1], image.shape[0]) == size:
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def grey_preview(frame: Frame, width_px: int) -> Any:
    """The frame's image, area-averaged down to ``width_px`` wide, in grey levels."""
    image = frame.image
    size = preview_size(frame, width_px)
    # Averaging 4x4 samples per cell flattens noise as well as every pixel would; on a large
    # frame reading every pixel would cost more than the rest of the probe (4K: 18 ms).
    # Sampled by OpenCV (nearest pixel), not by a strided numpy copy: a third of the time.
    sampled = (4 * size[0], 4 * size[1])
    if image.shape[1] > sampled[0] and image.shape[0] > sampled[1]:
        image = cv2.resize(image, sampled, interpolation=cv2.INTER_NEAREST)
    # Grey after shrinking: the colour conversion runs on the few preview pixels only.
    return cv2.cvtColor(shrink(image, size), cv2.COLOR_BGR2GRAY)


class _Recording:
    """Frames of a recording, in order, timestamped from ``video_start`` (or the start
    time) and the recording's frame rate. Subclasses move from frame to frame without
    decoding (``_grab``) and decode only the frames someone looks at."""

    def __init__(self, fps: float, size: tuple[int, int], clock: Clock, video_start: datetime | None) -> None:
        self._fps = fps
        self._size = size
        self._start = (video_start or clock()).astimezone(UTC)
        self._state = CameraState.OK
        self._closed = threading.Event()

    def _grab(self) -> bool:
        """Move to the next frame without decoding it; False at the end."""
        raise NotImplementedError

    def _frame(self, index: int, ts: datetime) -> Frame:
        """The current frame (decoded on demand)."""
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
        index = 1
        try:
            while not self._closed.is_set():
                if index > 1 and not self._grab():
                    break
                yield self._frame(index, self._start + timedelta(seconds=(index - 1) / self._fps))
                index += 1
        finally:
            self._state = CameraState.ENDED
            self._release()

    def close(self) -> None:
        self._closed.set()


class VideoFileSource(_Recording):
    """Every frame of a video file, at the file's frame rate (25 fps if it names none).

    Each frame is grabbed (demuxed and decoded by FFmpeg, on one thread); the conversion to
    BGR pixels, a good part of the cost of a small frame, happens only for frames that are
    looked at. Once a frame has been converted, the next one is grabbed in the background,
    while the caller infers on this one (an idle gate's unconverted frames are grabbed in turn).
    """

    def __init__(self, path: Path, clock: Clock, video_start: datetime | None = None) -> None:
        if not path.is_file():
            raise SourceError(f"video not found: {path}")
        _quiet_opencv()
        self._path = path
        # One decoding thread: FFmpeg's frame threads cost about a third more CPU per frame
        # (handing frames between threads), and a file is decoded faster than it is inferred.
        self._capture = cv2.VideoCapture(str(path), cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, 1])
        if not self._capture.isOpened():
            self._capture.release()
            self._capture = cv2.VideoCapture(str(path))
        if not self._capture.isOpened():
            raise SourceError(f"cannot open video {path}: not a readable video file")
        ok, first = self._capture.read()
        if not ok or first is None:
            self._capture.release()
            raise SourceError(f"cannot decode any frame of {path}: corrupt or unsupported video")
        self._first: Any = first
        self._current = 1
        # The grab of the next frame, started once the current one is converted (_retrieve).
        self._ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="video-grab")
        self._next: Future[bool] | None = None
        fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        super().__init__(fps if 0.0 < fps < 1000.0 else 25.0, (first.shape[1], first.shape[0]), clock, video_start)

    def _grab(self) -> bool:
        self._current += 1
        if self._next is not None:
            grabbed, self._next = self._next, None
            return grabbed.result()
        return bool(self._capture.grab())

    def _frame(self, index: int, ts: datetime) -> Frame:
        if index == 1:
            first, self._first = self._first, None
            return Frame(first, index, ts, preview=grey_preview, size=self._size)
        return Frame(None, index, ts, decode=partial(self._retrieve, index), preview=grey_preview, size=self._size)

    def _retrieve(self, index: int) -> Any:
        if index != self._current:
            raise RuntimeError(f"frame {index} of {self._path} decoded after frame {self._current} was read")
        ok, image = self._capture.retrieve()
        if not ok or image is None:
            raise SourceError(f"cannot decode frame {index} of {self._path}: corrupt video")
        # This frame's pixels are out: decode the next one on the other core while the caller
        # infers on these (one decoder still: no extra CPU). Grabbed in line, a 1920x1080 frame
        # kept replay waiting 1.9 ms, where a bare predict loop gets FFmpeg's frame threads to
        # overlap it (BENCHMARKS.md, "Detection on the region of the lines and zones").
        self._next = self._ahead.submit(lambda: bool(self._capture.grab()))
        return image

    def _release(self) -> None:
        # Never release the capture under a grab in flight.
        if self._next is not None:
            self._next.result()
            self._next = None
        self._ahead.shutdown()
        self._capture.release()


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
_REDUCED_GREY = {
    1: cv2.IMREAD_GRAYSCALE,
    2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
    4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
    8: cv2.IMREAD_REDUCED_GRAYSCALE_8,
}


class ImageFolderSource(_Recording):
    """The images of a folder in name order: a MOTChallenge sequence (``SEQ/`` holding
    ``img1/`` and ``seqinfo.ini``, or ``SEQ/img1/`` itself) replays at the ``frameRate`` of
    its ``seqinfo.ini``, any other folder at 25 fps. An image is read only when looked at;
    a preview is a reduced JPEG decode (an eighth of the work or less)."""

    def __init__(self, folder: Path, clock: Clock, video_start: datetime | None = None) -> None:
        images = folder / "img1" if (folder / "img1").is_dir() else folder
        try:
            self._paths = sorted(p for p in images.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        except OSError as exc:
            raise SourceError(f"cannot list {images}: {exc.strerror}") from None
        if not self._paths:
            raise SourceError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {images}")
        self._first: Any = _read_image(self._paths[0])
        self._position = 0
        size = (self._first.shape[1], self._first.shape[0])
        super().__init__(_sequence_fps(images), size, clock, video_start)

    def _grab(self) -> bool:
        self._position += 1
        return self._position < len(self._paths)

    def _frame(self, index: int, ts: datetime) -> Frame:
        path = self._paths[self._position]
        if index == 1:
            first, self._first = self._first, None
            return Frame(first, index, ts, preview=_reduced_preview(path), size=self._size)
        decode = partial(_read_image, path)
        return Frame(None, index, ts, decode=decode, preview=_reduced_preview(path), size=self._size)


def _reduced_preview(path: Path) -> Callable[[Frame, int], Any]:
    def preview(frame: Frame, width_px: int) -> Any:
        if frame.decoded:
            return grey_preview(frame, width_px)
        # JPEG decodes at 1/2, 1/4 or 1/8 scale for a fraction of the work (DCT scaling).
        scale = next((s for s in (8, 4, 2) if frame.width // s >= width_px), 1)
        flags = _REDUCED_GREY[scale]
        small = cv2.imread(str(path), flags)
        if small is None:
            raise SourceError(f"cannot decode image {path}: corrupt or unsupported")
        return shrink(small, preview_size(frame, width_px))

    return preview


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
    present instead of a growing backlog. While the scene is idle (``set_idle_interval``)
    it still grabs every frame, so the stream stays current, but decodes to pixels only
    about one per interval.
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
        self._idle_interval_s: float | None = None
        self.reconnects = 0
        # An unplugged camera retries every 30 s and a flapping stream drops every few seconds, for days.
        self._outage = RateLimitedWarning(log, OUTAGE_LOG_INTERVAL_S)
        self._announce_frames = True  # "delivering frames" follows a warning that was logged

    def set_idle_interval(self, interval_s: float | None) -> None:
        self._idle_interval_s = interval_s

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
        return source_shown(self._target)

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
                said = self._outage.warn("cannot open %s; retrying in %.0f s", self._describe(), delay)
                self._announce_frames |= said
                self._closed.wait(delay)
                delay = min(delay * 2, self._backoff_max_s)
                continue
            fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
            self._fps = fps if 0.0 < fps < 1000.0 else 0.0
            got_any = False
            delivered_s = -float("inf")
            while not self._closed.is_set():
                if not capture.grab():
                    break
                interval_s, now_s = self._idle_interval_s, time.monotonic()
                if got_any and interval_s is not None and now_s - delivered_s < interval_s:
                    continue
                ok, image = capture.retrieve()
                if not ok or image is None:
                    break
                delivered_s = now_s
                if not got_any:
                    if self._announce_frames:
                        log.info("%s delivering frames", self._describe())
                        self._announce_frames = False
                    got_any, delay = True, self._backoff_initial_s
                self._state = CameraState.OK
                with self._cond:
                    self._latest = (image, self._clock())
                    self._cond.notify_all()
            capture.release()
            if not self._closed.is_set():
                self._state = CameraState.RECONNECTING
                self.reconnects += 1
                said = self._outage.warn("lost %s; reconnecting in %.0f s", self._describe(), delay)
                self._announce_frames |= said
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
            yield Frame(item[0], index, item[1].astimezone(UTC), preview=grey_preview)
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
