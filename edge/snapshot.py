"""``mpp-edge snapshot``: one frame of the configured source, with a normalised grid and the
configured lines and zones drawn (and with ``detection_crop`` the region the model looks at),
so an installer can read coordinates off the picture."""

from __future__ import annotations

import threading
from pathlib import Path

from edge.camera import Clock, Frame, SourceError, open_source
from edge.config import ConfigError, EdgeConfig


def grab_frame(config: EdgeConfig, clock: Clock, timeout_s: float) -> Frame:
    """The first frame ``config.source`` delivers; SourceError when none comes within ``timeout_s``
    (a live source keeps reconnecting until then)."""
    source = open_source(config, clock)
    # Closing the source ends frames(), also while it waits to reconnect.
    timer = threading.Timer(timeout_s, source.close)
    timer.daemon = True
    timer.start()
    try:
        # The generator, dropped on return, releases what a recording held.
        frame = next(iter(source.frames()), None)
    finally:
        timer.cancel()
        source.close()
    if frame is None:
        raise SourceError(
            f"no frame from the {config.source_kind} source within {timeout_s:.0f} s: "
            "check the camera's cable or address (source in the config)"
        )
    return frame


def snapshot(config: EdgeConfig, out: Path, clock: Clock, timeout_s: float = 30.0) -> Frame:
    """Write ``out`` (a PNG the size of the source's frames); returns the frame it drew on."""
    if out.suffix.lower() != ".png":
        raise ConfigError(f"{out}: the snapshot is a PNG; name it *.png")
    from edge.annotate import draw_grid, draw_region, draw_setting, write_png

    frame = grab_frame(config, clock, timeout_s)
    image = frame.image.copy()
    draw_grid(image)
    if config.detection_crop:
        draw_region(image, config.lines, config.zones)
    draw_setting(image, config.lines, config.zones)
    write_png(out, image)
    return frame
