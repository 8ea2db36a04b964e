"""Dwell-time statistics (visitor waiting) from completed visit durations."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DwellStats:
    count: int
    mean_s: float | None
    p50_s: float | None
    p90_s: float | None
    p95_s: float | None
    max_s: float | None


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), ``q`` in [0, 100]."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside [0, 100]")
    rank = (len(sorted_values) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def dwell_stats(durations_s: Sequence[float]) -> DwellStats:
    if not durations_s:
        return DwellStats(0, None, None, None, None, None)
    values = sorted(durations_s)
    return DwellStats(
        count=len(values),
        mean_s=sum(values) / len(values),
        p50_s=percentile(values, 50),
        p90_s=percentile(values, 90),
        p95_s=percentile(values, 95),
        max_s=values[-1],
    )
