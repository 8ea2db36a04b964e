"""The monthly report a manager brings to a coordination meeting: the model and its HTML page."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from collector.report.monthly_completeness import (
    Completeness,
    comparison_note_html,
    completeness_html,
    month_mark,
    pct,
    site_mark,
)
from collector.report.site_coverage import FootfallWithCoverage
from collector.report.staffing import Stretch
from collector.report.waiting import GeraiQueueMonth
from collector.storage.base import FootfallBucket
from wire import Audit

Language = Literal["id", "en"]


@dataclass(frozen=True, slots=True)
class SiteMonth:
    site: str
    name: str
    in_count: int
    previous_in_count: int
    complete: bool | None = None  # the entrance cameras' coverage reached the site's threshold; None: not known
    previous_complete: bool | None = None


@dataclass(frozen=True, slots=True)
class HourTotal:
    hour: int  # local hour of day
    in_count: int


@dataclass(frozen=True, slots=True)
class GeraiMonth:
    gerai: str
    name: str
    staffed_share: float | None
    observed_share: float | None
    longest_unstaffed: tuple[Stretch, ...]  # longest first


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    site: str
    name: str
    timezone: str
    month: datetime  # local start of the month
    generated_at: datetime
    # This site's twelve months up to this one, each with the entrance cameras' coverage (none left out).
    months: tuple[FootfallWithCoverage, ...]
    sites: tuple[SiteMonth, ...]  # all compared sites, this one included
    hours: tuple[HourTotal, ...]  # 24 entries
    gerai: tuple[GeraiMonth, ...]
    completeness: Completeness | None = None  # the data-completeness section
    audits: tuple[Audit, ...] = ()  # the latest on-site accuracy audit of each of the site's devices
    waiting: tuple[GeraiQueueMonth, ...] = ()  # the queue and waiting section

    @property
    def visitors(self) -> int:
        return next((p.in_count for p in self.months if p.start == self.month), 0)

    @property
    def busiest_hours(self) -> list[HourTotal]:
        return sorted((h for h in self.hours if h.in_count > 0), key=lambda h: -h.in_count)[:3]


def hour_totals(buckets: Iterable[FootfallBucket], tz: ZoneInfo) -> tuple[HourTotal, ...]:
    totals = [0] * 24
    for b in buckets:
        totals[b.start.astimezone(tz).hour] += b.in_count
    return tuple(HourTotal(h, totals[h]) for h in range(24))


def longest(stretches: Sequence[Stretch], n: int = 3) -> tuple[Stretch, ...]:
    return tuple(sorted(stretches, key=lambda s: -s.duration_s)[:n])


LABELS: dict[str, dict[str, str]] = {
    "id": {
        "title": "Laporan bulanan",
        "visitors": "Pengunjung",
        "month": "Bulan",
        "trend": "Pengunjung per bulan",
        "compare": "Perbandingan dengan MPP lain",
        "site": "MPP",
        "this_month": "Bulan ini",
        "prev_month": "Bulan lalu",
        "change": "Perubahan",
        "hours": "Jam tersibuk",
        "hour": "Jam",
        "staffing": "Kehadiran petugas per gerai",
        "gerai": "Gerai",
        "staffed": "Terisi petugas",
        "observed": "Teramati kamera",
        "empty": "Kosong terlama",
        "none": "tidak ada data",
        "generated": "Dibuat",
        "timezone": "Zona waktu",
        "minutes": "menit",
        "heading": "Laporan bulanan pengunjung",
        "period": "Periode",
        "acknowledged": "Mengetahui,",
        "position": "Jabatan",
        "signer": "Nama",
        "staff_id": "NIP.",
        "waiting": "Antrean dan waktu tunggu per gerai",
        "visits": "Kunjungan",
        "wait_p50": "Median tunggu",
        "wait_p90": "P90 tunggu",
        "queue": "Antrean rata-rata (jam buka)",
        "waiting_note": "Waktu tunggu: lama pengunjung berada di zona antrean; antrean rata-rata: jumlah orang di "
        "zona antrean, rata-rata selama jam buka yang teramati kamera.",
    },
    "en": {
        "title": "Monthly report",
        "visitors": "Visitors",
        "month": "Month",
        "trend": "Visitors per month",
        "compare": "Comparison with other MPPs",
        "site": "MPP",
        "this_month": "This month",
        "prev_month": "Previous month",
        "change": "Change",
        "hours": "Busiest hours",
        "hour": "Hour",
        "staffing": "Staff presence per gerai",
        "gerai": "Gerai",
        "staffed": "Staffed",
        "observed": "Observed by camera",
        "empty": "Longest empty stretches",
        "none": "no data",
        "generated": "Generated",
        "timezone": "Timezone",
        "minutes": "min",
        "heading": "Monthly visitor report",
        "period": "Period",
        "acknowledged": "Acknowledged by,",
        "position": "Position",
        "signer": "Name",
        "staff_id": "Staff no.",
        "waiting": "Queue and waiting time per gerai",
        "visits": "Visits",
        "wait_p50": "Median wait",
        "wait_p90": "P90 wait",
        "queue": "Average queue (opening hours)",
        "waiting_note": "Waiting time: how long visitors stayed in the queue zone; average queue: people in the "
        "queue zones, averaged over the opening hours the cameras observed.",
    },
}


LOCALES: dict[str, str] = {"id": "id_ID", "en": "en_GB"}  # en_GB: "1 December 2026", day first as in id
DOTS = "." * 40  # a blank the signer fills in by hand


def number(value: int, lang: Language) -> str:
    return format_decimal(value, locale=LOCALES[lang])


def long_date(at: datetime, lang: Language) -> str:
    return format_date(at, "long", locale=LOCALES[lang])


def month_label(start: datetime, lang: Language) -> str:
    return format_date(start, "LLLL y", locale=LOCALES[lang])


def period_label(start: datetime, lang: Language) -> str:
    last = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return f"{long_date(start, lang)} – {long_date(last, lang)}"


def percent(share: float | None, none: str, lang: Language = "id") -> str:
    return none if share is None else format_percent(share, locale=LOCALES[lang])


def change(now: int, before: int, lang: Language = "id") -> str:
    return "–" if before == 0 else format_percent((now - before) / before, "+#,##0%;-#,##0%", locale=LOCALES[lang])


def site_change(month: SiteMonth, lang: Language) -> str:
    """The comparison's change, only between two months the entrance cameras observed enough: a count
    from a month not observed is a lower bound (an unobserved month's 0 is no fall of 100 %)."""
    if month.complete is False or month.previous_complete is False:
        return "–"
    return change(month.in_count, month.previous_in_count, lang)


def minutes(seconds: float | None, lang: Language) -> str:
    """``5,3 menit`` / ``5.3 min``; a dash with no completed visit."""
    if seconds is None:
        return "–"
    return f"{format_decimal(seconds / 60, '#,##0.0', locale=LOCALES[lang])} {LABELS[lang]['minutes']}"


def people(mean: float | None, lang: Language) -> str:
    return "–" if mean is None else format_decimal(mean, "#,##0.0", locale=LOCALES[lang])


def waiting_rows(report: MonthlyReport, lang: Language) -> list[list[str]]:
    """The queue and waiting table's rows, the same cells in HTML and PDF."""
    none = LABELS[lang]["none"]
    return [
        [g.name, number(g.visits, lang), minutes(g.dwell.p50_s, lang), minutes(g.dwell.p90_s, lang),
         people(g.mean_queue, lang), percent(g.observed_share, none, lang)]
        for g in report.waiting
    ]  # fmt: skip


def waiting_header(lang: Language) -> list[str]:
    t = LABELS[lang]
    return [t["gerai"], t["visits"], t["wait_p50"], t["wait_p90"], t["queue"], t["observed"]]


def stretch_text(s: Stretch, lang: Language) -> str:
    return f"{s.start:%d/%m %H:%M}–{s.end:%H:%M} ({s.duration_s / 60:.0f} {LABELS[lang]['minutes']})"


def generated_text(report: MonthlyReport, lang: Language) -> str:
    t = LABELS[lang]
    return (
        f"{t['period']}: {period_label(report.month, lang)} · {t['timezone']}: {report.timezone} · "
        f"{t['generated']}: {long_date(report.generated_at, lang)} {report.generated_at:%H:%M}"
    )


def signature_lines(report: MonthlyReport, lang: Language) -> list[str]:
    """Tempat, tanggal / mengetahui / jabatan / (space to sign) / nama / NIP, left for the signer to fill."""
    t = LABELS[lang]
    return [
        f"{'.' * 24}, {long_date(report.generated_at, lang)}",
        t["acknowledged"],
        f"{t['position']}: {DOTS}",
        "",
        f"{t['signer']}: {DOTS}",
        f"{t['staff_id']} {DOTS}",
    ]


def audit_text(audit: Audit, tz: ZoneInfo, lang: Language) -> str:
    """``cam-1: akurasi terverifikasi 97 % pada 12/11/2026`` (the audit's local date)."""
    accuracy = "-" if audit.line_accuracy is None else f"{audit.line_accuracy * 100:.0f} %"
    day = f"{audit.audited_at.astimezone(tz):%d/%m/%Y}"
    if lang == "id":
        return f"{audit.device}: akurasi terverifikasi {accuracy} pada {day}"
    return f"{audit.device}: verified accuracy {accuracy} on {day}"


def render_html(report: MonthlyReport, lang: Language = "id") -> str:
    t = LABELS[lang]
    e = html.escape

    def n(value: int) -> str:
        return number(value, lang)

    peak = max((p.in_count for p in report.months), default=0) or 1
    trend = "".join(
        f"<tr><td>{e(month_label(p.start, lang))}</td><td class=num>{n(p.in_count)}{month_mark(p)}</td>"
        f"<td class=num>{pct(p.coverage, lang)}</td><td class=barcell><div class='bar{' low' * bool(month_mark(p))}'"
        f" style='width:{p.in_count / peak * 100:.1f}%'></div></td></tr>"
        for p in report.months
    )
    sites = "".join(
        f"<tr{' class=me' if s.site == report.site else ''}><td>{e(s.name)}</td>"
        f"<td class=num>{n(s.in_count)}{site_mark(s)}</td>"
        f"<td class=num>{n(s.previous_in_count)}{site_mark(s, True)}</td>"
        f"<td class=num>{site_change(s, lang)}</td></tr>"
        for s in report.sites
    )
    hour_peak = max((h.in_count for h in report.hours), default=0) or 1
    hours = "".join(
        f"<tr><td>{h.hour:02d}:00</td><td class=num>{n(h.in_count)}</td>"
        f"<td class=barcell><div class=bar style='width:{h.in_count / hour_peak * 100:.1f}%'></div></td></tr>"
        for h in report.hours
        if h.in_count > 0
    )
    busiest = ", ".join(f"{h.hour:02d}:00" for h in report.busiest_hours) or t["none"]
    gerai = "".join(
        f"<tr><td>{e(g.name)}</td><td class=num>{percent(g.staffed_share, t['none'], lang)}</td>"
        f"<td class=num>{percent(g.observed_share, t['none'], lang)}</td>"
        f"<td>{'<br>'.join(e(stretch_text(s, lang)) for s in g.longest_unstaffed) or '–'}</td></tr>"
        for g in report.gerai
    )
    waiting = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i else ''}>{e(c)}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in waiting_rows(report, lang)
    )
    waiting_head = "".join(f"<th{' class=num' if i else ''}>{e(c)}</th>" for i, c in enumerate(waiting_header(lang)))
    signature = "<br>".join(e(line) or "<br><br>" for line in signature_lines(report, lang))
    title = f"{t['title']} {e(report.name)} – {e(month_label(report.month, lang))}"
    tz = ZoneInfo(report.timezone)
    audits = "<br>".join(e(audit_text(a, tz, lang)) for a in report.audits)
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:sans-serif;margin:2em;color:#222}} h1{{font-size:1.4em;margin:0}}
h2{{font-size:1.1em;margin-top:1.5em}}
.agency{{border-bottom:2px solid #222;padding-bottom:.5em;margin-bottom:1em}} .agency p{{margin:.2em 0}}
table{{border-collapse:collapse;width:100%;max-width:48em}} td,th{{border-bottom:1px solid #ddd;padding:.25em .5em;
text-align:left}} .num{{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}}
td.barcell{{width:50%;min-width:8em}} .bar{{background:#1f77b4;height:.8em}} .bar.low{{background:#bbb}}
tr.me td{{font-weight:bold}} .big{{font-size:2em;font-weight:bold}}
.note{{font-size:.85em;color:#555}} .signature{{margin:3em 0 0 auto;width:20em;line-height:1.6}}
@media print{{body{{margin:0}} h2{{break-after:avoid}} table,.signature{{break-inside:avoid}}}}
</style></head><body>
<header class=agency><h1>{e(report.name)}</h1>
<p><strong>{t["heading"]} – {e(month_label(report.month, lang))}</strong></p>
<p>{e(generated_text(report, lang))}</p></header>
<p>{t["visitors"]}: <span class=big id=visitors>{n(report.visitors)}</span></p>
<p id=audits>{audits}</p>
{completeness_html(report, lang)}
<h2>{t["trend"]}</h2><table id=trend><tr><th>{t["month"]}</th><th class=num>{t["visitors"]}</th>
<th class=num>{t["observed"]}</th><th></th></tr>
{trend}</table>
<h2>{t["compare"]}</h2><table id=compare><tr><th>{t["site"]}</th><th class=num>{t["this_month"]}</th>
<th class=num>{t["prev_month"]}</th><th class=num>{t["change"]}</th></tr>{sites}</table>
{comparison_note_html(report, lang)}
<h2>{t["hours"]}: {busiest}</h2><table id=hours><tr><th>{t["hour"]}</th><th class=num>{t["visitors"]}</th><th></th></tr>
{hours}</table>
<h2>{t["staffing"]}</h2><table id=staffing><tr><th>{t["gerai"]}</th><th class=num>{t["staffed"]}</th>
<th class=num>{t["observed"]}</th><th>{t["empty"]}</th></tr>{gerai}</table>
<h2>{t["waiting"]}</h2><table id=waiting><tr>{waiting_head}</tr>{waiting}</table>
<p class=note>{e(t["waiting_note"])}</p>
<p class=signature id=signature>{signature}</p>
</body></html>
"""
