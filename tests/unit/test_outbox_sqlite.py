"""SqliteOutbox against a real SQLite file (no fakes)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.config import ConfigError, OutboxConfig
from edge.outbox.sqlite_outbox import SqliteOutbox
from wire import LineCounts, decode

START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def record(i: int, line: str = "pintu", device: str = "dev-1") -> LineCounts:
    return LineCounts(
        site="site-a",
        device=device,
        timezone="Asia/Jakarta",
        interval_start=START + timedelta(seconds=60 * i),
        interval_s=60,
        observed_s=60.0,
        line=line,
        role="entrance",
        in_count=i,
        out_count=0,
    )


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1_000_000.0

    def __call__(self) -> float:
        return self.now_s


def test_put_pending_ack_round_trip_and_idempotent(tmp_path: Path) -> None:
    outbox = SqliteOutbox(OutboxConfig(path=tmp_path / "o.db"))
    outbox.put([record(0), record(1)])
    outbox.put([record(1), record(2)])  # record 1 again: stored once
    assert outbox.depth() == 3
    rows = outbox.pending(10)
    assert [r.message_id for r in rows] == [record(i).message_id for i in range(3)]
    first = rows[0]
    assert first.topic == "mpp/v1/site-a/dev-1/counts"
    assert decode(first.topic, first.payload) == record(0)
    assert [r.id for r in outbox.pending(10, after_id=rows[0].id)] == [rows[1].id, rows[2].id]
    outbox.ack([rows[0].id, rows[2].id, 999_999])  # an unknown id is ignored
    assert [r.message_id for r in outbox.pending(10)] == [record(1).message_id]
    outbox.close()


def test_rows_and_dropped_counter_survive_reopen(tmp_path: Path) -> None:
    clock = FakeClock()
    config = OutboxConfig(path=tmp_path / "sub" / "o.db", max_age_s=60)
    outbox = SqliteOutbox(config, clock=clock)
    outbox.put([record(0)])
    clock.now_s += 61  # record 0 is now older than max_age_s
    outbox.put([record(1)])
    assert outbox.dropped() == 1
    outbox.close()

    reopened = SqliteOutbox(config, clock=clock)
    assert reopened.dropped() == 1
    assert [r.message_id for r in reopened.pending(10)] == [record(1).message_id]
    # WAL mode is what lets the forwarder read while the pipeline writes.
    with sqlite3.connect(config.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened.close()


def test_size_bound_drops_oldest_first(tmp_path: Path) -> None:
    outbox = SqliteOutbox(OutboxConfig(path=tmp_path / "o.db", max_bytes=64 * 1024))
    for i in range(0, 300, 10):
        outbox.put([record(j) for j in range(i, i + 10)])
    kept = [r.message_id for r in outbox.pending(1000)]
    assert outbox.dropped() == 300 - len(kept) > 0
    assert kept == [record(i).message_id for i in range(300 - len(kept), 300)]
    outbox.close()


def test_disk_full_keeps_records_in_memory_and_retries(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    outbox = SqliteOutbox(OutboxConfig(path=tmp_path / "o.db"))
    outbox.put([record(0)])
    # Simulate a full disk with SQLite's own limit: the database may not grow any more.
    (pages,) = outbox._db.execute("PRAGMA page_count").fetchone()
    outbox._db.execute(f"PRAGMA max_page_count={pages}")
    big = [record(i, line=f"line-{j}") for i in range(1, 40) for j in range(10)]
    outbox.put(big)  # must not raise into the frame loop
    assert outbox.unsaved() == len(big)
    assert outbox.depth() == 1 + len(big)
    assert any("cannot write" in r.message and r.levelname == "ERROR" for r in caplog.records)
    assert [r.message_id for r in outbox.pending(1000)] == [record(0).message_id]  # not published before stored

    outbox._db.execute("PRAGMA max_page_count=1073741823")  # space again
    outbox.flush_unsaved()
    assert outbox.unsaved() == 0
    assert len(outbox.pending(1000)) == 1 + len(big)
    assert outbox.dropped() == 0
    outbox.close()


def test_unopenable_path_names_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match=r"^outbox\.path: "):
        SqliteOutbox(OutboxConfig(path=blocker / "o.db"))
