"""Pure rule evaluation: what the store and the site's calendar say now -> findings per condition.

A finding says whether a condition holds (``active``), does not hold, or cannot be told now
(``active`` None: the site is closed, or the camera that would tell is not observing). An episode
opens on the first active finding and is resolved by the first inactive one; an unknown finding
changes nothing, so a gerai left unstaffed at closing time does not alert again the next morning.

Every duration counts opening time only (the site's weekly hours minus holidays, as the coverage
core reads them): a device switched off at night alerts after the configured time *of opening
time* the next morning, not at midnight.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from collector.alerts.rules import AlertKind, AlertRules
from collector.report.gerai import STAFF_ROLES, Gerai
from collector.report.periods import TimeRange
from collector.report.staffing import UNOBSERVED_BELOW
from collector.storage.base import DeviceRecord, ZoneInterval

RETIRED_AFTER = timedelta(days=92)  # silent this long: removed, not an alert (as the coverage core reads it)
# The newest zone record must have ended within this long before now to say anything about the present:
# a record covers one interval and reaches the collector after it closes (plus the edge's batching).
FRESH_WITHIN = timedelta(minutes=3)
ENTRANCE_SUBJECT = "entrance"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: AlertKind
    subject: str  # device, gerai or "entrance": one episode at a time per (site, kind, subject)
    subject_name: str
    active: bool | None  # None: cannot be told now; an open episode stays open, none opens
    detail: dict[str, float | str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind.value, self.subject)


def open_s(windows: Iterable[TimeRange], start: datetime, end: datetime) -> float:
    """Seconds of ``windows`` inside [start, end)."""
    return sum(max(0.0, (min(w.end, end) - max(w.start, start)).total_seconds()) for w in windows)


def is_open(windows: Iterable[TimeRange], now: datetime) -> bool:
    """Whether ``now`` lies in an opening window (the windows must reach past ``now``)."""
    return any(w.start <= now < w.end for w in windows)


def silent_devices(
    devices: Iterable[DeviceRecord], windows: Sequence[TimeRange], now: datetime, rules: AlertRules
) -> list[Finding]:
    """One finding per device heard within ``RETIRED_AFTER``; ``windows`` must cover that long before ``now``.

    Active when the opening time since its last message reaches the rule's threshold; it stays active
    through closed hours (the device is still silent) and clears with its next message."""
    threshold = rules.device_silent_after_s
    if threshold is None:
        return []
    out = []
    for d in devices:
        if d.last_seen is None or now - d.last_seen > RETIRED_AFTER:
            continue
        silent_s = open_s(windows, d.last_seen, now)
        out.append(
            Finding(
                AlertKind.DEVICE_SILENT, d.device, d.device, silent_s >= threshold,
                {"last_seen": d.last_seen.isoformat(), "silent_open_s": round(silent_s, 1),
                 "threshold_s": threshold},
            )
        )  # fmt: skip
    return out


@dataclass(frozen=True, slots=True)
class _Minute:
    start: datetime
    end: datetime
    observed: bool
    staffed: bool


def _staff_minutes(gerai: Gerai, intervals: Iterable[ZoneInterval]) -> list[_Minute]:
    """The gerai's staff zones as one, per interval start: observed when any zone was observed for at least
    half the interval (the staffing report's rule), staffed when an observed zone had someone in it."""
    zones = gerai.zone_names(STAFF_ROLES)
    by_start: dict[datetime, _Minute] = {}
    for rec in intervals:
        if (rec.device, rec.zone) not in zones:
            continue
        observed = rec.interval_s > 0 and rec.observed_s >= UNOBSERVED_BELOW * rec.interval_s
        staffed = observed and rec.occupied_s > 0
        end = rec.interval_start + timedelta(seconds=rec.interval_s)
        seen = by_start.get(rec.interval_start)
        if seen is not None:
            observed, staffed, end = observed or seen.observed, staffed or seen.staffed, max(end, seen.end)
        by_start[rec.interval_start] = _Minute(rec.interval_start, end, observed, staffed)
    return [by_start[s] for s in sorted(by_start)]


def unstaffed_gerai(
    gerai: Iterable[Gerai],
    intervals: Sequence[ZoneInterval],
    windows: Sequence[TimeRange],
    now: datetime,
    rules: AlertRules,
) -> list[Finding]:
    """Per gerai with a staff zone: active when its staff zones, observed without a break, had nobody in
    them for the rule's opening time. Unknown while closed or while the newest record is stale or
    unobserved (an unobserved gerai is a coverage alert, not an unstaffed one). ``intervals`` must reach
    back at least the threshold's worth of opening time."""
    threshold = rules.unstaffed_after_s
    if threshold is None:
        return []
    out = []
    for g in gerai:
        if not g.zone_names(STAFF_ROLES):
            continue
        minutes = _staff_minutes(g, intervals)
        if not is_open(windows, now) or not minutes or now - minutes[-1].end > FRESH_WITHIN or not minutes[-1].observed:
            out.append(Finding(AlertKind.GERAI_UNSTAFFED, g.gerai, g.name, None))
            continue
        run_s = 0.0
        later = now  # start of the minute walked last; open time between that and this one's end is unobserved
        for m in reversed(minutes):
            if m.staffed or (not m.observed and open_s(windows, m.start, m.end) > 0):
                break
            if open_s(windows, m.end, later) > FRESH_WITHIN.total_seconds():
                break  # a stretch of opening time with no record: observation broke off
            run_s += open_s(windows, m.start, m.end)
            later = m.start
        out.append(
            Finding(AlertKind.GERAI_UNSTAFFED, g.gerai, g.name, run_s >= threshold,
                    {"unstaffed_open_s": round(run_s, 1), "threshold_s": threshold})
        )  # fmt: skip
    return out


def entrance_coverage(expected_s: float, observed_s: float, rules: AlertRules) -> list[Finding]:
    """The entrance cameras as one over the rule's window: unknown when less than half the window was
    opening time (just opened, or closed), active below the threshold."""
    threshold = rules.entrance_coverage_below
    if threshold is None:
        return []
    if expected_s <= 0 or expected_s < rules.coverage_window_s / 2:
        return [Finding(AlertKind.ENTRANCE_COVERAGE, ENTRANCE_SUBJECT, ENTRANCE_SUBJECT, None)]
    coverage = min(observed_s / expected_s, 1.0)
    return [
        Finding(AlertKind.ENTRANCE_COVERAGE, ENTRANCE_SUBJECT, ENTRANCE_SUBJECT, coverage < threshold,
                {"coverage": round(coverage, 3), "threshold": threshold, "window_s": rules.coverage_window_s})
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Plan:
    opened: tuple[Finding, ...]
    resolved: tuple[tuple[str, str], ...]  # keys of open episodes to resolve


def plan(open_keys: Iterable[tuple[str, str]], findings: Iterable[Finding]) -> Plan:
    """Episodes to open (active, none open) and to resolve (open, now inactive or no longer evaluated:
    a device removed, a gerai deleted, a rule switched off)."""
    still_open = set(open_keys)
    seen: set[tuple[str, str]] = set()
    opened = []
    resolved = []
    for f in findings:
        seen.add(f.key)
        if f.active and f.key not in still_open:
            opened.append(f)
        elif f.active is False and f.key in still_open:
            resolved.append(f.key)
    resolved += sorted(k for k in still_open if k not in seen)
    return Plan(tuple(opened), tuple(resolved))
