"""/healthz answers while every worker thread of the API is busy: the liveness probe must not queue
behind report queries (FastAPI runs `def` routes in a bounded threadpool)."""

from __future__ import annotations

import threading
from pathlib import Path

import anyio
import anyio.to_thread
from fastapi.testclient import TestClient

from collector.api import create_app
from collector.storage import open_store
from tests.integration.test_api_stores import HEADERS, ApiSettings


def test_healthz_answers_while_the_threadpool_is_full(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/mpp.db")
    app = create_app(ApiSettings(tmp_path / "var"), store)
    holders = [object() for _ in range(1000)]
    try:
        with TestClient(app, headers=HEADERS) as client:
            assert client.portal is not None

            async def take_every_thread() -> int:
                limiter = anyio.to_thread.current_default_thread_limiter()
                taken = 0
                for holder in holders[: int(limiter.total_tokens)]:
                    limiter.acquire_on_behalf_of_nowait(holder)
                    taken += 1
                return taken

            async def give_back(taken: int) -> None:
                limiter = anyio.to_thread.current_default_thread_limiter()
                for holder in holders[:taken]:
                    limiter.release_on_behalf_of(holder)

            taken = client.portal.call(take_every_thread)
            assert taken > 0
            # A `def` route now waits for a thread; /healthz must not.
            waiting: list[int] = []
            blocked = threading.Thread(target=lambda: waiting.append(client.get("/api/v1/sites").status_code))
            blocked.start()
            blocked.join(timeout=1.0)
            assert blocked.is_alive(), "a def route ran although every worker thread was taken"
            health: list[dict[str, object]] = []
            probe = threading.Thread(target=lambda: health.append(client.get("/healthz").json()))
            probe.start()
            probe.join(timeout=10)
            answered = not probe.is_alive()
            client.portal.call(give_back, taken)  # frees a probe stuck in the queue too
            probe.join(timeout=30)
            assert answered, "/healthz waited for a worker thread"
            assert health == [{"status": "ok"}]
            blocked.join(timeout=30)
            assert waiting == [200]
    finally:
        store.close()
