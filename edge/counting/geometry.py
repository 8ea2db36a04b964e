"""Plane geometry in normalised image coordinates (0..1, origin top-left, y down)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Segment:
    """A directed segment A->B."""

    a: Point
    b: Point

    @property
    def length(self) -> float:
        return math.hypot(self.b.x - self.a.x, self.b.y - self.a.y)


def side(segment: Segment, p: Point) -> float:
    """(Bx-Ax)(Py-Ay) - (By-Ay)(Px-Ax): negative -> positive is an ``in`` crossing."""
    # From the midpoint, so that reversing the segment exactly negates it (rounding included).
    a, b = segment.a, segment.b
    mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
    return (b.x - a.x) * (p.y - my) - (b.y - a.y) * (p.x - mx)


def signed_distance(segment: Segment, p: Point) -> float:
    """Signed distance from the segment's infinite line, same sign as :func:`side`."""
    return side(segment, p) / segment.length


def crossing_offset(segment: Segment, p: Point, q: Point) -> float | None:
    """Where the step p->q crosses the segment's line, as a signed fraction of the segment's
    length from its midpoint along A->B: within [-0.5, 0.5] means within the segment.

    None when the step does not change side (or runs along the line). Measured from the
    midpoint so that reversing the segment exactly negates the result: a step through an end
    point is inside or outside for both directions alike, whatever the rounding.
    """
    sp, sq = side(segment, p), side(segment, q)
    if sp == sq or (sp > 0 and sq > 0) or (sp < 0 and sq < 0):
        return None
    frac = sp / (sp - sq)
    cx = p.x + (q.x - p.x) * frac
    cy = p.y + (q.y - p.y) * frac
    a, b = segment.a, segment.b
    mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
    dx, dy = b.x - a.x, b.y - a.y
    return ((cx - mx) * dx + (cy - my) * dy) / (dx * dx + dy * dy)


@dataclass(frozen=True, slots=True)
class Polygon:
    points: tuple[Point, ...]

    def contains(self, p: Point) -> bool:
        """Even-odd ray casting; points exactly on an edge may fall either way."""
        inside = False
        pts = self.points
        j = len(pts) - 1
        for i in range(len(pts)):
            xi, yi, xj, yj = pts[i].x, pts[i].y, pts[j].x, pts[j].y
            if (yi > p.y) != (yj > p.y) and p.x < (xj - xi) * (p.y - yi) / (yj - yi) + xi:
                inside = not inside
            j = i
        return inside

    def distance_to_edge(self, p: Point) -> float:
        best = math.inf
        pts = self.points
        for i in range(len(pts)):
            a, b = pts[i - 1], pts[i]
            dx, dy = b.x - a.x, b.y - a.y
            denom = dx * dx + dy * dy
            t = 0.0 if denom == 0 else max(0.0, min(1.0, ((p.x - a.x) * dx + (p.y - a.y) * dy) / denom))
            best = min(best, math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy)))
        return best
