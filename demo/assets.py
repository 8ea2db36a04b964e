"""The clip the edge replays and the model it runs: given, shared, or fetched once."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from demo.settings import DemoError, DemoSettings, say

SHARED_CLIP = Path("data/mot15/TUD-Stadtmitte/TUD-Stadtmitte.mp4")
SHARED_MODEL = Path("models/yolov8n_int8_openvino_model")
ONLINE_MODEL = "yolo11n.pt"  # Ultralytics downloads it on first use
ONLINE_CLIP_URL = "https://github.com/ultralytics/assets/releases/download/v0.0.0/solutions_ci_demo.mp4"


def resolve_video(settings: DemoSettings) -> str:
    """VIDEO, else the shared clip, else the public sample clip (downloaded once)."""
    if settings.video:
        if "://" not in settings.video and not Path(settings.video).is_file():
            raise DemoError(f"VIDEO: no such file {settings.video}")
        return settings.video
    shared = settings.shared_dir / SHARED_CLIP
    if shared.is_file():
        return str(shared)
    target = settings.work_dir / Path(urlsplit(ONLINE_CLIP_URL).path).name
    if not target.is_file():
        say(f"downloading the sample clip {ONLINE_CLIP_URL} ...")
        partial = target.with_suffix(".part")
        try:
            with urllib.request.urlopen(ONLINE_CLIP_URL, timeout=30) as response, partial.open("wb") as out:
                shutil.copyfileobj(response, out)
        except (urllib.error.URLError, OSError) as exc:
            partial.unlink(missing_ok=True)
            raise DemoError(
                f"cannot download the sample clip ({exc}); offline, set VIDEO=path/to/clip.mp4 "
                f"or MPP_SHARED_DIR to a folder holding {SHARED_CLIP}"
            ) from None
        partial.rename(target)
    return str(target)


def resolve_model(settings: DemoSettings) -> str:
    """MODEL, else the shared OpenVINO model, else yolo11n.pt (Ultralytics downloads it)."""
    if settings.model:
        return settings.model
    shared = settings.shared_dir / SHARED_MODEL
    if shared.is_dir():
        return str(shared)
    return ONLINE_MODEL
