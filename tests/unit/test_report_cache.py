"""ReportCache: an answer is kept until a write lands in its span for one of its sites, or it ages out;
concurrent asks for one key compute once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from collector.report.cache import LIVE_MAX_AGE_S, PAST_MAX_AGE_S, ReportCache
from collector.report.periods import TimeRange
from collector.storage.base import Batch
from wire import LineCounts, Status

NOW = datetime(2025, 6, 15, 8, 0, tzinfo=UTC)
MAY = TimeRange(datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC))
JUNE = TimeRange(datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC))


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def _counts(site: str, at: datetime) -> LineCounts:
    return LineCounts(site=site, device="cam-1", timezone="Asia/Jakarta", interval_start=at, interval_s=60,
                      observed_s=60.0, line="pintu", role="entrance", in_count=1, out_count=0,
                      message_id=f"{site}/cam-1/counts/pintu/{at:%Y-%m-%dT%H:%M:%SZ}")  # fmt: skip


def test_kept_until_a_write_lands_in_its_span_of_its_site() -> None:
    cache, compute = ReportCache(Clock()), Counter()
    assert cache.get("may", ["a"], MAY, NOW, compute) == 1
    assert cache.get("may", ["a"], MAY, NOW, compute) == 1
    cache.written(Batch(counts=[_counts("a", datetime(2025, 6, 10, tzinfo=UTC))]))  # June: May stays
    cache.written(Batch(counts=[_counts("b", datetime(2025, 5, 10, tzinfo=UTC))]))  # another site
    assert cache.get("may", ["a"], MAY, NOW, compute) == 1
    cache.written(Batch(counts=[_counts("a", datetime(2025, 5, 31, 23, 59, tzinfo=UTC))]))  # a late May record
    assert cache.get("may", ["a"], MAY, NOW, compute) == 2
    assert (cache.hits, cache.misses) == (2, 2)


def test_an_answer_of_several_sites_is_dropped_by_a_write_to_any() -> None:
    cache, compute = ReportCache(Clock()), Counter()
    cache.get("both", ["a", "b"], MAY, NOW, compute)
    cache.invalidate("b", datetime(2025, 5, 3, tzinfo=UTC), datetime(2025, 5, 4, tzinfo=UTC))
    assert cache.get("both", ["a", "b"], MAY, NOW, compute) == 2


def test_an_answer_about_every_site_is_dropped_by_a_write_to_any() -> None:
    cache, compute = ReportCache(Clock()), Counter()
    cache.get("devices", [], JUNE, NOW, compute)
    cache.invalidate("a", datetime(2025, 5, 3, tzinfo=UTC), datetime(2025, 5, 4, tzinfo=UTC))  # before June
    assert cache.get("devices", [], JUNE, NOW, compute) == 1
    cache.invalidate("z", datetime(2025, 6, 3, tzinfo=UTC), datetime(2025, 6, 4, tzinfo=UTC))
    assert cache.get("devices", [], JUNE, NOW, compute) == 2


def test_a_device_sighting_touches_the_day_before_it() -> None:
    cache, compute = ReportCache(Clock()), Counter()
    cache.get("may", ["a"], MAY, NOW, compute)
    cache.invalidate("a", datetime(2025, 6, 1, 0, 30, tzinfo=UTC), datetime(2025, 6, 2, tzinfo=UTC))
    assert cache.get("may", ["a"], MAY, NOW, compute) == 1  # after May: kept
    # A status at 1 June 12:00 can change which devices May 31 expects.
    status = Status(site="a", device="cam-1", state="offline", ts=datetime(2025, 6, 1, 12, tzinfo=UTC))
    cache.written(Batch(status=[status]))
    assert cache.get("may", ["a"], MAY, NOW, compute) == 2


@pytest.mark.parametrize(("span", "max_age_s"), [(MAY, PAST_MAX_AGE_S), (JUNE, LIVE_MAX_AGE_S)])
def test_ages_out_sooner_when_it_reaches_up_to_now(span: TimeRange, max_age_s: float) -> None:
    clock, compute = Clock(), Counter()
    cache = ReportCache(clock)
    cache.get("k", ["a"], span, NOW, compute)
    clock.t += max_age_s - 1
    assert cache.get("k", ["a"], span, NOW, compute) == 1
    clock.t += 2
    assert cache.get("k", ["a"], span, NOW, compute) == 2


def test_clear_drops_everything() -> None:
    cache, compute = ReportCache(Clock()), Counter()
    cache.get("k", ["a"], MAY, NOW, compute)
    cache.clear()
    assert cache.get("k", ["a"], MAY, NOW, compute) == 2


def test_concurrent_asks_compute_once_and_a_failure_reaches_every_asker() -> None:
    cache = ReportCache(Clock())
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow() -> str:
        calls.append(1)
        started.set()
        release.wait(5)
        return "answer"

    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(cache.get("k", ["a"], MAY, NOW, slow)))
    first.start()
    started.wait(5)
    others = [threading.Thread(target=lambda: results.append(cache.get("k", ["a"], MAY, NOW, slow))) for _ in range(5)]
    for t in others:
        t.start()
    release.set()
    for t in [first, *others]:
        t.join(5)
    assert results == ["answer"] * 6
    assert len(calls) == 1

    def broken() -> str:
        raise ValueError("store down")

    with pytest.raises(ValueError, match="store down"):
        cache.get("other", ["a"], MAY, NOW, broken)
    assert cache.get("other", ["a"], MAY, NOW, lambda: "later") == "later"  # the failure is not kept


def test_an_answer_computed_across_a_write_to_its_span_is_not_kept() -> None:
    cache = ReportCache(Clock())

    def racing() -> str:
        cache.invalidate("a", datetime(2025, 5, 5, tzinfo=UTC), datetime(2025, 5, 6, tzinfo=UTC))
        return "read before the write"

    assert cache.get("k", ["a"], MAY, NOW, racing) == "read before the write"
    assert cache.get("k", ["a"], MAY, NOW, lambda: "fresh") == "fresh"

    def elsewhere() -> str:
        cache.invalidate("a", datetime(2025, 6, 5, tzinfo=UTC), datetime(2025, 6, 6, tzinfo=UTC))
        return "unaffected"

    assert cache.get("k2", ["a"], MAY, NOW, elsewhere) == "unaffected"
    assert cache.get("k2", ["a"], MAY, NOW, lambda: "recomputed") == "unaffected"


def test_least_recently_used_answers_go_first() -> None:
    cache = ReportCache(Clock(), max_entries=2)
    cache.get("one", ["a"], MAY, NOW, lambda: 1)
    cache.get("two", ["a"], MAY, NOW, lambda: 2)
    cache.get("one", ["a"], MAY, NOW, lambda: -1)  # used: "two" is now the oldest
    cache.get("three", ["a"], MAY, NOW, lambda: 3)
    assert cache.get("one", ["a"], MAY, NOW, lambda: -1) == 1
    assert cache.get("two", ["a"], MAY, NOW, lambda: 22) == 22
