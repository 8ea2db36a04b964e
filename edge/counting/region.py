"""The part of the frame the detector needs: the lines and zones plus a margin.

A wide camera whose counted scene fills a small part of the frame hands the detector the
whole frame, which the letterbox shrinks to ``imgsz``: a distant person keeps few pixels.
Cropping the frame to this region first lets the letterbox scale the region instead, so
the same person gets more pixels at the same inference cost. Boxes found in the crop are
mapped back to whole-frame coordinates (:func:`to_frame`), so the counting core never sees
the crop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from edge.counting.geometry import Point
from edge.counting.layout import CountingLine, CountingZone
from edge.counting.tracks import Box

# Margin around the lines' and zones' bounding box, as a fraction of the frame's longer side,
# on every side: people stand on the geometry with their bodies above it, and walk in from
# outside it (a line needs the track before the crossing). In pixels, so it is the same on
# both axes.
REGION_MARGIN = 0.1
# The letterbox scales a crop by max(W, H) / max(w, h) more than the whole frame. Below this
# gain the crop is a no-op (people less than 25 % larger are not worth cutting off anyone at
# the crop's edge); a region covering 90 % of each side of the frame is always below it.
MIN_GAIN = 1.25
# A small region is enlarged around its centre so that the gain stays at most this: a person
# near a short line is larger than the line, and upsampling more adds no detail.
MAX_GAIN = 3.0


def detection_region(
    lines: Sequence[CountingLine],
    zones: Sequence[CountingZone],
    width: int,
    height: int,
    *,
    margin: float = REGION_MARGIN,
) -> Box | None:
    """The normalised box of a ``width`` x ``height`` frame the detector should see, or None
    for the whole frame (no geometry, or a crop that would not enlarge people by ``MIN_GAIN``).

    The box is snapped to whole pixels, so the crop and the mapping back agree exactly.
    """
    points: list[Point] = [p for line in lines for p in (line.segment.a, line.segment.b)]
    points += [p for zone in zones for p in zone.polygon.points]
    if not points or width <= 0 or height <= 0:
        return None
    pad = margin * max(width, height)
    x1, x2 = _span(min(p.x for p in points) * width - pad, max(p.x for p in points) * width + pad, width)
    y1, y2 = _span(min(p.y for p in points) * height - pad, max(p.y for p in points) * height + pad, height)
    if max(width, height) / max(x2 - x1, y2 - y1) < MIN_GAIN:
        return None
    return Box(x1 / width, y1 / height, x2 / width, y2 / height)


def _span(low: float, high: float, size: int) -> tuple[int, int]:
    """[low, high] grown around its centre to at least size / MAX_GAIN, shifted to lie inside
    0..size, and rounded outwards to whole pixels."""
    least = size / MAX_GAIN
    if high - low < least:
        centre = (low + high) / 2
        low, high = centre - least / 2, centre + least / 2
    if low < 0:
        low, high = 0.0, high - low
    if high > size:
        low, high = low - (high - size), float(size)
    return max(0, math.floor(low)), min(size, math.ceil(high))


def to_frame(box: Box, region: Box) -> Box:
    """A box normalised to the crop ``region`` -> normalised to the whole frame."""
    w, h = region.x2 - region.x1, region.y2 - region.y1
    return Box(region.x1 + box.x1 * w, region.y1 + box.y1 * h, region.x1 + box.x2 * w, region.y1 + box.y2 * h)
