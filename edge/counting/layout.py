"""What one camera view counts: named lines and zones with their roles, as plain geometry.

The counters and the aggregator take these (as supervision's ``LineZone(start, end)``
takes two points), not the device configuration: the composition root converts
``edge.config`` into them, and the counting core never reads the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.counting.geometry import Polygon, Segment


@dataclass(frozen=True, slots=True)
class CountingLine:
    """A directed line A->B; crossing from its negative to its positive side is ``in``."""

    name: str
    segment: Segment
    # What its counts mean to the reports (wire.vocabulary.CountingRole: entrance, ...).
    role: str


@dataclass(frozen=True, slots=True)
class CountingZone:
    name: str
    polygon: Polygon
    role: str
    # The gerai (service booth) the zone belongs to, if any.
    gerai: str | None = None
