"""The installer's truth and the audit's score (pure).

Line accuracy is ``mpp-edge evaluate``'s (edge.evaluation.compare) on the true crossings
entered per line; zone agreement is the share of marked (zone, frame) pairs on which the
device agreed whether someone was there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from edge.counting import Direction
from edge.evaluation import LineTally, SceneCounts, compare
from wire import Audit, AuditLine, AuditZone


class AuditInputError(ValueError):
    """An entry the audit cannot take (unknown line or zone, frame out of range)."""


@dataclass(frozen=True, slots=True)
class TrueCrossing:
    line: str
    direction: Direction
    frame: int


@dataclass(slots=True)
class AuditTruth:
    """What the installer entered: crossings per line and zone presence on sampled frames."""

    lines: tuple[str, ...]
    zones: tuple[str, ...]
    frames: int
    zone_frames: tuple[int, ...]
    crossings: list[TrueCrossing] = field(default_factory=list)
    # (zone, frame) -> someone is in the zone
    presence: dict[tuple[str, int], bool] = field(default_factory=dict)

    def add_crossing(self, line: str, direction: str, frame: int) -> TrueCrossing:
        if line not in self.lines:
            raise AuditInputError(f"unknown line {line!r}; the lines are {', '.join(self.lines) or 'none'}")
        try:
            parsed = Direction(direction)
        except ValueError:
            raise AuditInputError(f"direction {direction!r}: expected 'in' or 'out'") from None
        self._check_frame(frame)
        crossing = TrueCrossing(line, parsed, frame)
        self.crossings.append(crossing)
        return crossing

    def undo(self) -> TrueCrossing | None:
        """Take back the last crossing entered."""
        return self.crossings.pop() if self.crossings else None

    def mark_zone(self, zone: str, frame: int, present: bool) -> None:
        if zone not in self.zones:
            raise AuditInputError(f"unknown zone {zone!r}; the zones are {', '.join(self.zones) or 'none'}")
        if frame not in self.zone_frames:
            raise AuditInputError(f"frame {frame} is not one of the sampled frames for zones")
        self.presence[(zone, frame)] = present

    def _check_frame(self, frame: int) -> None:
        if isinstance(frame, bool) or not isinstance(frame, int) or not 1 <= frame <= self.frames:
            raise AuditInputError(f"frame {frame!r}: expected a frame number 1..{self.frames}")

    def counts(self) -> SceneCounts:
        """The true crossings as the counts ``compare`` takes."""
        tallies = {name: LineTally() for name in self.lines}
        for crossing in self.crossings:
            tally = tallies[crossing.line]
            if crossing.direction is Direction.IN:
                tally.in_count += 1
            else:
                tally.out_count += 1
        return SceneCounts(tallies, {name: [] for name in self.zones}, self.frames)

    def to_json(self) -> dict[str, Any]:
        return {
            "crossings": [{"line": c.line, "direction": c.direction.value, "frame": c.frame} for c in self.crossings],
            "zone_marks": [
                {"zone": zone, "frame": frame, "present": present}
                for (zone, frame), present in sorted(self.presence.items())
            ],
        }


def sample_frames(frames: int, samples: int) -> tuple[int, ...]:
    """``samples`` frames spread evenly over 1..frames (all of them when there are fewer)."""
    if frames <= 0 or samples <= 0:
        return ()
    if samples >= frames:
        return tuple(range(1, frames + 1))
    if samples == 1:
        return (1,)
    return tuple(sorted({1 + round(i * (frames - 1) / (samples - 1)) for i in range(samples)}))


@dataclass(frozen=True, slots=True)
class AuditResult:
    audited_at: datetime
    auditor: str
    frames: int
    recording_s: float
    line_accuracy: float | None
    zone_agreement: float | None
    lines: tuple[AuditLine, ...]
    zones: tuple[AuditZone, ...]

    def to_wire(self, site: str, device: str, timezone: str) -> Audit:
        return Audit(
            site=site,
            device=device,
            timezone=timezone,
            audited_at=self.audited_at,
            auditor=self.auditor,
            recording_s=round(self.recording_s, 3),
            frames=self.frames,
            line_accuracy=self.line_accuracy,
            zone_agreement=self.zone_agreement,
            lines=self.lines,
            zones=self.zones,
        )


def score(
    counted: SceneCounts, truth: AuditTruth, *, auditor: str, audited_at: datetime, recording_s: float
) -> AuditResult:
    report = compare(counted, truth.counts())
    lines = tuple(AuditLine(line=s.name, in_true=s.in_true, out_true=s.out_true, in_count=s.in_count,
                            out_count=s.out_count) for s in report.lines)  # fmt: skip
    zones = []
    agreed_all = marked_all = 0
    for name in truth.zones:
        per_frame = counted.zones.get(name, [])
        marks = [(frame, present) for (zone, frame), present in truth.presence.items() if zone == name]
        agreed = sum((_count_at(per_frame, frame) > 0) == present for frame, present in marks)
        zones.append(AuditZone(zone=name, frames_marked=len(marks),
                               agreement=round(agreed / len(marks), 4) if marks else None))  # fmt: skip
        agreed_all, marked_all = agreed_all + agreed, marked_all + len(marks)
    return AuditResult(
        audited_at=audited_at,
        auditor=auditor,
        frames=truth.frames,
        recording_s=recording_s,
        line_accuracy=report.line_accuracy,
        zone_agreement=round(agreed_all / marked_all, 4) if marked_all else None,
        lines=lines,
        zones=tuple(zones),
    )


def _count_at(per_frame: Sequence[int], frame: int) -> int:
    return per_frame[frame - 1] if 0 < frame <= len(per_frame) else 0
