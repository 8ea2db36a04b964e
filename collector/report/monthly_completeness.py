"""The monthly report's data-completeness section: how much of the opening time each device
observed, the long gaps, and the headline footfall beside its coverage ("731 pengunjung, kamera
pintu aktif 96 % dari jam buka"), so that a camera fault never reads as a quiet month."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

from collector.report.coverage import Gap, GapCause, Use
from collector.report.site_coverage import FootfallWithCoverage, SiteCoverage

if TYPE_CHECKING:  # monthly.py imports this module to render the section
    from collector.report.monthly import Language, MonthlyReport, SiteMonth

LONG_GAP = timedelta(minutes=30)  # gaps the report lists; shorter ones count in the coverage only


@dataclass(frozen=True, slots=True)
class DeviceMonth:
    device: str
    uses: tuple[tuple[Use, str], ...]  # what it is expected to observe: (use, line or zone)
    expected_s: float
    observed_s: float
    coverage: float | None


@dataclass(frozen=True, slots=True)
class Completeness:
    complete_at: float  # the site's threshold
    entrance_coverage: float | None  # the entrance cameras together over the month; None: nothing expected
    devices: tuple[DeviceMonth, ...]
    gaps: tuple[Gap, ...]  # at least LONG_GAP long, site-local, by start

    @property
    def complete(self) -> bool:
        return self.entrance_coverage is not None and self.entrance_coverage >= self.complete_at


def completeness(cov: SiteCoverage) -> Completeness:
    """From the site's coverage over the report month (granularity "month")."""
    tz = ZoneInfo(cov.timezone)
    entrance = cov.entrance[0] if len(cov.entrance) == 1 else None
    devices = tuple(
        DeviceMonth(
            d.device,
            tuple((w.use, w.name) for w in d.uses),
            d.total.expected_s,
            d.total.observed_s,
            d.total.coverage,
        )
        for d in cov.devices
    )
    gaps = tuple(
        Gap(g.device, g.start.astimezone(tz), g.end.astimezone(tz), g.cause)
        for g in cov.gaps
        if g.duration_s >= LONG_GAP.total_seconds()
    )
    return Completeness(cov.complete_at, entrance.coverage if entrance else None, devices, gaps)


LABELS: dict[str, dict[str, str]] = {
    "id": {
        "section": "Kelengkapan data",
        "headline": "{n} pengunjung, kamera pintu aktif {pct} dari jam buka",
        "headline_none": "{n} pengunjung; tidak ada jam buka yang diharapkan dari kamera pintu",
        "incomplete": "Data bulan ini tidak lengkap (di bawah {pct}): angka pengunjung adalah batas bawah.",
        "device": "Perangkat",
        "watches": "Mengamati",
        "coverage": "Aktif dari jam buka",
        "gaps": "Celah lebih dari 30 menit",
        "from": "Mulai",
        "until": "Sampai",
        "cause": "Sebab",
        "no_gaps": "Tidak ada celah lebih dari 30 menit.",
        "mark": "* data tidak lengkap: kamera pintu aktif di bawah {pct} dari jam buka",
        "none": "tidak ada",
        GapCause.OFFLINE: "perangkat luring",
        GapCause.CAMERA_ERROR: "kamera bermasalah",
        GapCause.NO_FRAMES: "tidak ada gambar",
        GapCause.NO_RECORDS: "tidak ada data (sebab tak diketahui)",
        Use.ENTRANCE: "pintu masuk",
        Use.STAFF: "petugas",
        Use.QUEUE: "antrean",
    },
    "en": {
        "section": "Data completeness",
        "headline": "{n} visitors, entrance camera active {pct} of opening hours",
        "headline_none": "{n} visitors; no opening time expected of the entrance camera",
        "incomplete": "This month's data is incomplete (below {pct}): the visitor count is a lower bound.",
        "device": "Device",
        "watches": "Observes",
        "coverage": "Active in opening hours",
        "gaps": "Gaps over 30 minutes",
        "from": "From",
        "until": "Until",
        "cause": "Cause",
        "no_gaps": "No gap over 30 minutes.",
        "mark": "* incomplete data: entrance camera active under {pct} of opening hours",
        "none": "none",
        GapCause.OFFLINE: "device offline",
        GapCause.CAMERA_ERROR: "camera error",
        GapCause.NO_FRAMES: "no frames",
        GapCause.NO_RECORDS: "no data (cause unknown)",
        Use.ENTRANCE: "entrance",
        Use.STAFF: "staff",
        Use.QUEUE: "queue",
    },
}


def pct(share: float | None, lang: Language) -> str:
    return LABELS[lang]["none"] if share is None else f"{share * 100:.0f} %"


def headline(report: MonthlyReport, lang: Language) -> str:
    c = report.completeness
    t = LABELS[lang]
    n = format_decimal(report.visitors, locale="id_ID" if lang == "id" else "en_US")  # as monthly.number
    if c is None or c.entrance_coverage is None:
        return t["headline_none"].format(n=n)
    return t["headline"].format(n=n, pct=pct(c.entrance_coverage, lang))


def uses_text(device: DeviceMonth, lang: Language) -> str:
    return ", ".join(f"{LABELS[lang][use]}: {name}" for use, name in device.uses)


def gap_cells(gap: Gap, lang: Language) -> tuple[str, str, str, str]:
    until = f"{gap.end:%H:%M}" if gap.end.date() == gap.start.date() else f"{gap.end:%d/%m %H:%M}"
    return gap.device, f"{gap.start:%d/%m %H:%M}", until, LABELS[lang][gap.cause]


def site_mark(month: SiteMonth, previous: bool = False) -> str:
    """ "*" beside a site-month below its threshold in the comparison table."""
    complete = month.previous_complete if previous else month.complete
    return "" if complete is not False else "*"


def month_mark(month: FootfallWithCoverage) -> str:
    """ "*" beside a month of the trend whose opening time the entrance cameras saw too little of (its
    count a lower bound; a month before the cameras came reads 0* at 0 %, not a month without visitors)."""
    return "*" if month.coverage is not None and not month.complete else ""


def any_marked(report: MonthlyReport) -> bool:
    trend = any(month_mark(p) for p in report.months)
    return trend or any(site_mark(s) or site_mark(s, previous=True) for s in report.sites)


def completeness_html(report: MonthlyReport, lang: Language) -> str:
    """The section as HTML (after the headline figure)."""
    c = report.completeness
    t = LABELS[lang]
    e = html.escape
    if c is None:
        return ""
    warn = "" if c.complete else f"<p class=warn>{e(t['incomplete'].format(pct=pct(c.complete_at, lang)))}</p>"
    devices = "".join(
        f"<tr{'' if d.coverage is None or d.coverage >= c.complete_at else ' class=low'}><td>{e(d.device)}</td>"
        f"<td>{e(uses_text(d, lang))}</td><td class=num>{pct(d.coverage, lang)}</td></tr>"
        for d in c.devices
    )
    gaps = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in gap_cells(g, lang)) + "</tr>" for g in c.gaps)
    gap_table = (
        f"<table id=gaps><tr><th>{t['device']}</th><th>{t['from']}</th><th>{t['until']}</th><th>{t['cause']}</th>"
        f"</tr>{gaps}</table>"
        if c.gaps
        else f"<p id=gaps>{t['no_gaps']}</p>"
    )
    return (
        f"<p id=headline>{e(headline(report, lang))}</p>{warn}"
        f"<h2>{t['section']}</h2><table id=completeness><tr><th>{t['device']}</th><th>{t['watches']}</th>"
        f"<th class=num>{t['coverage']}</th></tr>{devices}</table>"
        f"<h3>{t['gaps']}</h3>{gap_table}"
        "<style>.warn{color:#8a5a00;font-weight:bold} tr.low td{color:#a40000}</style>"
    )


def comparison_note_html(report: MonthlyReport, lang: Language) -> str:
    """The footnote under the comparison table, when a site-month in it is marked."""
    if not any_marked(report):
        return ""
    threshold = report.completeness.complete_at if report.completeness else 0.95
    return f"<p class=note id=compare-note>{html.escape(LABELS[lang]['mark'].format(pct=pct(threshold, lang)))}</p>"
