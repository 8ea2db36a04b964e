"""Idle-scene gating: decide per frame whether the detector must run."""

from edge.gating.motion_gate import MotionGate, MotionGateSettings

__all__ = ["MotionGate", "MotionGateSettings"]
