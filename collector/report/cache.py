"""ReportCache: answers of report queries, kept until the data under them changes.

Twenty people opening the dashboard ask the same few questions twenty times, and most of what they
ask about (last month, the twelve months before) no longer changes. An answer is kept with the
sites and the time span it was computed from, and dropped
- at once when a write of this process lands in that span for one of those sites (the stores call
  ``written`` after every batch: a late record from an edge outbox drops the months it belongs to,
  live records drop only the answers reaching up to now);
- after ``LIVE_MAX_AGE_S`` when the span reaches the last ``SETTLED_AFTER`` (writes of other
  collector processes, or a second store handle on the same database, show within a minute), and
  after ``PAST_MAX_AGE_S`` otherwise.
Callers put everything else an answer depends on into its key (the site's settings, the minute of
"now" for a span that reaches it). An answer about every site (no sites given) is dropped by a
write to any. Concurrent asks for the same key wait for one computation.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar, cast

from collector.report.periods import TimeRange
from collector.storage.base import Batch

T = TypeVar("T")

LIVE_MAX_AGE_S = 60.0  # the edge's default interval: a dashboard is never more than one record behind
PAST_MAX_AGE_S = 600.0
SETTLED_AFTER = timedelta(hours=2)  # older time rarely gets records (an edge outbox catching up)
MAX_ENTRIES = 2048
_INVALIDATIONS_KEPT = 4096  # a computation older than the oldest kept is not stored


class Memo(Protocol):
    """How a report service keeps a part of its answer that rarely changes (the months before this one):
    ``compute()``'s answer for ``what`` over ``span`` of the service's site, kept or computed."""

    def __call__(self, what: Hashable, span: TimeRange, compute: Callable[[], T]) -> T: ...


def no_memo(what: Hashable, span: TimeRange, compute: Callable[[], T]) -> T:
    """Keeps nothing (the monthly report, the alert loop)."""
    return compute()


@dataclass(frozen=True, slots=True)
class _Entry:
    sites: frozenset[str]  # empty: every site
    start: datetime
    end: datetime
    expires_at: float  # monotonic seconds
    value: object


@dataclass(frozen=True, slots=True)
class _Invalidation:
    seq: int
    site: str | None  # None: every site
    start: datetime | None  # None: all time
    end: datetime | None


class ReportCache:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic, max_entries: int = MAX_ENTRIES) -> None:
        self._monotonic = monotonic
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()  # least recently used first
        self._pending: dict[Hashable, Future[object]] = {}
        self._seq = 0
        self._invalidations: list[_Invalidation] = []
        self.hits = self.misses = 0

    def peek(self, key: Hashable) -> tuple[bool, object]:
        """(True, the kept answer) or (False, None), without computing: an event loop may ask."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.expires_at <= self._monotonic():
                return False, None
            self._entries.move_to_end(key)
            self.hits += 1
            return True, entry.value

    def get(self, key: Hashable, sites: Iterable[str], span: TimeRange, now: datetime, compute: Callable[[], T]) -> T:
        """The kept answer for ``key``, or ``compute()`` (once for every concurrent ask) kept for next time."""
        mine = frozenset(sites)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires_at > self._monotonic():
                self._entries.move_to_end(key)
                self.hits += 1
                return cast(T, entry.value)
            pending = self._pending.get(key)
            if pending is None:
                self.misses += 1
                future: Future[object] = Future()
                self._pending[key] = future
                started = self._seq
        if pending is not None:
            return cast(T, pending.result())
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                del self._pending[key]
            future.set_exception(exc)
            raise
        max_age_s = LIVE_MAX_AGE_S if span.end > now - SETTLED_AFTER else PAST_MAX_AGE_S
        with self._lock:
            del self._pending[key]
            if not self._changed_since(started, mine, span):
                self._entries[key] = _Entry(mine, span.start, span.end, self._monotonic() + max_age_s, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self._max_entries:
                    self._entries.popitem(last=False)
        future.set_result(value)
        return value

    def invalidate(self, site: str | None, start: datetime, end: datetime) -> None:
        """Data of ``site`` (None: any site) in [start, end) changed: drop every answer that read it."""
        with self._lock:
            self._seq += 1
            self._invalidations.append(_Invalidation(self._seq, site, start, end))
            del self._invalidations[:-_INVALIDATIONS_KEPT]
            stale = [k for k, e in self._entries.items() if _overlaps(e.sites, e.start, e.end, site, start, end)]
            for key in stale:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._seq += 1
            self._invalidations.append(_Invalidation(self._seq, None, None, None))
            self._entries.clear()

    def written(self, batch: Batch) -> None:
        """A store wrote ``batch``: what each record covers, per site."""
        spans: dict[str, tuple[datetime, datetime]] = {}

        def touch(site: str, start: datetime, end: datetime) -> None:
            lo, hi = spans.get(site, (start, end))
            spans[site] = (min(lo, start), max(hi, end))

        for record in (*batch.counts, *batch.occupancy):
            touch(record.site, record.interval_start, record.interval_start + timedelta(seconds=record.interval_s))
        # Health and status move a device's last sighting, which decides whether a silent device is
        # still expected (a day back): they touch the day before them.
        sightings = [(h.site, h.ts) for h in batch.health] + [(s.site, s.ts) for s in batch.status]
        for site, at in sightings + [(a.site, a.audited_at) for a in batch.audits]:
            touch(site, at - timedelta(days=1), at + timedelta(seconds=1))
        for site, (start, end) in spans.items():
            self.invalidate(site, start, end)

    def _changed_since(self, started: int, sites: frozenset[str], span: TimeRange) -> bool:
        if started == self._seq:
            return False
        if not self._invalidations or self._invalidations[0].seq > started + 1:
            return True  # the log no longer reaches back to the computation's start
        return any(
            _overlaps(sites, span.start, span.end, i.site, i.start, i.end)
            for i in self._invalidations
            if i.seq > started
        )


def _overlaps(
    sites: frozenset[str], start: datetime, end: datetime, site: str | None, lo: datetime | None, hi: datetime | None
) -> bool:
    if site is not None and sites and site not in sites:
        return False
    return lo is None or hi is None or (lo < end and start < hi)
