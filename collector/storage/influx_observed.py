"""The observed-time rollup (``storage.observed``) on InfluxDB.

InfluxQL cannot sum a list of time ranges in one statement (a WHERE with ``OR`` between
time ranges answers nothing on 1.x), and one statement per opening day costs a few
milliseconds each. So the rollup is kept as one point per (site, device, UTC day) in the
measurement ``observed_day``, with running totals across the day's 96 quarter hours:
``c<k>`` observed milliseconds, ``h<k>`` quarters heard, ``e<k>`` quarters with an entrance
record, each over the quarters before ``k`` (``k`` = 0..96), and ``r<k>`` the reach of quarter
``k`` (0..95). The time of a range [quarter a, quarter b) of one day is ``c<b> - c<a>``: a
year of opening days is one statement reading one point per device and day.

The points live in the retention policy ``rollup`` with year-long shards (a year is one or two
shards instead of 53 weekly ones), when the server lets the collector create it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from collector.storage.base import ObservedTime
from collector.storage.bookkeeping import SLOT_S
from collector.storage.observed import LineObservation, ObservedQuarter

MEASUREMENT = "observed_day"
RETENTION_POLICY = "rollup"
DAY_S = 86400
QUARTERS = DAY_S // SLOT_S
_NS = 1_000_000_000
_FIELD = re.compile(r"^([cher])(\d+)$")

Query = Callable[[str], list[dict[str, Any]]]


class DayArrays:
    """One device's day: per quarter observed ms, heard, entrance and reach."""

    __slots__ = ("entrance", "heard", "observed", "reach")

    def __init__(self) -> None:
        self.observed = [0] * QUARTERS
        self.heard = [0] * QUARTERS
        self.entrance = [0] * QUARTERS
        self.reach = [0] * QUARTERS

    @classmethod
    def of_point(cls, values: dict[str, Any]) -> DayArrays:
        day = cls()
        running: dict[str, list[int]] = {"c": [0] * (QUARTERS + 1), "h": [0] * (QUARTERS + 1),
                                         "e": [0] * (QUARTERS + 1)}  # fmt: skip
        for name, value in values.items():
            m = _FIELD.match(name)
            if m is None or value is None:
                continue
            kind, k = m[1], int(m[2])
            if kind == "r":
                day.reach[k] = int(value)
            else:
                running[kind][k] = int(value)
        for k in range(QUARTERS):
            day.observed[k] = running["c"][k + 1] - running["c"][k]
            day.heard[k] = running["h"][k + 1] - running["h"][k]
            day.entrance[k] = running["e"][k + 1] - running["e"][k]
        return day

    def fields(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for kind, values in (("c", self.observed), ("h", self.heard), ("e", self.entrance)):
            total = 0
            out[f"{kind}0"] = 0
            for k, value in enumerate(values, start=1):
                total += value
                out[f"{kind}{k}"] = total
        out.update((f"r{k}", value) for k, value in enumerate(self.reach))
        out["rmax"] = max(self.reach)  # lets ``reaching`` skip the 96 reach fields of most days
        return out

    def line(self, site_tag: str, device_tag: str, day: int, before: dict[str, int] | None = None) -> str | None:
        """The day point, with only the fields that differ from ``before`` (the stored point's
        fields; InfluxDB keeps the others); None when nothing differs."""
        fields = [f"{name}={value}i" for name, value in self.fields().items()
                  if before is None or before.get(name) != value]  # fmt: skip
        if not fields:
            return None
        return f"{MEASUREMENT},device={device_tag},site={site_tag} {','.join(fields)} {day * _NS}"


def _tag(value: str) -> str:
    # Line protocol tag escaping (commas, equals signs and spaces).
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def read_days(
    query: Query, source: str, where: str, first_day: int, last_day: int, kinds: str = "cher"
) -> dict[tuple[str, int], DayArrays]:
    """Stored day points of [first_day, last_day] (UTC day starts) per (device, day); only the
    fields of ``kinds`` (running totals c, h, e; reach r) are read."""
    series = query(
        f"SELECT /^[{kinds}][0-9]+$/ FROM {source} WHERE {where} "  # noqa: S608
        f'AND time >= {first_day * _NS} AND time <= {last_day * _NS} GROUP BY "device"'
    )
    out: dict[tuple[str, int], DayArrays] = {}
    for s in series:
        columns = s["columns"]
        for row in s.get("values", []):
            values = dict(zip(columns, row, strict=True))
            out[(s["tags"]["device"], int(values.pop("time")) // _NS)] = DayArrays.of_point(values)
    return out


def reaching(query: Query, source: str, where: str, lo: int, hi: int) -> int | None:
    """The earliest quarter in [lo, hi) whose records reach past ``hi``."""
    if not query(
        f'SELECT "rmax" FROM {source} WHERE {where} AND time >= {lo // DAY_S * DAY_S * _NS} '  # noqa: S608
        f'AND time < {hi * _NS} AND "rmax" > {hi} LIMIT 1'
    ):
        return None  # no record of those days reaches past ``hi`` (the usual case: minute records)
    days = read_days(query, source, where, lo // DAY_S * DAY_S, (hi - 1) // DAY_S * DAY_S, "r")
    found = [
        day + k * SLOT_S
        for (_, day), arrays in days.items()
        for k, reach in enumerate(arrays.reach)
        if reach > hi and lo <= day + k * SLOT_S < hi
    ]
    return min(found, default=None)


def apply(
    stored: dict[tuple[str, int], DayArrays], first: int, last: int, rows: Sequence[ObservedQuarter]
) -> dict[tuple[str, int], DayArrays]:
    """The day points to write after recomputing [first, last): the quarters of the range cleared on
    every stored day point of the range, then ``rows`` set."""
    changed: dict[tuple[str, int], DayArrays] = {}
    for (device, day), arrays in stored.items():
        if day + DAY_S > first and day < last:
            for k in range(QUARTERS):
                if first <= day + k * SLOT_S < last:
                    arrays.observed[k] = arrays.heard[k] = arrays.entrance[k] = arrays.reach[k] = 0
            changed[(device, day)] = arrays
    for q in rows:
        day = q.slot_start // DAY_S * DAY_S
        target = changed.get((q.device, day))
        if target is None:
            target = changed[(q.device, day)] = stored.get((q.device, day)) or DayArrays()
        k = (q.slot_start - day) // SLOT_S
        target.observed[k], target.heard[k] = q.observed_ms, int(q.heard)
        target.entrance[k], target.reach[k] = int(q.entrance), q.reach
    return changed


def day_lines(
    site: str, changed: dict[tuple[str, int], DayArrays], before: dict[tuple[str, int], dict[str, int]] | None = None
) -> list[str]:
    """Line protocol of the changed day points; with ``before`` (the stored points' fields), only
    the fields that changed (a live quarter hour rewrites a few running totals, not 387 fields)."""
    lines = [arrays.line(_tag(site), _tag(device), day, (before or {}).get((device, day)))
             for (device, day), arrays in sorted(changed.items())]  # fmt: skip
    return [line for line in lines if line is not None]


def observed_statement(source: str, where: str, ranges: Sequence[tuple[datetime, datetime]]) -> tuple[
    str, list[tuple[int, int, int]]
]:  # fmt: skip
    """One statement for all ``ranges`` (quarter hours of one UTC day each): per distinct
    (first quarter, end quarter) a column of running-total differences. Returns the statement and
    (range index, day, column) of each range."""
    patterns: dict[tuple[int, int], int] = {}
    wanted: list[tuple[int, int, int]] = []
    for index, (start, end) in enumerate(ranges):
        lo, hi = int(start.timestamp()), int(end.timestamp())
        day = lo // DAY_S * DAY_S
        a, b = (lo - day) // SLOT_S, (hi - day) // SLOT_S
        if lo % SLOT_S or hi % SLOT_S or not 0 <= a < b <= QUARTERS:
            raise ValueError(f"range {start}..{end} is not whole quarter hours of one UTC day")
        column = patterns.setdefault((a, b), len(patterns))
        wanted.append((index, day, column))
    selects = ", ".join(
        f'"c{b}" - "c{a}" AS "o{i}", "h{b}" - "h{a}" AS "h{i}", "e{b}" - "e{a}" AS "e{i}"'
        for (a, b), i in patterns.items()
    )
    first = min(day for _, day, _ in wanted)
    last = max(day for _, day, _ in wanted)
    return (
        f"SELECT {selects} FROM {source} WHERE {where} AND time >= {first * _NS} "  # noqa: S608
        f'AND time <= {last * _NS} GROUP BY "device"',
        wanted,
    )


def observed_answer(series: list[dict[str, Any]], wanted: Sequence[tuple[int, int, int]]) -> list[ObservedTime]:
    by_day: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for index, day, column in wanted:
        by_day[day].append((index, column))
    out = []
    for s in series:
        device = s["tags"]["device"]
        columns = {name: position for position, name in enumerate(s["columns"])}
        for row in s.get("values", []):
            for index, column in by_day.get(int(row[0]) // _NS, ()):
                observed, heard = row[columns[f"o{column}"]], row[columns[f"h{column}"]]
                if observed is None or (not observed and not heard):
                    continue  # no quarter of the range holds anything (as SQLite has no row)
                out.append(ObservedTime(index, device, int(observed), heard > 0, row[columns[f"e{column}"]] > 0))
    out.sort(key=lambda o: (o.index, o.device))
    return out


def line_observations(records: Sequence[Any]) -> list[LineObservation]:
    """Observation intervals of line records as the rollup reads them."""
    return [(int(r.interval_start.timestamp()), r.device, r.role, r.interval_s, r.observed_s) for r in records]


# -- dirty markers: the write path's durable note of what the rollup has yet to recompute ------------

DIRTY = "observed_dirty"
# (marker time ns, site, writer): one marker, as a reader remembers the ones it recomputed.
MarkerKey = tuple[int, str, str]


def dirty_line(site: str, writer: str, lo: int, hi: int, at_ns: int) -> str:
    """A marker: the line records of ``site`` starting in [lo, hi) (epoch s) changed. It travels in
    the raw records' /write body, so a marker is stored exactly when its records are. The ``writer``
    tag keeps two collectors' markers of one nanosecond apart."""
    return f"{DIRTY},site={_tag(site)},writer={_tag(writer)} lo={lo}i,hi={hi}i {at_ns}"


def dirty_statement(since_ns: int) -> str:
    return f'SELECT "lo", "hi" FROM "{DIRTY}" WHERE time > {since_ns} GROUP BY "site", "writer"'  # noqa: S608


def dirty_markers(series: Sequence[dict[str, Any]]) -> dict[MarkerKey, tuple[str, int, int]]:
    """The markers among ``series`` (other measurements' series are ignored): key -> (site, lo, hi)."""
    out: dict[MarkerKey, tuple[str, int, int]] = {}
    for s in series:
        if s.get("name") != DIRTY:
            continue
        site, writer = s["tags"]["site"], s["tags"]["writer"]
        columns = {name: position for position, name in enumerate(s["columns"])}
        for row in s.get("values", []):
            lo, hi = row[columns["lo"]], row[columns["hi"]]
            if lo is not None and hi is not None:
                out[(int(row[0]), site, writer)] = (site, int(lo), int(hi))
    return out


def coalesce(ranges: Sequence[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Per site, overlapping or touching ranges united, then cut at UTC day starts (a backlog of
    many batches is recomputed once, a day of records at a time)."""
    united: list[list[Any]] = []
    for site, lo, hi in sorted(ranges):
        if united and united[-1][0] == site and lo <= united[-1][2]:
            united[-1][2] = max(united[-1][2], hi)
        else:
            united.append([site, lo, hi])
    out = []
    for site, lo, hi in united:
        while lo < hi:
            cut = min(hi, (lo // DAY_S + 1) * DAY_S)
            out.append((site, lo, cut))
            lo = cut
    return out
