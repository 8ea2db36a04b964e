"""Accuracy harness: replayed counts against counts derived from MOT ground truth."""

from edge.evaluation.counts import CrossingEvent, LineTally, SceneCounts
from edge.evaluation.ground_truth import GroundTruthError, load_mot
from edge.evaluation.report import EvaluationReport, LineScore, ZoneScore, compare

__all__ = [
    "CrossingEvent",
    "EvaluationReport",
    "GroundTruthError",
    "LineScore",
    "LineTally",
    "SceneCounts",
    "ZoneScore",
    "compare",
    "load_mot",
]
