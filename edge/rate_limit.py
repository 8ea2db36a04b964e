"""RateLimitedWarning: an expected outage (a broker down, a camera unplugged or flapping) said at
WARNING when it starts, then at most once per interval with how many lines were left out, so that
a long or flapping outage never floods a Pi's journal."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

OUTAGE_LOG_INTERVAL_S = 300.0


class RateLimitedWarning:
    def __init__(
        self, logger: logging.Logger, interval_s: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._log = logger
        self._interval_s = interval_s
        self._monotonic = monotonic
        self._last_s = float("-inf")
        self._suppressed = 0

    def warn(self, message: str, *args: object) -> bool:
        """Log ``message`` at WARNING unless one was logged within the interval; True if logged."""
        now = self._monotonic()
        if now - self._last_s < self._interval_s:
            self._suppressed += 1
            return False
        suffix = f" ({self._suppressed} similar message(s) suppressed)" if self._suppressed else ""
        self._log.warning(message + suffix, *args)
        self._last_s = now
        self._suppressed = 0
        return True

    def reset(self) -> None:
        """The outage is over: the next one is said at once."""
        self._last_s = float("-inf")
        self._suppressed = 0
