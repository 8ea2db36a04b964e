"""The monthly report PDF as a reader sees it: rendered by poppler (pdftoppm, pdftotext), not by fpdf2."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collector.report import monthly_pdf
from collector.report.monthly import GeraiMonth, HourTotal, MonthlyReport, SiteMonth, render_html
from collector.report.monthly_pdf import render_pdf
from collector.report.site_coverage import FootfallWithCoverage
from collector.report.staffing import Stretch

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIB = ZoneInfo("Asia/Jakarta")
NAME = "DPMPTSP – Perizinan Kab. Sleman"  # en dash: outside Latin-1
GERAI = "Dukcapil “Adminduk” – Sleman"


def sample_report() -> MonthlyReport:
    month = datetime(2026, 11, 1, tzinfo=WIB)
    months = []
    start = month
    for i in range(12):
        # One month the entrance camera saw 61 % of: marked, its bar grey.
        observed_s = 120_000.0 if i == 4 else 196_000.0
        months.append(FootfallWithCoverage(start, start, 900 + 37 * i, 880 + 37 * i, 198_000.0, observed_s,
                                           observed_s / 198_000.0, i != 4))  # fmt: skip
        start = (start - timedelta(days=1)).replace(day=1)
    months.reverse()
    months[-1] = FootfallWithCoverage(month, month, 1297, 1290, 198_000.0, 196_000.0, 196 / 198, True)
    longest = (Stretch(month + timedelta(days=3, hours=9), month + timedelta(days=3, hours=10, minutes=5)),)
    return MonthlyReport(
        site="mpp-sleman",
        name=NAME,
        timezone="Asia/Jakarta",
        month=month,
        generated_at=datetime(2026, 12, 1, 8, 5, tzinfo=WIB),
        months=tuple(months),
        sites=(SiteMonth("mpp-sleman", NAME, 1297, 1185), SiteMonth("mpp-bantul", "MPP Bantul", 24_310, 0)),
        hours=tuple(HourTotal(h, 160 - (h - 11) ** 2 if 8 <= h < 16 else 0) for h in range(24)),
        gerai=(
            GeraiMonth("dukcapil", GERAI, 0.87, 0.99, longest),
            GeraiMonth("bpjs-kes", "BPJS Kesehatan", None, None, ()),
        ),
    )


def pixels(pdf: bytes, tmp_path: Path) -> list[tuple[int, int, bytes]]:
    """Each page rendered at 72 dpi as (width, height, RGB bytes), read from poppler's PPM output."""
    (tmp_path / "report.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "72", str(tmp_path / "report.pdf"), str(tmp_path / "page")], check=True)
    pages = []
    for path in sorted(tmp_path.glob("page-*.ppm")):
        data = path.read_bytes()
        magic, width, height, maxval, rgb = data.split(maxsplit=4)
        assert magic == b"P6" and maxval == b"255"
        pages.append((int(width), int(height), rgb))
    return pages


def filled_bands(width: int, height: int, rgb: bytes) -> list[int]:
    """Pixel rows where a solid band (4+ rows, 60%+ of the page width) is painted: a filled table row.
    Table rules are one or two pixels thin and bars stop at half the width, so neither counts."""
    dark_rows = []
    for y in range(height):
        row = rgb[y * width * 3 : (y + 1) * width * 3]
        ink = sum(1 for x in range(0, len(row), 3) if min(row[x], row[x + 1], row[x + 2]) < 230)
        dark_rows.append(ink > 0.6 * width)
    bands, run = [], 0
    for y, dark in enumerate(dark_rows):
        run = run + 1 if dark else 0
        if run == 4:
            bands.append(y)
    return bands


@pytest.mark.parametrize("lang", ["id", "en"])
def test_pdf_prints_every_character_and_leaves_table_cells_white(lang: str, tmp_path: Path) -> None:
    pdf = render_pdf(sample_report(), lang)
    (tmp_path / "report.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "report.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert NAME in text
    assert GERAI in text
    assert "?" not in text
    if lang == "id":
        assert "1.297" in text and "24.310" in text  # Indonesian thousands separator
        assert "November 2026" in text and "1 Desember 2026" in text  # month and the signing date
        assert "Mengetahui" in text
    else:
        assert "1,297" in text and "24,310" in text
        assert "1 December 2026" in text

    pages = pixels(pdf, tmp_path)
    assert len(pages) <= 2, f"{len(pages)} pages for a site with two gerai"
    for number, (width, height, rgb) in enumerate(pages, 1):
        assert filled_bands(width, height, rgb) == [], f"page {number} has a filled band"
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(tmp_path / "report.pdf"),
         str(ARTIFACTS / f"monthly-report-{lang}")],
        check=True,
    )  # fmt: skip


def test_without_system_dejavu_the_wheel_font_prints_every_character(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A collector installed by pip alone, on a host without fonts-dejavu-core.
    monkeypatch.setattr(monthly_pdf, "SYSTEM_FONT_DIRS", (tmp_path / "no-fonts",))
    monkeypatch.setattr(monthly_pdf, "_fonts", None)
    regular, bold = monthly_pdf.font_files()
    assert "NotoSans" in regular.name and "NotoSans" in bold.name
    (tmp_path / "report.pdf").write_bytes(render_pdf(sample_report(), "id"))
    fonts = subprocess.run(["pdffonts", str(tmp_path / "report.pdf")], check=True, capture_output=True, text=True)
    assert "NotoSans" in fonts.stdout and "DejaVu" not in fonts.stdout
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "report.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert NAME in text and "?" not in text


def test_html_uses_local_number_formats_and_gives_bars_room() -> None:
    page = render_html(sample_report(), "id")
    assert ">1.297<" in page and ">24.310<" in page
    assert "1,297" not in page
    assert "min-width" in page  # the bar column keeps its width in a narrow table
    assert NAME in page
