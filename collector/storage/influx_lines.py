"""InfluxDB line protocol of the store's records (pure: builds text, sends nothing).

Points are built with influxdb-client's ``Point``, which escapes tags, fields and
measurement names; InfluxStore (collector.storage.influx) sends the lines over HTTP.
The measurements and their tags and fields are listed in that module's docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from influxdb_client.client.write.point import Point
from influxdb_client.domain.write_precision import WritePrecision

from collector.storage.base import Batch
from collector.storage.bookkeeping import DevicesSeen
from wire import LineCounts, ZoneOccupancy

NS = 1_000_000_000
ROLLUP = "footfall_15m"


def ns(value: datetime) -> int:
    # Integer arithmetic: float timestamps lose nanoseconds.
    delta = value.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * NS + delta.microseconds * 1000


def _point(measurement: str) -> Any:
    # influxdb_client's Point is untyped; Any keeps the fluent chains readable.
    return Point(measurement)  # type: ignore[no-untyped-call]


def start_ns(record: LineCounts | ZoneOccupancy) -> int:
    # Whole seconds, as SQLite's integer column: one key per record in both stores.
    return ns(record.interval_start) // NS * NS


def batch_points(batch: Batch, repeats: Sequence[LineCounts | ZoneOccupancy] = ()) -> list[Any]:
    """The points of one batch (pure; exposed for the benchmark and tests); ``repeats``
    are stored already and only count as seen."""
    points: list[Any] = []
    seen: DevicesSeen[int] = DevicesSeen()
    saw = seen.saw

    for r in repeats:
        saw(r.site, r.device, start_ns(r) + r.interval_s * NS, r.timezone)
    for c in batch.counts:
        at = start_ns(c)
        saw(c.site, c.device, at + c.interval_s * NS, c.timezone)
        points.append(
            _point("line_counts").tag("site", c.site).tag("device", c.device).tag("line", c.line).tag("role", c.role)
            .field("in_count", int(c.in_count)).field("out_count", int(c.out_count))
            .field("interval_s", int(c.interval_s)).field("observed_s", float(c.observed_s))
            .time(at, WritePrecision.NS)
        )  # fmt: skip
    for z in batch.occupancy:
        at = start_ns(z)
        saw(z.site, z.device, at + z.interval_s * NS, z.timezone)
        point = _point("zone_occupancy").tag("site", z.site).tag("device", z.device).tag("zone", z.zone)
        point.tag("role", z.role)
        if z.gerai:
            point.tag("gerai", z.gerai)
        points.append(
            point.field("mean_count", float(z.mean_count)).field("max_count", int(z.max_count))
            .field("occupied_s", float(z.occupied_s)).field("visits", int(z.visits))
            .field("interval_s", int(z.interval_s)).field("observed_s", float(z.observed_s))
            .time(at, WritePrecision.NS)
        )  # fmt: skip
        for index, dwell_s in enumerate(z.dwells_s):
            dwell = _point("dwell").tag("site", z.site).tag("device", z.device).tag("zone", z.zone)
            dwell.tag("role", z.role)
            if z.gerai:
                dwell.tag("gerai", z.gerai)
            points.append(dwell.field("dwell_s", float(dwell_s)).time(at + index, WritePrecision.NS))
    for h in batch.health:
        at = ns(h.ts)
        point = _point("health").tag("site", h.site).tag("device", h.device)
        for name in ("fps", "effective_fps", "gating_share", "uptime_s"):
            point.field(name, float(getattr(h, name)))
        for name in ("outbox_depth", "dropped_records", "reconnects"):
            point.field(name, int(getattr(h, name)))
        if h.last_frame_age_s is not None:
            point.field("last_frame_age_s", float(h.last_frame_age_s))
        for name in ("cpu_temp_c", "idle_share", "cpu_s"):
            if getattr(h, name) is not None:
                point.field(name, float(getattr(h, name)))
        points.append(
            point.field("camera_state", h.camera_state.value).field("message", h.model_dump_json())
            .time(at, WritePrecision.NS)
        )  # fmt: skip
        saw(h.site, h.device, at, h.timezone)
    for s in batch.status:
        at = ns(s.ts)
        points.append(
            _point("status").tag("site", s.site).tag("device", s.device).field("state", s.state.value)
            .time(at, WritePrecision.NS)
        )  # fmt: skip
        saw(s.site, s.device, at, None)
    for (site, device), (at, timezone) in seen.items():
        point = _point("device_seen").tag("site", site).tag("device", device).field("seen", True)
        if timezone:
            point.field("timezone", timezone)
        points.append(point.time(at, WritePrecision.NS))
    for a in batch.audits:
        point = _point("audit").tag("site", a.site).tag("device", a.device).field("message", a.model_dump_json())
        if a.line_accuracy is not None:
            point.field("line_accuracy", float(a.line_accuracy))
        points.append(point.time(ns(a.audited_at), WritePrecision.NS))
    for index, d in enumerate(batch.dead_letters):
        points.append(
            _point("dead_letters").field("topic", d.topic).field("reason", d.reason)
            .field("payload_excerpt", d.payload_excerpt)
            .time(ns(d.received_at) + index % 1000, WritePrecision.NS)
        )  # fmt: skip
    return points


def rollup_line(site: str, slot_ns: int, in_count: int, out_count: int) -> str:
    """The line of one site's entrance totals in one quarter-hour slot of the rollup."""
    line: str = (
        _point(ROLLUP).tag("site", site).field("in_count", in_count).field("out_count", out_count)
        .time(slot_ns, WritePrecision.NS).to_line_protocol()
    )  # fmt: skip
    return line
