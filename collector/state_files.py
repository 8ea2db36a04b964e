"""The collector's state files (the SQLite store, the admin database) are private to its account:
they hold every site's counts and the API's token hashes."""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from pathlib import Path


def create_private(path: Path) -> None:
    """Create the missing folders above ``path`` (0700) and ``path`` itself (0600) if it is missing.

    SQLite gives the -wal and -shm files the mode of their database file, so they are 0600 too.
    Existing folders and files keep their mode (an operator may have chosen it).
    """
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def private_secret(path: Path, nbytes: int = 32) -> bytes:
    """The secret kept in ``path`` (0600), made from ``nbytes`` random bytes the first time. A secret
    kept this way survives restarts, so what was signed with it stays valid."""
    create_private(path)
    with path.open("r+b") as file:
        secret = file.read().strip()
        if not secret:
            secret = secrets.token_hex(nbytes).encode()
            file.write(secret)
    return secret


class SharedSqlite:
    """One SQLite connection in a private file (WAL, autocommit), shared by threads behind a lock:
    the admin database's tables and the alert tables beside them. Raises OSError or sqlite3.Error."""

    def __init__(self, path: Path, schema: str, timeout_s: float = 5.0) -> None:
        self.path = path
        self._lock = threading.Lock()
        create_private(path)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=timeout_s)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(schema)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def version(self) -> tuple[int, int]:
        """Changes to the file: commits of other connections, then this connection's own."""
        with self._lock:
            (others,) = self._db.execute("PRAGMA data_version").fetchone()
            return int(others), self._db.total_changes

    def _rows(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())
