"""Indonesia's national holidays and cuti bersama, from the ``holidays`` library (the one module importing it).

The library follows each year's SKB (joint decree) and computes the moving Islamic, Chinese, Hindu and
Buddhist days, so Idul Fitri lands on the right date without an admin typing it in every year.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Literal

import holidays

COUNTRY = "ID"
Kind = Literal["national", "cuti_bersama"]
_LANGUAGES = {"id": "id", "en": "en_US"}


@lru_cache(maxsize=128)
def national_days(year: int, lang: Literal["id", "en"] = "id") -> tuple[tuple[date, str, Kind], ...]:
    """The year's public holidays (``national``) and joint leave days (``cuti_bersama``), by date."""
    found: dict[date, tuple[str, Kind]] = {}
    for category, kind in ((holidays.GOVERNMENT, "cuti_bersama"), (holidays.PUBLIC, "national")):
        # PUBLIC last: a date that is both (rare) counts as a national holiday.
        days = holidays.country_holidays(COUNTRY, years=year, categories=(category,), language=_LANGUAGES[lang])
        for day, name in days.items():
            found[day] = (str(name), kind)  # type: ignore[assignment]
    return tuple((day, name, kind) for day, (name, kind) in sorted(found.items()))
