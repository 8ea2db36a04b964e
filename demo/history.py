"""Simulated history for the demo: four MPPs over the last 15 months, as wire records.

Everything here is invented and labelled so: site names end in "(simulasi)" and device ids
start with ``sim-``. The numbers are plausible, not measured: daily footfall with a weekday
pattern, closed weekends and national holidays, a lunch dip, four gerai per MPP with staff and
queue zones. Two things go wrong on purpose, so that coverage, staffing and the monthly report
have something true to show (and the live alerts, while the site is open), both at the first site
(the one the dashboard opens):

- a camera gap: the entrance camera of ``kobar`` delivers no frames on five opening days in
  the second week of the last complete month (records with ``observed_s`` 0 and health
  reports saying the camera is reconnecting);
- an unstaffed gerai: nobody stands in the staff zone of ``kobar``'s BPJS Kesehatan gerai
  from the 15th of the last complete month until now.

Every value of a day comes from a generator seeded with (site, date) only, so a day's records
are the same whichever run writes them: writing them again changes nothing (the stores are
idempotent on each record's natural key). The records are built as wire messages (validated
by ``wire``'s models) and written through ``Store.write``, as the collector's ingest writer
writes what it decodes; the reception window of ``wire.decode`` (no interval record older than
366 days) is the collector's rule for what arrives over MQTT and does not apply here.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from collector.storage.base import Batch, Store
from wire import CameraState, DeviceState, Health, LineCounts, Status, ZoneOccupancy
from wire.vocabulary import CountingRole

TIMEZONE = "Asia/Jakarta"
MONTHS = 15  # this month and the 14 before it
ENTRANCE_DEVICE = "sim-pintu"
LINE = "pintu-utama"
# Half-hour records from 07:00 to 17:00 local, one record for each half of the night (the cameras
# run around the clock): 22 records per line or zone and day, ~360,000 for 15 months.
DAY_STEP_S = 1800
DAY_FROM, DAY_UNTIL = 7, 17
OPENS, CLOSES = time(8), time(16)  # Monday to Friday
GAP_DAYS = 5  # opening days the entrance camera is off ...
GAP_HOURS = (6, 18)  # ... from 06:00 to 18:00 local
SOFTWARE = "simulasi-1"


@dataclass(frozen=True, slots=True)
class SimGerai:
    gerai: str
    name: str
    device: str  # the camera watching its staff and queue zones
    share: float  # of the site's visitors
    staff: int  # officers usually at the counter
    wait_median_s: float

    @property
    def staff_zone(self) -> str:
        return f"{self.gerai}-petugas"

    @property
    def queue_zone(self) -> str:
        return f"{self.gerai}-antrean"


@dataclass(frozen=True, slots=True)
class SimSite:
    site: str
    name: str
    daily_visitors: float  # an ordinary Wednesday


GERAI: tuple[SimGerai, ...] = (
    SimGerai("dukcapil", "Disdukcapil – KTP & KK", "sim-gerai-1", 0.40, 2, 540.0),
    SimGerai("samsat", "Samsat – Pajak Kendaraan", "sim-gerai-1", 0.25, 1, 420.0),
    SimGerai("bpjs-kes", "BPJS Kesehatan", "sim-gerai-2", 0.20, 1, 360.0),
    SimGerai("dpmptsp", "DPMPTSP – Perizinan", "sim-gerai-2", 0.15, 1, 300.0),
)
SITES: tuple[SimSite, ...] = (
    SimSite("kobar", "MPP Kotawaringin Barat (simulasi)", 420.0),
    SimSite("kotim", "MPP Kotawaringin Timur (simulasi)", 640.0),
    SimSite("lamandau", "MPP Lamandau (simulasi)", 190.0),
    SimSite("sukamara", "MPP Sukamara (simulasi)", 150.0),
)
ANOMALY_SITE = "kobar"
UNSTAFFED_GERAI = "bpjs-kes"
DEVICES = (ENTRANCE_DEVICE, *sorted({g.device for g in GERAI}))

# National holidays and cuti bersama of 2025-2026 (SKB 3 Menteri), closed days at every site.
HOLIDAYS: dict[date, str] = {
    date(2025, 1, 1): "Tahun Baru Masehi",
    date(2025, 1, 27): "Isra Mikraj",
    date(2025, 1, 28): "Cuti bersama Tahun Baru Imlek",
    date(2025, 1, 29): "Tahun Baru Imlek",
    date(2025, 3, 28): "Cuti bersama Nyepi",
    date(2025, 3, 31): "Idulfitri",
    date(2025, 4, 1): "Idulfitri",
    date(2025, 4, 2): "Cuti bersama Idulfitri",
    date(2025, 4, 3): "Cuti bersama Idulfitri",
    date(2025, 4, 4): "Cuti bersama Idulfitri",
    date(2025, 4, 7): "Cuti bersama Idulfitri",
    date(2025, 4, 18): "Wafat Yesus Kristus",
    date(2025, 5, 1): "Hari Buruh",
    date(2025, 5, 12): "Waisak",
    date(2025, 5, 13): "Cuti bersama Waisak",
    date(2025, 5, 29): "Kenaikan Yesus Kristus",
    date(2025, 5, 30): "Cuti bersama Kenaikan",
    date(2025, 6, 6): "Iduladha",
    date(2025, 6, 9): "Cuti bersama Iduladha",
    date(2025, 6, 27): "Tahun Baru Islam",
    date(2025, 8, 18): "Cuti bersama HUT RI",
    date(2025, 9, 5): "Maulid Nabi",
    date(2025, 12, 25): "Natal",
    date(2025, 12, 26): "Cuti bersama Natal",
    date(2026, 1, 1): "Tahun Baru Masehi",
    date(2026, 1, 16): "Isra Mikraj",
    date(2026, 2, 16): "Cuti bersama Tahun Baru Imlek",
    date(2026, 2, 17): "Tahun Baru Imlek",
    date(2026, 3, 18): "Cuti bersama Nyepi",
    date(2026, 3, 19): "Nyepi",
    date(2026, 3, 20): "Idulfitri",
    date(2026, 3, 23): "Cuti bersama Idulfitri",
    date(2026, 3, 24): "Cuti bersama Idulfitri",
    date(2026, 4, 3): "Wafat Yesus Kristus",
    date(2026, 5, 1): "Hari Buruh",
    date(2026, 5, 14): "Kenaikan Yesus Kristus",
    date(2026, 5, 15): "Cuti bersama Kenaikan",
    date(2026, 5, 27): "Iduladha",
    date(2026, 5, 28): "Cuti bersama Iduladha",
    date(2026, 6, 1): "Hari Lahir Pancasila",
    date(2026, 6, 16): "Tahun Baru Islam",
    date(2026, 8, 17): "HUT Kemerdekaan RI",
    date(2026, 8, 25): "Maulid Nabi",
    date(2026, 12, 24): "Cuti bersama Natal",
    date(2026, 12, 25): "Natal",
}
WEEKDAY_FACTOR = (1.25, 1.1, 1.0, 0.95, 0.75, 0.0, 0.0)  # Monday busiest, weekends closed
# Share of a day's arrivals per local hour of opening (08-15): a morning peak, a lunch dip.
HOUR_PROFILE = {8: 0.13, 9: 0.19, 10: 0.18, 11: 0.14, 12: 0.07, 13: 0.11, 14: 0.11, 15: 0.07}


@dataclass(frozen=True, slots=True)
class Plan:
    """What a load writes: the local days [first, last] and the moments that shape the story."""

    first: date
    last: date
    now: datetime
    gap: frozenset[date]  # opening days the anomaly site's entrance camera is off
    unstaffed_from: date  # the anomaly gerai has no staff from this day on

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def month_start(day: date, back: int = 0) -> date:
    first = day.replace(day=1)
    for _ in range(back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def is_open(day: date) -> bool:
    return WEEKDAY_FACTOR[day.weekday()] > 0 and day not in HOLIDAYS


def plan(now: datetime) -> Plan:
    """The last MONTHS months up to ``now``; the anomalies in the last complete month."""
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    last_month = month_start(today, 1)
    second_week = last_month + timedelta(days=7)
    gap: list[date] = []
    day = second_week
    while len(gap) < GAP_DAYS:
        if is_open(day):
            gap.append(day)
        day += timedelta(days=1)
    return Plan(month_start(today, MONTHS - 1), today, now.astimezone(UTC), frozenset(gap),
                last_month + timedelta(days=14))  # fmt: skip


def slots(day: date, tz: ZoneInfo) -> list[tuple[datetime, int]]:
    """(UTC start, length) of a local day's records: half-hourly while the building is in use,
    one record for each half of the night."""
    night_s = DAY_FROM * 3600
    out = [(datetime.combine(day, time(0), tz), night_s)]
    start = datetime.combine(day, time(DAY_FROM), tz)
    out += [(start + timedelta(seconds=s), DAY_STEP_S) for s in range(0, (DAY_UNTIL - DAY_FROM) * 3600, DAY_STEP_S)]
    out.append((datetime.combine(day, time(DAY_UNTIL), tz), (24 - DAY_UNTIL) * 3600))
    return [(s.astimezone(UTC), n) for s, n in out]


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:  # normal approximation; Knuth's loop is slow for large means
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _season(day: date) -> float:
    """A slow rise over the years (more services move into the MPP) and busier month ends."""
    months = (day.year - 2025) * 12 + day.month
    return (1 + 0.012 * months) * (1.12 if day.day >= 25 else 1.0)


@dataclass(frozen=True, slots=True)
class DayRecords:
    counts: list[LineCounts]
    occupancy: list[ZoneOccupancy]
    health: list[Health]


def day_records(site: SimSite, day: date, story: Plan) -> DayRecords:
    """All records of one site and one local day, up to ``story.now``."""
    tz = ZoneInfo(TIMEZONE)
    rng = random.Random(f"{site.site}/{day.isoformat()}")  # noqa: S311 - simulation, not security
    open_day = is_open(day)
    expected = site.daily_visitors * WEEKDAY_FACTOR[day.weekday()] * _season(day) * rng.uniform(0.85, 1.15)
    gap_day = site.site == ANOMALY_SITE and day in story.gap
    counts: list[LineCounts] = []
    zones: list[ZoneOccupancy] = []
    health: list[Health] = []
    leaving: dict[int, int] = {}  # slot index -> visitors leaving then
    day_slots = slots(day, tz)
    for index, (start, length) in enumerate(day_slots):
        local = start.astimezone(tz)
        hour_share = HOUR_PROFILE.get(local.hour, 0.0) if open_day else 0.0
        arrivals = _poisson(rng, expected * hour_share * length / 3600)
        # Visitors stay 30-90 minutes; on open days a few pass before and after the opening hours (staff).
        for _ in range(arrivals):
            leaves = index + rng.randint(1, 3)
            leaving[leaves] = leaving.get(leaves, 0) + 1
        out_count = leaving.pop(index, 0) + (_poisson(rng, 0.3) if open_day and local.hour in (7, 16) else 0)
        in_count = arrivals + (_poisson(rng, 0.3) if open_day and local.hour == 7 else 0)
        if start + timedelta(seconds=length) > story.now:
            break
        staffed_hours = open_day and OPENS <= local.time() < CLOSES
        camera_off = gap_day and GAP_HOURS[0] <= local.hour < GAP_HOURS[1]
        counts.append(
            LineCounts(
                site=site.site, device=ENTRANCE_DEVICE, timezone=TIMEZONE, interval_start=start,
                interval_s=length, observed_s=0.0 if camera_off else float(length), line=LINE,
                role=CountingRole.ENTRANCE.value,
                in_count=0 if camera_off else in_count, out_count=0 if camera_off else out_count,
            )
        )  # fmt: skip
        for gerai in GERAI:
            zones += _gerai_records(rng, site, gerai, day, start, length, arrivals, staffed_hours, story)
    for device in DEVICES:
        # One health report a day at 07:00, and every hour of the camera gap (reconnecting).
        hours = range(*GAP_HOURS) if gap_day and device == ENTRANCE_DEVICE else (7,)
        for hour in hours:
            ts = datetime.combine(day, time(hour, 0, 30), tz).astimezone(UTC)
            if ts > story.now:
                break
            broken = gap_day and device == ENTRANCE_DEVICE
            health.append(_health(site.site, device, ts, broken))
    return DayRecords(counts, zones, health)


def _gerai_records(
    rng: random.Random,
    site: SimSite,
    gerai: SimGerai,
    day: date,
    start: datetime,
    length: int,
    arrivals: int,
    staffed_hours: bool,
    story: Plan,
) -> list[ZoneOccupancy]:
    visits = sum(1 for _ in range(arrivals) if rng.random() < gerai.share)
    # Waiting times: log-normal around the gerai's median, longer when the MPP is busy.
    busy = 1 + 0.04 * arrivals
    dwells = tuple(round(min(gerai.wait_median_s * busy * math.exp(rng.gauss(0, 0.5)), 3 * 3600.0), 1)
                   for _ in range(visits))  # fmt: skip
    waiting_s = sum(dwells)
    queue_mean = min(waiting_s / length, 20.0)
    queue_max = min(1000, math.ceil(queue_mean) + (1 if visits > 1 else 0)) if visits else 0
    queue = ZoneOccupancy(
        site=site.site, device=gerai.device, timezone=TIMEZONE, interval_start=start, interval_s=length,
        observed_s=float(length), zone=gerai.queue_zone, role=CountingRole.QUEUE.value, gerai=gerai.gerai,
        mean_count=round(queue_mean, 3), max_count=queue_max, occupied_s=float(min(length, round(waiting_s))),
        visits=visits, dwells_s=dwells,
    )  # fmt: skip
    unstaffed = site.site == ANOMALY_SITE and gerai.gerai == UNSTAFFED_GERAI and day >= story.unstaffed_from
    if staffed_hours and not unstaffed:
        # At the counter most of the time; short absences (files, prayers), longer over lunch.
        local_hour = start.astimezone(ZoneInfo(TIMEZONE)).hour
        present = rng.uniform(0.55, 0.8) if local_hour == 12 else rng.uniform(0.82, 1.0)
        occupied = round(length * present, 1)
        mean = round(gerai.staff * present, 3)
        staff = ZoneOccupancy(
            site=site.site, device=gerai.device, timezone=TIMEZONE, interval_start=start, interval_s=length,
            observed_s=float(length), zone=gerai.staff_zone, role=CountingRole.STAFF.value, gerai=gerai.gerai,
            mean_count=mean, max_count=gerai.staff, occupied_s=occupied, visits=1 + (present < 0.9),
        )  # fmt: skip
    else:
        staff = ZoneOccupancy(
            site=site.site, device=gerai.device, timezone=TIMEZONE, interval_start=start, interval_s=length,
            observed_s=float(length), zone=gerai.staff_zone, role=CountingRole.STAFF.value, gerai=gerai.gerai,
            mean_count=0.0, max_count=0, occupied_s=0.0, visits=0,
        )  # fmt: skip
    return [staff, queue]


def _health(site: str, device: str, ts: datetime, broken: bool) -> Health:
    return Health(
        site=site, device=device, timezone=TIMEZONE, ts=ts, fps=0.0 if broken else 10.0,
        effective_fps=0.0 if broken else 6.5, gating_share=0.0 if broken else 0.35,
        last_frame_age_s=None if broken else 0.1,
        camera_state=CameraState.RECONNECTING if broken else CameraState.OK, outbox_depth=0, dropped_records=0,
        reconnects=0, model="yolov8n_int8_openvino_model (simulasi)", software_version=SOFTWARE, uptime_s=86400.0,
    )  # fmt: skip


def batches(story: Plan, first: date | None = None, days_per_batch: int = 7) -> Iterator[Batch]:
    """The history from ``first`` (default: the plan's first day) to now, a week of one site per batch."""
    for site in SITES:
        day = first or story.first
        while day <= story.last:
            counts: list[LineCounts] = []
            zones: list[ZoneOccupancy] = []
            health: list[Health] = []
            for offset in range(days_per_batch):
                current = day + timedelta(days=offset)
                if current > story.last:
                    break
                records = day_records(site, current, story)
                counts += records.counts
                zones += records.occupancy
                health += records.health
            yield Batch(counts=counts, occupancy=zones, health=health)
            day += timedelta(days=days_per_batch)
        # Each simulated device says it is online now (retained status, as a device would).
        yield Batch(status=[Status(site=site.site, device=d, state=DeviceState.ONLINE, ts=story.now) for d in DEVICES])


@dataclass(frozen=True, slots=True)
class LoadResult:
    records: int
    conflicts: int


def load(store: Store, story: Plan, first: date | None = None, stop: Callable[[], bool] = lambda: False) -> LoadResult:
    """Write the history (from ``first`` on) into ``store``, until ``stop()`` says so. Idempotent: a
    record already stored is stored once; a conflicting copy (a day first written under another plan)
    keeps the first."""
    records = conflicts = 0
    for batch in batches(story, first):
        if stop():
            break
        conflicts += len(store.write(batch))
        records += len(batch.counts) + len(batch.occupancy)
    return LoadResult(records, conflicts)


def opening_hours() -> dict[str, object]:
    """The admin API's opening-hours body of every simulated site."""
    days = [{"weekday": d, "opens": f"{OPENS:%H:%M}", "closes": f"{CLOSES:%H:%M}"} for d in range(5)]
    holidays = [{"date": d.isoformat(), "name": name} for d, name in sorted(HOLIDAYS.items())]
    return {"days": days, "holidays": holidays}


def gerai_settings() -> list[tuple[str, dict[str, object]]]:
    """(gerai, admin API body) of each simulated gerai: its name and its staff and queue zones."""
    return [
        (g.gerai, {"name": g.name, "zones": [
            {"device": g.device, "zone": g.staff_zone, "role": CountingRole.STAFF.value},
            {"device": g.device, "zone": g.queue_zone, "role": CountingRole.QUEUE.value},
        ]})
        for g in GERAI
    ]  # fmt: skip


def site_names() -> Sequence[tuple[str, str]]:
    return [(s.site, s.name) for s in SITES]


HISTORY_VERSION = 1  # change when the simulation changes: the next load writes every day again


def resume_from(marker: str | None, story: Plan) -> date | None:
    """The first day to write, given the marker of an earlier load (its JSON text): the last day that
    load wrote (it may have been partial), or None (everything) without a usable marker."""
    if not marker:
        return None
    try:
        seen = json.loads(marker)
        through = date.fromisoformat(seen["through"])
    except (ValueError, KeyError, TypeError):
        return None
    if seen.get("version") != HISTORY_VERSION or through < story.first:
        return None
    return min(through, story.last)


def marker_text(story: Plan) -> str:
    return json.dumps({"version": HISTORY_VERSION, "through": story.last.isoformat()})
