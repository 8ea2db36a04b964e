"""Data coverage: how much of the opening time each camera actually observed.

A camera that is off looks exactly like a quiet hall unless every number says how
long it was observed. Here a site's opening windows (weekly hours minus holidays,
see ``schedule.open_windows``) and the devices it should hear from give the
*expected* time; the records' ``observed_s`` give the *observed* time.

- A device is expected over every opening second of the range when it watches an
  entrance line (footfall) or a gerai's staff or queue zone. Closed time (nights,
  days without hours, holidays) is neither expected nor a gap.
- Observed time is attributed evenly over its record's interval, and only the
  part of an interval that overlaps opening time counts: a 60 s record observed
  for 60 s that straddles opening at 08:00:30 adds 30 s. Records align with the
  minute and opening hours are HH:MM, so in practice nothing is split; the rule
  only keeps a straddling record from counting closed time as observed.
- A camera observes all its lines and zones at once: per device and interval
  start the largest ``observed_s`` counts once (two entrance lines on one
  camera are not twice the observation).
- ``coverage`` = observed / expected, None where nothing was expected;
  ``complete`` = coverage >= the site's threshold (default 0.95).
- A *gap* is a stretch of opening time of at least ``min_gap_s`` in which a
  device delivered no record observed for at least half its length, with its
  cause where the device's status and health tell it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from collector.report.gerai import STAFF_ROLES, WAITING_ROLES, Gerai
from collector.report.periods import Granularity, TimeRange, month_start, next_month
from collector.storage.base import HealthSample, ObservationInterval
from collector.storage.observed import trimmed_spans
from wire import CameraState, DeviceState
from wire.vocabulary import CountingRole

DEFAULT_COMPLETE_AT = 0.95  # coverage a period needs to count as complete, unless the site sets its own
DEFAULT_MIN_GAP_S = 300.0  # shorter silences are restarts and reconnects, not gaps worth listing
# An interval observed for less than half its length is unobserved for gap finding
# (the same rule staffing uses for its unobserved stretches).
OBSERVED_AT_LEAST = 0.5
NO_FRAMES_AFTER_S = 60.0  # a health report whose last frame is older says the camera delivers none
# A health report or Last Will this long before a gap still explains it (one default health interval
# plus the broker's keepalive grace).
CAUSE_LOOKBACK_S = 120.0


class Use(StrEnum):
    """Why a device is expected to observe."""

    ENTRANCE = "entrance"  # footfall
    STAFF = "staff"  # gerai staffing
    QUEUE = "queue"  # gerai waiting


class GapCause(StrEnum):
    OFFLINE = "offline"  # the device's status (or its Last Will) said offline
    CAMERA_ERROR = "camera_error"  # health: the camera is reconnecting
    NO_FRAMES = "no_frames"  # health: the source ended or delivers no frames
    NO_RECORDS = "no_records"  # nothing known: no record, and no status or health that explains it


@dataclass(frozen=True, slots=True)
class Watch:
    """One line or zone a device is expected to observe during opening hours."""

    device: str
    use: Use
    name: str  # line or zone
    gerai: str | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    device: str
    state: DeviceState
    ts: datetime


@dataclass(frozen=True, slots=True)
class PeriodCoverage:
    start: datetime  # local start of the period, clipped to the range asked for
    end: datetime
    expected_s: float  # opening time in the period (times the devices expected, for a group)
    observed_s: float  # observed opening time (at most expected_s: it is clipped to opening time)
    coverage: float | None  # observed / expected; None when nothing was expected (closed)
    complete: bool  # coverage >= the threshold; False when nothing was expected

    @classmethod
    def of(
        cls, start: datetime, end: datetime, expected_s: float, observed_s: float, complete_at: float
    ) -> PeriodCoverage:
        coverage = observed_s / expected_s if expected_s > 0 else None
        return cls(start, end, expected_s, observed_s, coverage, coverage is not None and coverage >= complete_at)


@dataclass(frozen=True, slots=True)
class Gap:
    device: str
    start: datetime  # UTC
    end: datetime
    cause: GapCause

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, slots=True)
class DeviceCoverage:
    device: str
    uses: tuple[Watch, ...]  # why it is expected
    periods: tuple[PeriodCoverage, ...]  # one per period of the range, in order
    total: PeriodCoverage  # the whole range
    gaps: tuple[Gap, ...]  # in order, each at least min_gap_s long


# Internally times are UTC epoch seconds: comparing and hashing aware datetimes costs more than
# the arithmetic itself on a month of minute records. A slot is (start, end, observed seconds).
_Span = tuple[float, float]
_Slot = tuple[float, float, float]


def periods(span: TimeRange, granularity: Granularity, tz: ZoneInfo) -> list[TimeRange]:
    """Every local hour, day or month overlapping ``span``, clipped to it, in order (none missing)."""
    local = span.start.astimezone(tz)
    if granularity == "month":
        start = month_start(local.date(), tz)
    elif granularity == "day":
        start = datetime(local.year, local.month, local.day, tzinfo=tz)
    else:
        start = local.replace(minute=0, second=0, microsecond=0)
    out = []
    while start < span.end:
        if granularity == "month":
            end = next_month(start)
        elif granularity == "day":
            day = start.date() + timedelta(days=1)
            end = datetime(day.year, day.month, day.day, tzinfo=tz)
        else:
            # Whole local hours in absolute time (UTC arithmetic), safe across any offset change.
            end = (start.astimezone(UTC) + timedelta(hours=1)).astimezone(tz)
        out.append(TimeRange(max(start, span.start).astimezone(tz), min(end, span.end).astimezone(tz)))
        start = end
    return out


def expected_watches(records: Iterable[ObservationInterval], gerai: Iterable[Gerai]) -> list[Watch]:
    """Entrance lines seen in ``records`` (footfall) and every staff and queue zone of the site's gerai."""
    found: set[Watch] = set()
    for rec in records:
        if rec.kind == "counts" and rec.role == CountingRole.ENTRANCE:
            found.add(Watch(rec.device, Use.ENTRANCE, rec.name))
    for g in gerai:
        for zone in g.zones:
            if zone.role in STAFF_ROLES:
                found.add(Watch(zone.device, Use.STAFF, zone.zone, g.gerai))
            elif zone.role in WAITING_ROLES:
                found.add(Watch(zone.device, Use.QUEUE, zone.zone, g.gerai))
    return sorted(found, key=lambda w: (w.device, w.use, w.gerai or "", w.name))


def _slots(records: Iterable[ObservationInterval]) -> dict[str, list[_Slot]]:
    """Per device, one slot per interval start (largest observed share), overlaps trimmed, in order:
    the rule the stores' observed-time rollup applies too (``storage.observed.trimmed_spans``)."""
    seconds: dict[datetime, float] = {}  # records of one interval share their start

    def epoch(at: datetime) -> float:
        value = seconds.get(at)
        if value is None:
            value = seconds[at] = at.timestamp()
        return value

    return trimmed_spans((r.device, epoch(r.interval_start), r.interval_s, r.observed_s) for r in records)


def epochs(ranges: Sequence[TimeRange]) -> list[_Span]:
    return [(r.start.timestamp(), r.end.timestamp()) for r in ranges]


def opening_pieces(windows: Sequence[_Span], spans: Sequence[_Span]) -> list[tuple[float, float, int]]:
    """Opening time cut at period bounds: (start, end, period index), in order."""
    starts = [p[0] for p in spans]
    out = []
    for w_start, w_end in windows:
        cursor = max(w_start, spans[0][0]) if spans else w_end
        while cursor < w_end:
            i = bisect_right(starts, cursor) - 1
            end = min(w_end, spans[i][1])
            if end <= cursor:  # after the last period
                break
            out.append((cursor, end, i))
            cursor = end
    return out


def observed_per_period(slots: Sequence[_Slot], pieces: Sequence[tuple[float, float, int]], n: int) -> list[float]:
    observed = [0.0] * n
    j = 0
    for start, end, observed_s in slots:
        if observed_s <= 0:
            continue
        while j < len(pieces) and pieces[j][1] <= start:
            j += 1
        k = j
        while k < len(pieces) and pieces[k][0] < end:
            begin, finish, index = pieces[k]
            overlap = min(finish, end) - max(begin, start)
            if overlap > 0:
                observed[index] += observed_s * overlap / (end - start)
            k += 1
    return observed


def _unobserved(slots: Sequence[_Slot], windows: Sequence[_Span], min_gap_s: float) -> list[_Span]:
    """Stretches of each opening window not covered by an observed slot, at least ``min_gap_s`` long."""
    seen = [s for s in slots if s[2] >= OBSERVED_AT_LEAST * (s[1] - s[0])]
    out = []
    i = 0
    for w_start, w_end in windows:
        while i < len(seen) and seen[i][1] <= w_start:
            i += 1
        cursor = w_start
        j = i
        while j < len(seen) and seen[j][0] < w_end:
            if seen[j][0] > cursor:
                out.append((cursor, seen[j][0]))
            cursor = max(cursor, seen[j][1])
            j += 1
        if cursor < w_end:
            out.append((cursor, w_end))
    return [(a, b) for a, b in out if b - a >= min_gap_s]


def _ts(item: HealthSample | StatusChange) -> datetime:
    return item.ts


def gap_cause(
    start: datetime, end: datetime, health: Sequence[HealthSample], statuses: Sequence[StatusChange]
) -> GapCause:
    """Why one device was silent in [start, end): what its health said there (most specific: the device
    was up but its camera was not), else its status, else unknown. ``health`` and ``statuses`` are the
    device's own, in time order."""
    lookback = start - timedelta(seconds=CAUSE_LOOKBACK_S)
    near = health[bisect_left(health, lookback, key=_ts) : bisect_left(health, end, key=_ts)]
    if any(h.camera_state is CameraState.RECONNECTING for h in near):
        return GapCause.CAMERA_ERROR
    if any(
        h.camera_state is CameraState.ENDED
        or h.fps == 0
        or h.last_frame_age_s is None
        or h.last_frame_age_s > NO_FRAMES_AFTER_S
        for h in near
    ):
        return GapCause.NO_FRAMES
    # The state at the start of the gap (the last change before it), and any change during it.
    first = bisect_right(statuses, start, key=_ts)  # the changes after ``start``
    states = statuses[max(first - 1, 0) : bisect_left(statuses, end, key=_ts)]
    if any(s.state is DeviceState.OFFLINE for s in states):
        return GapCause.OFFLINE
    return GapCause.NO_RECORDS


def device_coverage(
    records: Iterable[ObservationInterval],
    watches: Iterable[Watch],
    windows: Sequence[TimeRange],
    spans: Sequence[TimeRange],
    *,
    health: Iterable[HealthSample] = (),
    statuses: Iterable[StatusChange] = (),
    complete_at: float = DEFAULT_COMPLETE_AT,
    min_gap_s: float = DEFAULT_MIN_GAP_S,
) -> list[DeviceCoverage]:
    """Coverage of every watched device per period of ``spans`` (from ``periods``), over the site's
    opening ``windows`` (from ``open_windows`` over the same range), with its gaps.

    ``records`` are the site's observation records of the range, ``health`` and ``statuses`` what is
    known of its devices (any order); devices not watched are ignored."""
    by_device: dict[str, list[Watch]] = {}
    for w in watches:
        by_device.setdefault(w.device, []).append(w)
    slots = _slots(r for r in records if r.device in by_device)
    opening = epochs(windows)
    pieces = opening_pieces(opening, epochs(spans))
    expected = [0.0] * len(spans)
    for begin, finish, index in pieces:
        expected[index] += finish - begin
    health_of: dict[str, list[HealthSample]] = {}
    for h in sorted(health, key=lambda h: h.ts):
        health_of.setdefault(h.device, []).append(h)
    status_of: dict[str, list[StatusChange]] = {}
    for st in sorted(statuses, key=lambda st: st.ts):
        status_of.setdefault(st.device, []).append(st)
    if not spans:
        return []
    out = []
    for device in sorted(by_device):
        mine = slots.get(device, [])
        observed = observed_per_period(mine, pieces, len(spans))
        per = tuple(
            PeriodCoverage.of(p.start, p.end, e, o, complete_at)
            for p, e, o in zip(spans, expected, observed, strict=True)
        )
        total = PeriodCoverage.of(
            spans[0].start, spans[-1].end, sum(p.expected_s for p in per), sum(p.observed_s for p in per), complete_at
        )
        health_here, status_here = health_of.get(device, []), status_of.get(device, [])
        gaps = []
        for a, b in _unobserved(mine, opening, min_gap_s):
            start, end = datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(b, UTC)
            gaps.append(Gap(device, start, end, gap_cause(start, end, health_here, status_here)))
        out.append(DeviceCoverage(device, tuple(by_device[device]), per, total, tuple(gaps)))
    return out


def combined(devices: Sequence[DeviceCoverage], complete_at: float = DEFAULT_COMPLETE_AT) -> list[PeriodCoverage]:
    """Several devices as one (e.g. all entrance cameras for a site's footfall): expected and observed
    add up per period, so coverage is the share of the devices' expected time that was observed."""
    if not devices:
        return []
    out = []
    for index, first in enumerate(devices[0].periods):
        expected = sum(d.periods[index].expected_s for d in devices)
        observed = sum(d.periods[index].observed_s for d in devices)
        out.append(PeriodCoverage.of(first.start, first.end, expected, observed, complete_at))
    return out


def statuses_of(devices: Iterable[tuple[str, DeviceState | None, datetime | None]]) -> list[StatusChange]:
    """Status changes from (device, state, state_at) triples such as the store's latest device records."""
    return [StatusChange(device, state, at) for device, state, at in devices if state is not None and at is not None]
