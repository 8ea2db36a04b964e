"""The collector's state files (the SQLite store, the admin database) are private to its account:
they hold every site's counts and the API's token hashes."""

from __future__ import annotations

import os
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
