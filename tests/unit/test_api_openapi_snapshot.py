"""The API's contract does not drift by accident: the OpenAPI document equals the committed snapshot.

A deliberate API change updates the snapshot in the same commit:
``.venv/bin/python -m tests.unit.test_api_openapi_snapshot`` rewrites it.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from pydantic import SecretStr

from collector.api import create_app
from collector.storage import open_store

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "openapi.json"


class _Settings:
    def __init__(self, data_dir: Path) -> None:
        self.api_token = SecretStr("snapshot-token")
        self.data_dir = data_dir
        self.silent_after_s = 180.0
        self.link_secret = None


def openapi_document(work_dir: Path) -> str:
    """The document as JSON with sorted keys, one stable text to compare."""
    store = open_store(f"sqlite:///{work_dir / 'mpp.db'}")
    try:
        app = create_app(_Settings(work_dir), store)
        return json.dumps(app.openapi(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    finally:
        store.close()


def test_openapi_document_equals_the_committed_snapshot(tmp_path: Path) -> None:
    current = openapi_document(tmp_path)
    expected = SNAPSHOT.read_text(encoding="utf-8")
    if current != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True), current.splitlines(keepends=True), "snapshot", "current", n=2
            )
        )
        raise AssertionError(f"the OpenAPI document changed (rewrite the snapshot if on purpose):\n{diff[:6000]}")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        SNAPSHOT.write_text(openapi_document(Path(folder)), encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
