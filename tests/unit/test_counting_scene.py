"""SceneCounter on whole observations: occupancy from the frame's detections, identity from tracks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from edge.config import LineConfig, ZoneConfig
from edge.counting import Box, Detection, Observation, SceneCounter, SceneFrame, SceneRules, Track

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
DT = timedelta(seconds=0.04)
ZONE = ZoneConfig.model_validate(
    {"name": "booth", "points": [[0.2, 0.2], [0.6, 0.2], [0.6, 0.6], [0.2, 0.6]]}
).as_counting()
LINE = LineConfig.model_validate({"name": "door", "points": [[0.5, 0.0], [0.5, 1.0]]}).as_counting()
UNSMOOTHED = SceneRules(count_smoothing_s=0.0)


def box_at(x: float, y: float) -> Box:
    return Box(x - 0.02, y - 0.2, x + 0.02, y)


def run(scene: SceneCounter, frames: list[Observation]) -> list[SceneFrame]:
    out = []
    for i, seen in enumerate(frames):
        out.extend(scene.update(seen, T0 + i * DT, i + 1))
    return out + scene.flush()


def test_a_detected_person_counts_before_the_tracker_reports_a_track() -> None:
    """ByteTrack reports a new track from its second frame on; the zone counts the person from the first."""
    person = box_at(0.4, 0.4)
    frames = [
        Observation((), (Detection.from_box(person, 0.8),)),
        Observation((Track.from_box(7, person, 0.8),), (Detection.from_box(person, 0.8),)),
    ]
    counted = run(SceneCounter([], [ZONE], UNSMOOTHED), frames)
    assert [f.zones[0].count for f in counted] == [1, 1]
    # A visit needs an identity: it starts with the track.
    assert [f.zones[0].entered for f in counted] == [0, 1]


def test_occupancy_holds_while_the_track_is_lost_and_visits_stay_with_tracks() -> None:
    person = box_at(0.4, 0.4)
    tracked = Observation((Track.from_box(1, person, 0.9),), (Detection.from_box(person, 0.9),))
    # A detection the tracker did not associate (e.g. after an occlusion, before re-identification).
    untracked = Observation((), (Detection.from_box(person, 0.9),))
    counted = run(SceneCounter([], [ZONE], UNSMOOTHED), [tracked, untracked, untracked, tracked])
    assert [f.zones[0].count for f in counted] == [1, 1, 1, 1]
    assert sum(f.zones[0].entered for f in counted) == 1


def test_detections_below_the_score_filter_do_not_count() -> None:
    frames = [Observation((), (Detection.from_box(box_at(0.3, 0.4), 0.2), Detection.from_box(box_at(0.5, 0.4), 0.3)))]
    counted = run(SceneCounter([], [ZONE], UNSMOOTHED), frames)
    assert counted[0].zones[0].count == 1


def test_no_detections_on_a_frame_is_an_empty_zone_while_tracks_alone_are_counted() -> None:
    person = box_at(0.4, 0.4)
    with_detector = Observation((Track.from_box(1, person, 0.9),), ())
    tracks_only = [Track.from_box(1, person, 0.9)]
    scene = SceneCounter([], [ZONE], UNSMOOTHED)
    assert scene.update(with_detector, T0, 1)[0].zones[0].count == 0
    assert SceneCounter([], [ZONE], UNSMOOTHED).update(tracks_only, T0, 1)[0].zones[0].count == 1


def test_one_frame_flicker_of_detections_is_smoothed_away() -> None:
    person = Detection.from_box(box_at(0.4, 0.4), 0.9)
    frames = [Observation((), (person,)) for _ in range(20)]
    frames[10] = Observation((), ())
    frames[5] = Observation((), (person, Detection.from_box(box_at(0.3, 0.5), 0.9)))
    counted = run(SceneCounter([], [ZONE], SceneRules()), frames)
    assert [f.frame_index for f in counted] == list(range(1, 21))
    assert [f.zones[0].count for f in counted] == [1] * 20


def test_lines_still_count_tracks_only() -> None:
    """A detection has no identity, so it never crosses a line."""
    frames = [Observation((), (Detection.from_box(box_at(x, 0.5), 0.9),)) for x in (0.3, 0.4, 0.45, 0.55, 0.6, 0.7)]
    counted = run(SceneCounter([LINE], [], UNSMOOTHED), frames)
    assert [c for f in counted for c in f.crossings] == []


def test_each_frame_carries_its_own_duration_through_the_smoothing_delay() -> None:
    """Frames held back by the smoother come out with the seconds they came in with."""
    scene = SceneCounter([], [ZONE], SceneRules())
    person = Detection.from_box(box_at(0.4, 0.4), 0.9)
    durations = [0.04, 0.08, 0.04, 0.12, 0.04, 0.04, 0.2, 0.04, 0.04, 0.04]
    out: list[SceneFrame] = []
    for i, duration_s in enumerate(durations):
        released = scene.update(Observation((), (person,)), T0 + i * DT, i + 1, duration_s=duration_s)
        if i == 0:
            assert released == []  # held back: the smoothing window needs later frames
        out.extend(released)
    out += scene.flush()
    assert [(f.frame_index, f.duration_s) for f in out] == [(i + 1, d) for i, d in enumerate(durations)]
