"""The liveness listener's answer from the last beat (pure)."""

from __future__ import annotations

import json

import pytest

from collector.liveness import Verdict, verdict


@pytest.mark.parametrize(
    ("ingest_alive", "beat_age_s", "expected"),
    [
        (True, 0.0, Verdict(200, "ok")),
        (True, 15.0, Verdict(200, "ok")),  # at the limit: still beating
        (True, 15.01, Verdict(503, "api not answering")),
        (False, 0.0, Verdict(503, "ingest stopped")),
        (False, 60.0, Verdict(503, "ingest stopped")),  # the cause the collector named wins
    ],
)
def test_verdict(ingest_alive: bool, beat_age_s: float, expected: Verdict) -> None:
    assert verdict(ingest_alive, 100.0, 100.0 + beat_age_s, 15.0) == expected


def test_the_response_is_what_the_api_port_answers() -> None:
    head, _, body = Verdict(503, "ingest stopped").response().partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    assert json.loads(body) == {"status": "ingest stopped"} and body == b'{"status":"ingest stopped"}'
    assert f"Content-Length: {len(body)}".encode() in head
    assert Verdict(200, "ok").response(head_only=True).endswith(b"\r\n\r\n")
