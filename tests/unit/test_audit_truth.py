"""The audit's pure core: the installer's entries, and a score whose line accuracy is
``compare``'s (mpp-edge evaluate's) on the same counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from edge.audit.truth import AuditInputError, AuditTruth, sample_frames, score
from edge.counting import Direction
from edge.evaluation import LineTally, SceneCounts, compare
from edge.evaluation.counts import CrossingEvent

AT = datetime(2026, 11, 12, 3, 0, tzinfo=UTC)


def counted() -> SceneCounts:
    """The device counted 3 in and 1 out on ``pintu``, 0 on ``samping``; zone ``antri`` per frame."""
    pintu = LineTally(3, 1, [CrossingEvent(5, Direction.IN, 1)])
    return SceneCounts({"pintu": pintu, "samping": LineTally()}, {"antri": [0, 1, 1, 0, 0, 2]}, 6)


def truth() -> AuditTruth:
    return AuditTruth(lines=("pintu", "samping"), zones=("antri",), frames=6, zone_frames=(1, 3, 6))


def test_line_accuracy_is_evaluates_definition() -> None:
    entered = truth()
    for line, direction, frame in [("pintu", "in", 2), ("pintu", "in", 4), ("pintu", "out", 5), ("samping", "out", 6)]:
        entered.add_crossing(line, direction, frame)
    result = score(counted(), entered, auditor="Teknisi", audited_at=AT, recording_s=6 / 25)
    # pintu: |3-2| + |1-1| = 1; samping: |0-0| + |0-1| = 1; true crossings 4 -> 1 - 2/4.
    assert result.line_accuracy == 0.5
    assert result.line_accuracy == compare(counted(), entered.counts()).line_accuracy
    assert [(line.line, line.in_true, line.out_true, line.in_count, line.out_count) for line in result.lines] == [
        ("pintu", 2, 1, 3, 1),
        ("samping", 0, 1, 0, 0),
    ]
    record = result.to_wire("mpp-a", "cam-1", "Asia/Jakarta")
    assert record.line_accuracy == 0.5 and record.auditor == "Teknisi" and record.frames == 6


def test_zone_agreement_is_over_the_marked_frames() -> None:
    entered = truth()
    entered.mark_zone("antri", 1, False)  # device 0: agrees
    entered.mark_zone("antri", 3, True)  # device 1: agrees
    entered.mark_zone("antri", 6, False)  # device 2: disagrees
    entered.mark_zone("antri", 6, False)  # marking again replaces, not adds
    result = score(counted(), entered, auditor="x", audited_at=AT, recording_s=1)
    assert result.zone_agreement == round(2 / 3, 4)
    assert result.zones[0].frames_marked == 3
    assert result.line_accuracy is None  # no true crossing entered


def test_undo_takes_back_the_last_crossing() -> None:
    entered = truth()
    entered.add_crossing("pintu", "in", 1)
    entered.add_crossing("pintu", "out", 2)
    entered.undo()
    assert entered.counts().lines["pintu"].in_count == 1 and entered.counts().lines["pintu"].out_count == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.add_crossing("lain", "in", 1), "unknown line 'lain'"),
        (lambda t: t.add_crossing("pintu", "masuk", 1), "expected 'in' or 'out'"),
        (lambda t: t.add_crossing("pintu", "in", 7), "1..6"),
        (lambda t: t.add_crossing("pintu", "in", True), "1..6"),
        (lambda t: t.mark_zone("antri", 2, True), "not one of the sampled frames"),
        (lambda t: t.mark_zone("lain", 1, True), "unknown zone 'lain'"),
    ],
)
def test_bad_entries_are_refused_and_change_nothing(call: object, message: str) -> None:
    entered = truth()
    with pytest.raises(AuditInputError, match=message):
        call(entered)  # type: ignore[operator]
    assert entered.crossings == [] and entered.presence == {}


def test_sampled_frames_spread_over_the_recording() -> None:
    assert sample_frames(100, 5) == (1, 26, 51, 75, 100)
    assert sample_frames(3, 20) == (1, 2, 3)
    assert sample_frames(0, 5) == () and sample_frames(10, 0) == ()
    assert sample_frames(10, 1) == (1,)
