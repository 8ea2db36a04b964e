"""Bookkeeping both stores share, apart from their dialects (pure): which line role
feeds footfall, the UTC quarter-hour slots of the footfall rollup, and the latest
time and timezone at which a batch saw each device."""

from __future__ import annotations

from collections.abc import ItemsView
from typing import Generic, TypeVar

from wire.vocabulary import CountingRole

# Entrance lines count visitors in and out: the only lines footfall (and its rollup) sums.
FOOTFALL_ROLE: str = CountingRole.ENTRANCE.value
# Every real timezone offset is a multiple of 15 minutes, so UTC quarter hours add
# up to any local hour or day.
SLOT_S = 900

# Seconds (SQLite, float) or nanoseconds (InfluxDB, int): each store keeps its own unit.
At = TypeVar("At", int, float)


class DevicesSeen(Generic[At]):
    """Per (site, device), the latest time a batch saw it and the timezone it last
    reported by then. A record without a timezone (status) moves the time but keeps
    the timezone an earlier record of the batch gave."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], tuple[At, str | None]] = {}

    def saw(self, site: str, device: str, at: At, timezone: str | None) -> None:
        previous = self._seen.get((site, device))
        if previous is None or at > previous[0]:
            self._seen[(site, device)] = (at, timezone or (previous[1] if previous else None))

    def items(self) -> ItemsView[tuple[str, str], tuple[At, str | None]]:
        return self._seen.items()
