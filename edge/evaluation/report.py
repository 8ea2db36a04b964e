"""Accuracy of replayed counts against ground-truth counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edge.evaluation.counts import SceneCounts


@dataclass(frozen=True, slots=True)
class LineScore:
    name: str
    in_count: int
    out_count: int
    in_true: int
    out_true: int

    @property
    def error(self) -> int:
        return abs(self.in_count - self.in_true) + abs(self.out_count - self.out_true)


@dataclass(frozen=True, slots=True)
class ZoneScore:
    name: str
    mae: float
    presence_agreement: float
    mean: float
    mean_true: float


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    frames: int
    lines: tuple[LineScore, ...]
    zones: tuple[ZoneScore, ...]
    # 1 - sum(|in-in*| + |out-out*|) / sum(in* + out*); None without true crossings.
    line_accuracy: float | None
    # Persons per frame, over all zones and frames.
    zone_mae: float | None
    presence_agreement: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "line_accuracy": self.line_accuracy,
            "zone_mae": self.zone_mae,
            "presence_agreement": self.presence_agreement,
            "lines": {
                s.name: {
                    "in": s.in_count,
                    "out": s.out_count,
                    "in_true": s.in_true,
                    "out_true": s.out_true,
                    "in_error": s.in_count - s.in_true,
                    "out_error": s.out_count - s.out_true,
                }
                for s in self.lines
            },
            "zones": {
                s.name: {
                    "mae": s.mae,
                    "presence_agreement": s.presence_agreement,
                    "mean": s.mean,
                    "mean_true": s.mean_true,
                }
                for s in self.zones
            },
        }


def compare(predicted: SceneCounts, truth: SceneCounts) -> EvaluationReport:
    frames = max(predicted.frames, truth.frames)
    lines = tuple(
        LineScore(name, p.in_count, p.out_count, truth.lines[name].in_count, truth.lines[name].out_count)
        for name, p in predicted.lines.items()
    )
    true_total = sum(s.in_true + s.out_true for s in lines)
    errors = sum(s.error for s in lines)
    accuracy = round(1 - errors / true_total, 4) if true_total else None

    zones = []
    abs_sum, agree_sum, cells = 0.0, 0, 0
    for name, counts in predicted.zones.items():
        p = counts + [0] * (frames - len(counts))
        t = truth.zones[name] + [0] * (frames - len(truth.zones[name]))
        diff = sum(abs(a - b) for a, b in zip(p, t, strict=True))
        agree = sum((a > 0) == (b > 0) for a, b in zip(p, t, strict=True))
        abs_sum, agree_sum, cells = abs_sum + diff, agree_sum + agree, cells + frames
        zones.append(
            ZoneScore(
                name,
                round(diff / frames, 4) if frames else 0.0,
                round(agree / frames, 4) if frames else 1.0,
                round(sum(p) / frames, 4) if frames else 0.0,
                round(sum(t) / frames, 4) if frames else 0.0,
            )
        )
    return EvaluationReport(
        frames,
        lines,
        tuple(zones),
        accuracy,
        round(abs_sum / cells, 4) if cells else None,
        round(agree_sum / cells, 4) if cells else None,
    )
