"""Planted data for the dashboard analytics (KPI tiles, footfall heat map, staffing per month), with
every expected figure worked out by hand below. Default opening hours: Monday-Friday 08:00-16:00 WIB.

Now is 16:00 WIB on Monday 2 June 2025.

KPI
- Today, 2 June: the entrance camera observes 08:00-16:00 whole; one entry every 10 minutes: 48.
- 1 June (Sunday, closed): 5 entries at 10:00. This month so far: 53, complete (only 2 June was open).
- Last month, same stretch (1 May 00:00 - 2 May 16:00): 1 May observed whole with one entry every
  12 minutes (40); 2 May observed whole with no entry; 7 entries at 16:30 on 2 May fall after the
  stretch. 40, complete: +32.5 %, comparable.
- Same month last year (1 June 2024 00:00 - 2 June 2024 16:00, a Saturday and a Sunday): 30 entries at
  10:00 on 1 June 2024, nothing expected (closed): not complete, so the change is not comparable.
- Staffing, 2 June: staff zone not observed 08:00-09:00, occupied 09:00-15:00, observed empty
  15:00-16:00: staffed 6 h of 7 observed (6/7), observed 7 of 8 opening hours (0.875).

Heat map, 3-16 March 2025 (two weeks)
- Mondays 3 and 10 March observed whole: 6 and 10 entries at 09:00 -> Monday 09: 16 in, 2 hours, mean 8.
- Tuesdays and Thursdays, Fridays: no record at all -> their open cells are not observed, observed_s 0.
- Wednesday 5 March observed whole, Wednesday 12 March 08:00-12:00 only -> Wednesday 08-11 complete,
  12-15 half observed (coverage 0.5): not complete; 2 entries at 13:00 on 5 March -> Wednesday 13: >= 1.
- Saturday 8 March (closed): 4 entries at 10:00 -> Saturday 10: closed, 4 in, mean 2.

Staffing per month (the staff zone, gerai "dukcapil")
- June 2025 so far: as above (observed, 6/7).
- May 2025: only 2 May observed (8 h, staffed all of it) of 21 weekdays x 8 h: not observed (grey).
- March and April 2025: nothing: not observed, observed share 0.
- July 2025 and later: after now, closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from collector.storage import Batch, Store
from wire import LineCounts, ZoneOccupancy

WIB = ZoneInfo("Asia/Jakarta")
SITE = "mpp-jakarta"
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # 16:00 WIB, Monday 2 June 2025
GERAI = "dukcapil"


def _entrance(day: date, start_h: int, end_h: int, entries: dict[int, int]) -> list[LineCounts]:
    """A minute record for every minute of [start_h, end_h) local, observed whole; ``entries`` maps
    minutes after start_h:00 to the entries in that minute."""
    records = []
    first = datetime(day.year, day.month, day.day, start_h, tzinfo=WIB)
    for minute in range((end_h - start_h) * 60):
        records.append(
            LineCounts(
                site=SITE,
                device="cam-pintu",
                timezone="Asia/Jakarta",
                interval_start=first + timedelta(minutes=minute),
                interval_s=60,
                observed_s=60.0,
                line="pintu",
                role="entrance",
                in_count=entries.get(minute, 0),
                out_count=0,
            )
        )
    return records


def _staff(day: date, hours: Iterable[tuple[int, bool, bool]]) -> list[ZoneOccupancy]:
    """Minute records of the staff zone for each (hour, observed, occupied)."""
    records = []
    for hour, observed, occupied in hours:
        first = datetime(day.year, day.month, day.day, hour, tzinfo=WIB)
        for minute in range(60):
            records.append(
                ZoneOccupancy(
                    site=SITE,
                    device="cam-gerai",
                    timezone="Asia/Jakarta",
                    interval_start=(first + timedelta(minutes=minute)).astimezone(UTC),
                    interval_s=60,
                    observed_s=60.0 if observed else 0.0,
                    zone="dukcapil-staf",
                    role="staff",
                    gerai=GERAI,
                    mean_count=1.0 if occupied else 0.0,
                    max_count=1 if occupied else 0,
                    occupied_s=60.0 if occupied else 0.0,
                    visits=0,
                    dwells_s=(),
                )
            )
    return records


def plant(store: Store) -> None:
    counts = [
        # KPI
        *_entrance(date(2025, 6, 2), 8, 16, {m: 1 for m in range(0, 480, 10)}),
        *_entrance(date(2025, 6, 1), 10, 11, {0: 5}),
        *_entrance(date(2025, 5, 1), 8, 16, {m: 1 for m in range(0, 480, 12)}),
        *_entrance(date(2025, 5, 2), 8, 16, {}),
        *_entrance(date(2025, 5, 2), 16, 17, {30: 7}),
        *_entrance(date(2024, 6, 1), 10, 11, {0: 30}),
        # Heat map
        *_entrance(date(2025, 3, 3), 8, 16, {60: 6}),
        *_entrance(date(2025, 3, 10), 8, 16, {60: 10}),
        *_entrance(date(2025, 3, 5), 8, 16, {5 * 60: 2}),
        *_entrance(date(2025, 3, 12), 8, 12, {}),
        *_entrance(date(2025, 3, 8), 10, 11, {0: 4}),
    ]
    staff = [
        *_staff(date(2025, 6, 2), [(8, False, False), *((h, True, True) for h in range(9, 15)), (15, True, False)]),
        *_staff(date(2025, 5, 2), ((h, True, True) for h in range(8, 16))),
    ]
    store.write(Batch(counts=counts, occupancy=staff))
