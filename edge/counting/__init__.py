"""Pure counting core: geometry, line crossings, zone occupancy, interval records.

Imports no vision, camera or I/O code, nor the device configuration (lines and zones come
in as plain geometry: layout.py); deterministic given tracks and timestamps.
"""

from edge.counting.aggregator import IntervalAggregator, Record
from edge.counting.frames import Direction, LineCrossing, SceneFrame, ZoneFrame
from edge.counting.geometry import Point, Polygon, Segment, side, signed_distance
from edge.counting.layout import CountingLine, CountingZone
from edge.counting.lines import LineCounter, LineRules
from edge.counting.region import detection_region, to_frame
from edge.counting.scene import TRACKER_RULES, TRUTH_RULES, SceneCounter, SceneRules
from edge.counting.tracks import Box, Detection, Observation, Track
from edge.counting.zones import ZoneCounter, ZoneRules

__all__ = [
    "TRACKER_RULES",
    "TRUTH_RULES",
    "Box",
    "CountingLine",
    "CountingZone",
    "Detection",
    "Direction",
    "IntervalAggregator",
    "LineCounter",
    "LineCrossing",
    "LineRules",
    "Observation",
    "Point",
    "Polygon",
    "Record",
    "SceneCounter",
    "SceneFrame",
    "SceneRules",
    "Segment",
    "Track",
    "ZoneCounter",
    "ZoneFrame",
    "ZoneRules",
    "detection_region",
    "side",
    "signed_distance",
    "to_frame",
]
