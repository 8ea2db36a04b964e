"""State files are private: the collector's store and admin database, the edge outbox, each with
SQLite's -wal and -shm files, 0600 in 0700 folders even under the usual umask of 022."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.admin import AdminDb, Role
from collector.storage import open_store
from collector.storage.base import Batch
from edge.config import OutboxConfig
from edge.outbox.sqlite_outbox import SqliteOutbox
from wire import LineCounts

RECORD = LineCounts(site="kobar", device="pintu-1", timezone="Asia/Pontianak",
                    interval_start=datetime(2026, 3, 2, 1, tzinfo=UTC), interval_s=60, observed_s=60.0,
                    line="pintu", role="entrance", in_count=3, out_count=1)  # fmt: skip


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def assert_private(db: Path, created_from: Path) -> None:
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    for path in files:
        assert path.exists(), path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path} is {oct(path.stat().st_mode)}"
    folder = db.parent
    while folder != created_from:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, f"{folder} is {oct(folder.stat().st_mode)}"
        folder = folder.parent


def test_collector_store_is_private(tmp_path: Path) -> None:
    path = tmp_path / "var" / "data" / "mpp.db"
    store = open_store(f"sqlite:///{path}")
    try:
        store.write(Batch(counts=[RECORD]))
        assert_private(path, tmp_path)
    finally:
        store.close()


def test_admin_database_is_private(tmp_path: Path) -> None:
    path = tmp_path / "state" / "admin.db"
    admin = AdminDb(path)
    try:
        admin.create_token(Role.VIEWER, "x")
        assert_private(path, tmp_path)
    finally:
        admin.close()


def test_edge_outbox_is_private(tmp_path: Path) -> None:
    path = tmp_path / "lib" / "mpp" / "outbox.db"
    outbox = SqliteOutbox(OutboxConfig(path=path))
    try:
        outbox.put([RECORD])
        assert_private(path, tmp_path)
    finally:
        outbox.close()
