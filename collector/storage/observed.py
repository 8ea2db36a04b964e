"""The observed-time rollup both stores keep (pure): per (site, device, UTC quarter
hour) how many seconds the device's camera observed, by the coverage rule.

Footfall with coverage needs observed opening time per device over up to a year;
reading every minute record for that costs seconds. Each store therefore keeps one
row per (site, device, quarter hour) of its line records, maintained by *recomputing*
the touched quarters from the raw records (never by adding): SQLite in the insert
transaction, InfluxDB off the write path from dirty markers stored with the records
and caught up before every read. A redelivered or conflicting copy changes nothing
and both stores hold the same values. Coverage then sums quarters that lie inside opening time: every real
timezone offset is a multiple of 15 minutes, so a UTC quarter hour is a local one,
and opening hours on whole quarter hours (08:00, 07:30, 15:45) cut no quarter.

The rule is the one coverage applies to raw records (``trimmed_spans``): per device
and interval start the largest observed share counts once (a camera observes all
its lines at once), a record overlapping an earlier one of the same device is
trimmed to the part after it, and observed time is spread evenly over the record's
(trimmed) interval, so a record straddling a quarter boundary splits across both.
Observed time is kept in whole milliseconds: integers add up exactly and in any
order, so both stores return the same sums.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from collector.storage.bookkeeping import FOOTFALL_ROLE, SLOT_S

# (begin, end, observed seconds): one device's observation, UTC epoch seconds.
Span = tuple[float, float, float]
# One line record's observation: (interval start (UTC epoch s), device, role, interval_s, observed_s),
# ordered by (interval start, device, line) as both stores return them.
LineObservation = tuple[int, str, str, int, float]
# The wire's longest interval (a day): how far back a record can reach into a quarter.
LONGEST_INTERVAL_S = 86400


@dataclass(frozen=True, slots=True)
class ObservedQuarter:
    """One row of the rollup."""

    site: str
    device: str
    slot_start: int  # UTC epoch seconds, a multiple of SLOT_S
    observed_ms: int  # observed milliseconds inside this quarter hour
    heard: bool  # a line record of the device starts in this quarter
    entrance: bool  # an entrance line record of the device starts in this quarter
    reach: int  # latest end (epoch s) of the records starting in this quarter; 0 when none


def floor_slot(epoch: float) -> int:
    return math.floor(epoch / SLOT_S) * SLOT_S


def ceil_slot(epoch: float) -> int:
    return math.ceil(epoch / SLOT_S) * SLOT_S


def trimmed_spans(records: Iterable[tuple[str, float, int, float]]) -> dict[str, list[Span]]:
    """Per device, one span per interval start (largest observed share), overlaps trimmed, in order.
    ``records`` are (device, interval start epoch, interval_s, observed_s) in (start, device, name) order:
    of two records of one start with the same share the first one's end counts."""
    by_start: dict[str, dict[float, tuple[float, float]]] = {}
    for device, start, interval_s, observed_s in records:
        mine = by_start.get(device)
        if mine is None:
            mine = by_start[device] = {}
        end = start + interval_s
        # Observed seconds per second of interval, so a trimmed span keeps its rate.
        rate = min(observed_s / interval_s, 1.0)
        prev = mine.get(start)
        if prev is None:
            mine[start] = (end, rate)
        elif rate > prev[1]:
            mine[start] = (max(end, prev[0]), rate)
    out: dict[str, list[Span]] = {}
    for device, mine in by_start.items():
        spans: list[Span] = []
        cursor = -math.inf
        for start in sorted(mine):
            end, rate = mine[start]
            begin = max(start, cursor)
            if end <= begin:
                continue
            spans.append((begin, end, rate * (end - begin)))
            cursor = end
        out[device] = spans
    return out


def quarters(site: str, records: Sequence[LineObservation], lo: int, hi: int) -> list[ObservedQuarter]:
    """The rollup rows of the quarters in [lo, hi) (multiples of SLOT_S) from ``records``: every line
    record of the site starting in [lo, hi), plus those before ``lo`` that reach into it."""
    spans = trimmed_spans((device, float(start), interval_s, observed_s)
                          for start, device, _, interval_s, observed_s in records)  # fmt: skip
    observed: dict[tuple[str, int], float] = {}
    for device, mine in spans.items():
        for begin, end, observed_s in mine:
            if observed_s <= 0 or end <= lo or begin >= hi:
                continue
            slot = max(floor_slot(begin), lo)
            while slot < end and slot < hi:
                overlap = min(end, slot + SLOT_S) - max(begin, slot)
                if overlap > 0:
                    key = (device, slot)
                    # The share of the span's observation inside the quarter, as coverage splits it.
                    observed[key] = observed.get(key, 0.0) + observed_s * overlap / (end - begin)
                slot += SLOT_S
    starts: dict[tuple[str, int], tuple[bool, int]] = {}
    for start, device, role, interval_s, _ in records:
        if lo <= start < hi:
            key = (device, floor_slot(start))
            entrance, reach = starts.get(key, (False, 0))
            starts[key] = (entrance or role == FOOTFALL_ROLE, max(reach, start + interval_s))
    out = []
    for device, slot in sorted(observed.keys() | starts.keys(), key=lambda k: (k[1], k[0])):
        entrance, reach = starts.get((device, slot), (False, 0))
        observed_ms = round(observed.get((device, slot), 0.0) * 1000)
        if observed_ms or (device, slot) in starts:  # a quarter without either holds nothing
            out.append(ObservedQuarter(site, device, slot, observed_ms, (device, slot) in starts, entrance, reach))
    return out


def recompute(
    site: str,
    lo: float,
    hi: float,
    read: Callable[[int, int], list[LineObservation]],
    reaching: Callable[[int, int], int | None],
) -> tuple[int, int, list[ObservedQuarter]]:
    """The quarters [first, last) that line records starting in [lo, hi) can change, and their rollup
    rows (a quarter without a row holds nothing: the store clears the range before writing them).

    ``read(a, b)``: the site's line records starting in [a, b), in order. ``reaching(a, b)``: the
    earliest stored quarter in [a, b) whose records reach past ``b`` (its ``reach``), None if none;
    records from there on can still count in quarters from ``b``. A record can also move the end of a
    stored record with the same start, so the range grows until no record read reaches past it."""
    first, last = floor_slot(lo), ceil_slot(hi)
    since = reaching(first - LONGEST_INTERVAL_S, first)
    context = read(since, first) if since is not None else []
    records = read(first, last)
    while True:
        reach = max((start + interval_s for start, _, _, interval_s, _ in records), default=last)
        if reach <= last:
            break
        more = ceil_slot(reach)
        records += read(last, more)
        last = more
    return first, last, quarters(site, [*context, *records], first, last)


def ranges_to_recompute(starts: Iterable[tuple[float, int]], gap_s: int = 3600) -> list[tuple[int, int]]:
    """(interval start, interval_s) of new records -> quarter ranges to recompute, split where
    nothing was written for longer than ``gap_s`` (a backlog of days is not one huge range)."""
    ranges: list[list[int]] = []
    for first, last in sorted((floor_slot(s), ceil_slot(s + i)) for s, i in starts):
        if ranges and first - ranges[-1][1] <= gap_s:
            ranges[-1][1] = max(ranges[-1][1], last)
        else:
            ranges.append([first, last])
    return [(a, b) for a, b in ranges]
