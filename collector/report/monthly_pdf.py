"""The monthly report as PDF, through fpdf2 (the only fpdf import)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fpdf import FPDF

from collector.report.monthly import (
    LABELS,
    Language,
    MonthlyReport,
    audit_text,
    change,
    month_label,
    percent,
    stretch_text,
)


def _latin1(text: str) -> str:
    # The PDF core fonts cover Latin-1; anything else prints as "?" rather than failing.
    return text.encode("latin-1", "replace").decode("latin-1")


def render_pdf(report: MonthlyReport, lang: Language = "id") -> bytes:
    t = LABELS[lang]
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(
        0, 10, _latin1(f"{t['title']} {report.name} - {month_label(report.month, lang)}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "", 10)
    generated = f"{t['generated']}: {report.generated_at:%Y-%m-%d %H:%M}"
    pdf.cell(0, 6, _latin1(f"{t['timezone']}: {report.timezone}   {generated}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 10, _latin1(f"{t['visitors']}: {report.visitors:,}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for audit in report.audits:
        pdf.cell(0, 6, _latin1(audit_text(audit, ZoneInfo(report.timezone), lang)), new_x="LMARGIN", new_y="NEXT")

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 8, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)

    def bars(rows: list[tuple[str, int]]) -> None:
        peak = max((v for _, v in rows), default=0) or 1
        for label, value in rows:
            pdf.cell(40, 6, _latin1(label))
            pdf.cell(25, 6, f"{value:,}", align="R")
            x, y = pdf.get_x() + 3, pdf.get_y() + 1.5
            pdf.set_fill_color(31, 119, 180)
            pdf.rect(x, y, 100 * value / peak, 3, style="F")
            pdf.ln(6)

    heading(t["trend"])
    bars([(month_label(p.start, lang), p.in_count) for p in report.months])

    heading(t["compare"])
    with pdf.table(col_widths=(60, 35, 35, 25), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT")) as table:
        table.row([t["site"], t["this_month"], t["prev_month"], t["change"]])
        for s in report.sites:
            table.row(
                [
                    _latin1(s.name),
                    f"{s.in_count:,}",
                    f"{s.previous_in_count:,}",
                    change(s.in_count, s.previous_in_count),
                ]
            )

    busiest = ", ".join(f"{h.hour:02d}:00" for h in report.busiest_hours) or t["none"]
    heading(f"{t['hours']}: {busiest}")
    bars([(f"{h.hour:02d}:00", h.in_count) for h in report.hours if h.in_count > 0])

    heading(t["staffing"])
    with pdf.table(col_widths=(40, 25, 25, 70), text_align=("LEFT", "RIGHT", "RIGHT", "LEFT")) as table:
        table.row([t["gerai"], t["staffed"], t["observed"], t["empty"]])
        for g in report.gerai:
            table.row(
                [
                    _latin1(g.name),
                    percent(g.staffed_share, t["none"]),
                    percent(g.observed_share, t["none"]),
                    "\n".join(stretch_text(s, lang) for s in g.longest_unstaffed) or "-",
                ]
            )
    return bytes(pdf.output())
