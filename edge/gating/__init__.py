"""Idle-scene gating: decide per frame whether the detector must run, and what to decode."""

from edge.gating.idle_scheduler import IdleSchedule, IdleScheduler
from edge.gating.motion_gate import MotionGate, MotionGateSettings

__all__ = ["IdleSchedule", "IdleScheduler", "MotionGate", "MotionGateSettings"]
