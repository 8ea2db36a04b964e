"""The HTTP server's overload warning: uvicorn logs every refused request; we keep one a minute."""

from __future__ import annotations

import logging

from collector.api.server import MAX_CONNECTIONS, _OverloadLogLimit


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", logging.WARNING, __file__, 1, message, (), None)


def test_concurrency_warnings_are_rate_limited_with_a_count() -> None:
    limit = _OverloadLogLimit()
    first = record("Exceeded concurrency limit.")
    assert limit.filter(first)
    assert str(MAX_CONNECTIONS) in first.getMessage()
    assert [limit.filter(record("Exceeded concurrency limit.")) for _ in range(50)] == [False] * 50
    assert limit.filter(record("Invalid HTTP request received."))  # other messages pass
    limit._last_s -= 61  # a minute later
    later = record("Exceeded concurrency limit.")
    assert limit.filter(later) and "50 more refused" in later.getMessage()
