"""Pure counting core: geometry, line crossings, zone occupancy, interval records.

Imports no vision, camera or I/O code; deterministic given tracks and timestamps.
"""

from edge.counting.aggregator import IntervalAggregator, Record
from edge.counting.geometry import Point, Polygon, Segment, side, signed_distance
from edge.counting.lines import Direction, LineCounter, LineCrossing, LineRules
from edge.counting.scene import TRACKER_RULES, TRUTH_RULES, SceneCounter, SceneFrame, SceneRules
from edge.counting.tracks import Box, Detection, Observation, Track
from edge.counting.zones import ZoneCounter, ZoneFrame, ZoneRules

__all__ = [
    "TRACKER_RULES",
    "TRUTH_RULES",
    "Box",
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
    "side",
    "signed_distance",
]
