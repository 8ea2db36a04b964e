"""August 2026 at one MPP with planted faults, shared by the coverage unit and store tests.

Opening hours Monday-Friday 08:00-16:00, Saturday 08:00-12:00 (Asia/Jakarta); Sunday
closed; 17 August (Independence Day, a Monday) a public holiday; Saturday 22 August
closed for the day (entered as a holiday). Every camera runs 07:00-17:00 local every
day, closed days included, in 5-minute records.

Faults:
- ``cam-pintu`` (entrance line ``pintu``) silent on the opening days 3, 4 and 5 August
  (its Last Will said offline the evening before), silent 10:00-10:35 on 6 August, and
  observed for only 225 s of each 300 s from 09:00 to 10:00 on 7 August.
- ``cam-g2`` (gerai g2's staff zone) silent from 10 to 19 August, ten calendar days,
  reporting "reconnecting" health meanwhile.
- ``cam-g1`` (gerai g1: a staff and a queue zone) never silent.

The expected figures are counted here by hand from the calendar, independently of the
code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from collector.report.gerai import Gerai, GeraiZone
from collector.report.periods import TimeRange
from collector.report.schedule import DayHours
from wire import CameraState, DeviceState, Health, LineCounts, Status, ZoneOccupancy

TZ = ZoneInfo("Asia/Jakarta")
SITE = "mpp-cov"
INTERVAL_S = 300
HOURS = (*(DayHours(d, time(8), time(16)) for d in range(5)), DayHours(5, time(8), time(12)))
HOLIDAY = date(2026, 8, 17)
CLOSED_DAY = date(2026, 8, 22)
HOLIDAYS = frozenset({HOLIDAY, CLOSED_DAY})
AUGUST = TimeRange(datetime(2026, 8, 1, tzinfo=TZ), datetime(2026, 9, 1, tzinfo=TZ))
GERAI = (
    Gerai("g1", "Dukcapil", (GeraiZone("cam-g1", "meja-1", "staff"), GeraiZone("cam-g1", "antrian-1", "queue")), True),
    Gerai("g2", "BPJS", (GeraiZone("cam-g2", "meja-2", "staff"),), True),
)

# August 2026: 1 August is a Saturday. Weekdays 3-7, 10-14, 17-21, 24-28, 31 = 21, less the
# holiday = 20 of 480 min; Saturdays 1, 8, 15, 22, 29 = 5, less the closed day = 4 of 240 min.
OPEN_MIN = 20 * 480 + 4 * 240  # 10,560
ENTRANCE_SILENT_DAYS = (date(2026, 8, 3), date(2026, 8, 4), date(2026, 8, 5))
ENTRANCE_MISSING_MIN = 3 * 480 + 35 + 12 * 75 / 60  # three days, 10:00-10:35, 12 x 75 s
# cam-g2 silent 10-19 August: weekdays 10-14 (5 x 480), Saturday 15 (240), the 17th is a holiday,
# 16th a Sunday, 18-19 (2 x 480).
G2_SILENT = TimeRange(datetime(2026, 8, 10, tzinfo=TZ), datetime(2026, 8, 20, tzinfo=TZ))
G2_MISSING_MIN = 5 * 480 + 240 + 2 * 480  # 3,600
G2_GAP_DAYS = (10, 11, 12, 13, 14, 15, 18, 19)


def _local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=TZ)


def _observed_s(device: str, at_local: datetime) -> float | None:
    """Seconds observed in the record starting at ``at_local``; None: no record at all."""
    day = at_local.date()
    if device == "cam-pintu":
        if day in ENTRANCE_SILENT_DAYS:
            return None
        if day == date(2026, 8, 6) and _local(day, 10) <= at_local < _local(day, 10, 35):
            return None
        if day == date(2026, 8, 7) and _local(day, 9) <= at_local < _local(day, 10):
            return 225.0
    if device == "cam-g2" and G2_SILENT.start <= at_local < G2_SILENT.end:
        return None
    return float(INTERVAL_S)


@cache
def records() -> tuple[tuple[LineCounts, ...], tuple[ZoneOccupancy, ...]]:
    counts: list[LineCounts] = []
    zones: list[ZoneOccupancy] = []
    day = AUGUST.start.date()
    while day < AUGUST.end.date():
        at = _local(day, 7)
        while at < _local(day, 17):
            utc = at.astimezone(UTC)
            observed = _observed_s("cam-pintu", at)
            if observed is not None:
                counts.append(LineCounts(site=SITE, device="cam-pintu", timezone="Asia/Jakarta", interval_start=utc,
                                         interval_s=INTERVAL_S, observed_s=observed, line="pintu", role="entrance",
                                         in_count=3, out_count=2))  # fmt: skip
                counts.append(LineCounts(site=SITE, device="cam-pintu", timezone="Asia/Jakarta", interval_start=utc,
                                         interval_s=INTERVAL_S, observed_s=observed, line="lorong", role="internal",
                                         in_count=1, out_count=1))  # fmt: skip
            for device, zone, role, gerai in (
                ("cam-g1", "meja-1", "staff", "g1"), ("cam-g1", "antrian-1", "queue", "g1"),
                ("cam-g2", "meja-2", "staff", "g2"),
            ):  # fmt: skip
                observed = _observed_s(device, at)
                if observed is not None:
                    zones.append(ZoneOccupancy(site=SITE, device=device, timezone="Asia/Jakarta", interval_start=utc,
                                               interval_s=INTERVAL_S, observed_s=observed, zone=zone, role=role,
                                               gerai=gerai, mean_count=1.0, max_count=1, occupied_s=observed,
                                               visits=0))  # fmt: skip
            at += timedelta(seconds=INTERVAL_S)
        day += timedelta(days=1)
    return tuple(counts), tuple(zones)


def health() -> list[Health]:
    """cam-g2 reports a reconnecting camera every 10 minutes while it is silent; the others report fine hourly."""
    out = []
    at = G2_SILENT.start
    while at < G2_SILENT.end:
        out.append(_health("cam-g2", at, CameraState.RECONNECTING, fps=0.0, age=None))
        at += timedelta(minutes=10)
    at = AUGUST.start
    while at < AUGUST.end:
        out.append(_health("cam-g1", at, CameraState.OK, fps=15.0, age=0.1))
        at += timedelta(hours=1)
    return out


def _health(device: str, at: datetime, state: CameraState, *, fps: float, age: float | None) -> Health:
    return Health(site=SITE, device=device, timezone="Asia/Jakarta", ts=at.astimezone(UTC), fps=fps,
                  effective_fps=fps / 2, gating_share=0.5, last_frame_age_s=age, camera_state=state, outbox_depth=0,
                  dropped_records=0, reconnects=0, model="yolov8n", software_version="0.1.0", uptime_s=10)  # fmt: skip


def statuses() -> list[Status]:
    """The entrance camera's Last Will the evening before its silence, and its return."""
    offline, online = _local(date(2026, 8, 2), 21), _local(date(2026, 8, 6), 6, 55)
    return [
        Status(site=SITE, device="cam-pintu", state=DeviceState.OFFLINE, ts=offline.astimezone(UTC)),
        Status(site=SITE, device="cam-pintu", state=DeviceState.ONLINE, ts=online.astimezone(UTC)),
    ]
