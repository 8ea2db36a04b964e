"""The monthly report as PDF, through fpdf2 (the only fpdf import), in a Unicode TrueType font.

The PDF core fonts cover Latin-1 only ("DPMPTSP – Perizinan" would print a "?"), so the report
embeds DejaVu Sans from Debian's fonts-dejavu-core when the host has it, else Noto Sans from the
fontpkg-noto-sans wheel the collector extra installs. That wheel ships a variable font; fpdf2 would
instance it on every report (seconds of CPU), so it is instanced once per process here.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import TableBordersLayout, TableCellFillMode
from fpdf.fonts import FontFace

from collector.report.monthly import (
    LABELS,
    Language,
    MonthlyReport,
    audit_text,
    generated_text,
    month_label,
    number,
    percent,
    signature_lines,
    site_change,
    stretch_text,
    waiting_header,
    waiting_rows,
)
from collector.report.monthly_completeness import LABELS as COVERAGE_LABELS
from collector.report.monthly_completeness import (
    any_marked,
    gap_cells,
    headline,
    month_mark,
    pct,
    site_mark,
    uses_text,
)

log = logging.getLogger(__name__)

SYSTEM_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)  # fonts-dejavu-core on Debian and Ubuntu
FAMILY = "ReportSans"
BAR_RGB = (31, 119, 180)
LOW_RGB = (187, 187, 187)  # a month observed too little, grey as on the dashboard
RULE_GREY = 170
ROW_MM = 5.0
BAR_MAX_MM = 90.0  # under half the page, so a bar can never be mistaken for a filled table row

_fonts_lock = threading.Lock()
_fonts: tuple[Path, Path] | None = None
_instances_dir: tempfile.TemporaryDirectory[str] | None = None


def _noto_instances() -> tuple[Path, Path]:
    global _instances_dir
    from fontpkg_noto_sans import ROOT
    from fontTools.ttLib import TTFont
    from fontTools.varLib.instancer import instantiateVariableFont

    log.info("no DejaVu Sans in %s: instancing Noto Sans for PDF reports (once per process)", SYSTEM_FONT_DIRS)
    _instances_dir = tempfile.TemporaryDirectory(prefix="mpp-report-fonts-")
    out = []
    for weight in (400, 700):
        path = Path(_instances_dir.name) / f"NotoSans-{weight}.ttf"
        font = instantiateVariableFont(
            TTFont(ROOT / "files" / "NotoSans[wdth,wght].ttf"), {"wght": weight, "wdth": 100}
        )
        font.save(path)
        out.append(path)
    return out[0], out[1]


def font_files() -> tuple[Path, Path]:
    """(regular, bold) TrueType files: the system's DejaVu Sans, else Noto Sans from the wheel."""
    global _fonts
    with _fonts_lock:
        if _fonts is None:
            for folder in SYSTEM_FONT_DIRS:
                regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
                if regular.is_file() and bold.is_file():
                    _fonts = regular, bold
                    break
            else:
                _fonts = _noto_instances()
        return _fonts


def render_pdf(report: MonthlyReport, lang: Language = "id") -> bytes:
    t = LABELS[lang]
    regular, bold = font_files()
    pdf = FPDF(format="A4")
    pdf.set_margins(15, 12, 15)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font(FAMILY, "", regular)
    pdf.add_font(FAMILY, "B", bold)
    pdf.set_title(f"{t['heading']} {report.name} {month_label(report.month, lang)}")
    pdf.set_lang(lang)
    pdf.set_creator("mpp-counter")
    pdf.add_page()
    pdf.set_draw_color(RULE_GREY)
    pdf.set_fill_color(255)

    # Title block: the agency (the MPP), what the report is, and when it was made.
    pdf.set_font(FAMILY, "B", 15)
    pdf.cell(0, 8, report.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "B", 11)
    pdf.cell(0, 6, f"{t['heading']} – {month_label(report.month, lang)}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 8.5)
    pdf.cell(0, 5, generated_text(report, lang), new_x="LMARGIN", new_y="NEXT")
    with pdf.local_context(draw_color=(0, 0, 0), line_width=0.5):
        pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", 12)
    pdf.cell(0, 8, f"{t['visitors']}: {number(report.visitors, lang)}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    for audit in report.audits:
        pdf.cell(0, 6, audit_text(audit, ZoneInfo(report.timezone), lang), new_x="LMARGIN", new_y="NEXT")
    _completeness(pdf, report, lang)

    def heading(text: str, rows_after: int = 2) -> None:
        if pdf.will_page_break(10 + rows_after * ROW_MM):  # keep a heading with its first rows
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font(FAMILY, "B", 11)
        pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 9)

    def bars(header: tuple[str, ...], rows: list[tuple[str, int, str, str]]) -> None:
        """Rows of (label, value, mark beside the value, coverage): a marked row's bar is grey. With a third
        header the coverage is a column of its own, as in the HTML table."""
        peak = max((r[1] for r in rows), default=0) or 1
        columns = (35, 22, 34)[: len(header)]
        longest_mm = min(BAR_MAX_MM, pdf.w - pdf.r_margin - pdf.l_margin - sum(columns) - 3)  # within the margin
        pdf.set_font(FAMILY, "B", 9)  # the header row of the HTML table beside it
        for width, text in zip(columns, header, strict=True):
            pdf.cell(width, ROW_MM, text, align="L" if width == columns[0] else "R")
        pdf.ln(ROW_MM)
        pdf.set_font(FAMILY, "", 9)
        for label, value, mark, cover in rows:
            for width, text in zip(columns, (label, number(value, lang) + mark, cover), strict=False):
                pdf.cell(width, ROW_MM, text, align="L" if width == columns[0] else "R")
            x, y = pdf.get_x() + 3, pdf.get_y() + 1
            with pdf.local_context(fill_color=LOW_RGB if mark else BAR_RGB):  # no colour leaks into the tables
                pdf.rect(x, y, longest_mm * value / peak, ROW_MM - 2, style="F")
            pdf.ln(ROW_MM)

    def table(widths: tuple[int, ...], align: tuple[str, ...], header: list[str], rows: Sequence[list[str]]) -> None:
        _table(pdf, widths, align, header, rows)

    heading(t["trend"])
    trend = [(month_label(p.start, lang), p.in_count, month_mark(p), pct(p.coverage, lang)) for p in report.months]
    bars((t["month"], t["visitors"], t["observed"]), trend)

    heading(t["compare"])
    table(
        (70, 32, 32, 22),
        ("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        [t["site"], t["this_month"], t["prev_month"], t["change"]],
        [
            [s.name, number(s.in_count, lang) + site_mark(s), number(s.previous_in_count, lang) + site_mark(s, True),
             site_change(s, lang)]
            for s in report.sites
        ],
    )  # fmt: skip

    _comparison_note(pdf, report, lang)

    busiest = ", ".join(f"{h.hour:02d}:00" for h in report.busiest_hours) or t["none"]
    heading(f"{t['hours']}: {busiest}")
    bars((t["hour"], t["visitors"]), [(f"{h.hour:02d}:00", h.in_count, "", "") for h in report.hours if h.in_count > 0])

    heading(t["staffing"])
    table(
        (58, 27, 27, 68),
        ("LEFT", "RIGHT", "RIGHT", "LEFT"),
        [t["gerai"], t["staffed"], t["observed"], t["empty"]],
        [
            [g.name, percent(g.staffed_share, t["none"], lang), percent(g.observed_share, t["none"], lang),
             "\n".join(stretch_text(s, lang) for s in g.longest_unstaffed) or "–"]
            for g in report.gerai
        ],
    )  # fmt: skip

    heading(t["waiting"])
    table((50, 22, 27, 27, 30, 24), ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"), waiting_header(lang),
          waiting_rows(report, lang))  # fmt: skip
    pdf.set_font(FAMILY, "", 8)
    pdf.multi_cell(0, 4, t["waiting_note"], new_x="LMARGIN", new_y="NEXT")

    # Signature block, kept whole on one page: tempat/tanggal, jabatan, space to sign, nama, NIP.
    lines = signature_lines(report, lang)
    if pdf.will_page_break(10 + 5 * len(lines) + 15):
        pdf.add_page()
    pdf.ln(8)
    pdf.set_font(FAMILY, "", 9.5)
    for line in lines:
        pdf.set_x(pdf.w - pdf.r_margin - 80)
        pdf.cell(80, 5 if line else 18, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _table(
    pdf: FPDF, widths: tuple[int, ...], align: tuple[str, ...], header: list[str], rows: Sequence[list[str]]
) -> None:
    """A table of rules between rows and no fill anywhere (a fill colour must never carry over)."""
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        align="LEFT",
        text_align=align,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        cell_fill_mode=TableCellFillMode.NONE,
        headings_style=FontFace(emphasis="BOLD", fill_color=None),
        line_height=ROW_MM,
        padding=(0.5, 1),
    ) as tbl:
        tbl.row(header)
        for row in rows:
            tbl.row(row)


def _completeness(pdf: FPDF, report: MonthlyReport, lang: Language) -> None:
    """The data-completeness section: the headline with its coverage, each device, the long gaps."""
    c = report.completeness
    if c is None:
        return
    t = COVERAGE_LABELS[lang]
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(0, 6, headline(report, lang), new_x="LMARGIN", new_y="NEXT")
    if not c.complete:
        pdf.set_font(FAMILY, "B", 10)
        pdf.multi_cell(0, 6, t["incomplete"].format(pct=pct(c.complete_at, lang)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FAMILY, "B", 11)
    pdf.cell(0, 7, t["section"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    _table(pdf, (35, 115, 30), ("LEFT", "LEFT", "RIGHT"), [t["device"], t["watches"], t["coverage"]],
           [[d.device, uses_text(d, lang), pct(d.coverage, lang)] for d in c.devices])  # fmt: skip
    pdf.ln(2)
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(0, 7, t["gaps"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    if not c.gaps:
        pdf.cell(0, 6, t["no_gaps"], new_x="LMARGIN", new_y="NEXT")
        return
    _table(pdf, (35, 35, 35, 75), ("LEFT", "LEFT", "LEFT", "LEFT"), [t["device"], t["from"], t["until"], t["cause"]],
           [list(gap_cells(g, lang)) for g in c.gaps])  # fmt: skip


def _comparison_note(pdf: FPDF, report: MonthlyReport, lang: Language) -> None:
    if not any_marked(report):
        return
    threshold = report.completeness.complete_at if report.completeness else 0.95
    pdf.set_font(FAMILY, "", 8)
    pdf.cell(0, 5, COVERAGE_LABELS[lang]["mark"].format(pct=pct(threshold, lang)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
