"""Which device zones make up each gerai (service booth)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from collector.storage.base import ZoneInterval
from wire.vocabulary import CountingRole

STAFF_ROLES = frozenset({CountingRole.STAFF.value})
# Zones where visitors wait in front of a gerai; "visitor" is the edge's default zone role.
WAITING_ROLES = frozenset({CountingRole.QUEUE.value, CountingRole.VISITOR.value})


@dataclass(frozen=True, slots=True)
class GeraiZone:
    device: str
    zone: str
    role: str


@dataclass(frozen=True, slots=True)
class Gerai:
    gerai: str
    name: str
    zones: tuple[GeraiZone, ...]
    configured: bool  # True: set by an admin; False: derived from telemetry

    @property
    def source(self) -> Literal["config", "telemetry"]:
        return "config" if self.configured else "telemetry"

    def zone_names(self, roles: frozenset[str]) -> set[tuple[str, str]]:
        return {(z.device, z.zone) for z in self.zones if z.role in roles}


def gerai_from_telemetry(intervals: Iterable[ZoneInterval]) -> dict[str, Gerai]:
    zones: dict[str, set[GeraiZone]] = {}
    for rec in intervals:
        if rec.gerai:
            zones.setdefault(rec.gerai, set()).add(GeraiZone(rec.device, rec.zone, rec.role))
    return {
        g: Gerai(g, g, tuple(sorted(z, key=lambda x: (x.device, x.zone))), configured=False)
        for g, z in sorted(zones.items())
    }
