"""Per-interval records from per-frame counts, on wall-clock aligned UTC intervals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from edge.counting.frames import Direction, LineCrossing, ZoneFrame
from edge.counting.layout import CountingLine, CountingZone
from wire.messages import MAX_DWELLS_PER_RECORD, LineCounts, ZoneOccupancy

Record = LineCounts | ZoneOccupancy
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class _ZoneTally:
    # People x seconds and the seconds they were counted over: the mean is over time, not
    # frames (a paced live source sends more frames while people are there than while idle).
    count_s: float = 0.0
    seen_s: float = 0.0
    max_count: int = 0
    occupied_s: float = 0.0
    visits: int = 0
    dwells_s: list[float] = field(default_factory=list)


@dataclass(slots=True)
class _Interval:
    start: datetime
    observed_s: float = 0.0
    line_in: dict[str, int] = field(default_factory=dict)
    line_out: dict[str, int] = field(default_factory=dict)
    zones: dict[str, _ZoneTally] = field(default_factory=dict)


class IntervalAggregator:
    """Collects frames into intervals of ``interval_s`` aligned to the UTC epoch.

    A frame at ``ts`` covering ``duration_s`` seconds belongs to the interval
    holding ``ts``. Records of an interval are emitted when the first frame of a
    later interval arrives, or by :meth:`flush`. An interval without frames
    emits nothing: "not observed" is not "empty".
    """

    def __init__(
        self,
        *,
        site: str,
        device: str,
        timezone: str,
        interval_s: int,
        lines: Sequence[CountingLine],
        zones: Sequence[CountingZone],
    ) -> None:
        self.site, self.device, self.timezone, self.interval_s = site, device, timezone, interval_s
        self._lines = tuple(lines)
        self._zones = tuple(zones)
        self._current: _Interval | None = None

    def interval_start(self, ts: datetime) -> datetime:
        seconds = (ts - _EPOCH) // timedelta(seconds=self.interval_s) * self.interval_s
        return _EPOCH + timedelta(seconds=seconds)

    def add_frame(
        self,
        ts: datetime,
        duration_s: float,
        crossings: Sequence[LineCrossing],
        zones: Sequence[ZoneFrame],
    ) -> list[Record]:
        start = self.interval_start(ts)
        records: list[Record] = []
        if self._current is not None and self._current.start != start:
            records = self._emit(self._current)
            self._current = None
        if self._current is None:
            self._current = _Interval(start)
        current = self._current
        current.observed_s = min(float(self.interval_s), current.observed_s + duration_s)
        for crossing in crossings:
            target = current.line_in if crossing.direction is Direction.IN else current.line_out
            target[crossing.line] = target.get(crossing.line, 0) + 1
        for frame in zones:
            tally = current.zones.setdefault(frame.zone, _ZoneTally())
            tally.count_s += frame.count * duration_s
            tally.seen_s += duration_s
            tally.max_count = max(tally.max_count, frame.count)
            if frame.count > 0:
                tally.occupied_s = min(float(self.interval_s), tally.occupied_s + duration_s)
            tally.visits += frame.entered
            tally.dwells_s.extend(frame.dwells_s)
        return records

    def add_dwells(self, zones: Sequence[ZoneFrame]) -> None:
        """Visits closed outside a frame (end of footage) join the current interval."""
        if self._current is None:
            return
        for frame in zones:
            self._current.zones.setdefault(frame.zone, _ZoneTally()).dwells_s.extend(frame.dwells_s)

    def flush(self) -> list[Record]:
        """Emit the partial last interval, if any frame arrived."""
        if self._current is None:
            return []
        current, self._current = self._current, None
        return self._emit(current)

    def _emit(self, interval: _Interval) -> list[Record]:
        observed_s = round(interval.observed_s, 3)
        records: list[Record] = [
            LineCounts(
                site=self.site,
                device=self.device,
                timezone=self.timezone,
                interval_start=interval.start,
                interval_s=self.interval_s,
                observed_s=observed_s,
                line=line.name,
                role=line.role,
                in_count=interval.line_in.get(line.name, 0),
                out_count=interval.line_out.get(line.name, 0),
            )
            for line in self._lines
        ]
        for zone in self._zones:
            tally = interval.zones.get(zone.name, _ZoneTally())
            mean = tally.count_s / tally.seen_s if tally.seen_s > 0 else 0.0
            records.append(
                ZoneOccupancy(
                    site=self.site,
                    device=self.device,
                    timezone=self.timezone,
                    interval_start=interval.start,
                    interval_s=self.interval_s,
                    observed_s=observed_s,
                    zone=zone.name,
                    role=zone.role,
                    gerai=zone.gerai,
                    mean_count=round(mean, 4),
                    max_count=tally.max_count,
                    occupied_s=round(min(tally.occupied_s, observed_s), 3),
                    visits=tally.visits,
                    dwells_s=tuple(round(d, 3) for d in tally.dwells_s[-MAX_DWELLS_PER_RECORD:]),
                )
            )
        return records
