"""The monthly report's queue and waiting section, through the real API on both stores: planted queue
records of August 2026 (with a long queue after closing time that must not count), read back as the
HTML page and as the PDF's text (poppler's pdftotext), in Indonesian number formats."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from collector.api import create_app
from collector.storage import Batch, Store
from tests.integration.test_api_stores import HEADERS, ApiSettings
from tests.integration.test_store_coverage import _open
from tests.services import InfluxServer
from wire import ZoneOccupancy

WIB = ZoneInfo("Asia/Jakarta")
SITE = "mpp-antre"
NOW = datetime(2026, 9, 2, 3, 0, tzinfo=UTC)  # 10:00 WIB on 2 September: August is the last complete month
GERAI_NAME = "Disdukcapil – KTP & KK"  # en dash: outside Latin-1
DWELLS = (60.0, 120.0, 180.0, 240.0, 300.0, 360.0, 420.0, 480.0, 540.0, 600.0)
# Median 330 s (5,5 menit); p90 540 + 0.1 x 60 = 546 s (9,1 menit), numpy's linear interpolation.
# Opening hours (the default, Mon-Fri 08:00-16:00): 21 weekdays in August 2026, less the national
# holidays on Monday 17th (Independence Day) and Tuesday 25th (Maulid Nabi) = 19 days, 152 h.
# Observed in opening hours: Monday 3rd 08-16 at 2 people, Tuesday 4th 08-12 at 4 people: 12 h,
# mean (2 x 8 + 4 x 4) / 12 = 2.67 people (2,7), observed share 12 / 152 = 8 %.
# After closing on the 3rd (16-17) ten people wait: outside opening hours, not in the mean.


def queue(start: datetime, mean: float, visits: int, dwells: tuple[float, ...] = (), zone: str = "antrean-1",
          gerai: str = "g1") -> ZoneOccupancy:  # fmt: skip
    return ZoneOccupancy(
        site=SITE, device="cam-g", timezone="Asia/Jakarta", interval_start=start, interval_s=900, observed_s=900.0,
        zone=zone, role="queue", gerai=gerai, mean_count=mean, max_count=int(mean) + 1,
        occupied_s=900.0 if mean else 0.0, visits=visits, dwells_s=dwells,
    )  # fmt: skip


def records() -> list[ZoneOccupancy]:
    out = []
    monday = datetime(2026, 8, 3, 8, tzinfo=WIB)
    for i in range(32):  # 08:00-16:00
        out.append(queue(monday + timedelta(minutes=15 * i), 2.0, 1, DWELLS[i : i + 1]))
    for i in range(4):  # 16:00-17:00, closed
        out.append(queue(monday + timedelta(hours=8, minutes=15 * i), 10.0, 2))
    tuesday = monday + timedelta(days=1)
    for i in range(16):  # 08:00-12:00
        out.append(queue(tuesday + timedelta(minutes=15 * i), 4.0, 1))
    saturday = datetime(2026, 8, 8, 9, tzinfo=WIB)  # closed all day: a second gerai seen only then
    out.append(queue(saturday, 3.0, 1, zone="antrean-2", gerai="g2"))
    return out


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, influxdb: InfluxServer) -> Iterator[dict[str, Store]]:
    opened = {kind: _open(kind, tmp_path_factory.mktemp(kind), influxdb) for kind in ("sqlite", "influxdb")}
    for store in opened.values():
        store.write(Batch(occupancy=records()))
    yield opened
    for store in opened.values():
        store.close()


@pytest.fixture(params=["sqlite", "influxdb"])
def client(request: pytest.FixtureRequest, stores: dict[str, Store], tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(ApiSettings(tmp_path / "var"), stores[request.param], clock=lambda: NOW)
    with TestClient(app, headers=HEADERS) as test_client:
        body = {"name": GERAI_NAME, "zones": [{"device": "cam-g", "zone": "antrean-1", "role": "queue"}]}
        assert test_client.put(f"/api/v1/sites/{SITE}/gerai/g1", json=body).status_code == 200
        yield test_client


def test_html_report_has_the_waiting_section_with_opening_hours_only(client: TestClient) -> None:
    page = client.get(f"/api/v1/sites/{SITE}/reports/monthly")  # no month: the last complete one
    assert page.status_code == 200, page.text
    text = page.text
    assert "Agustus 2026" in text
    section = text[text.index("<table id=waiting>") : text.index("</table>", text.index("<table id=waiting>"))]
    assert "<th>Gerai</th><th class=num>Kunjungan</th><th class=num>Median tunggu</th>" in section
    assert (f"<tr><td>{GERAI_NAME.replace('&', '&amp;')}</td><td class=num>56</td><td class=num>5,5 menit</td>"
            "<td class=num>9,1 menit</td><td class=num>2,7</td><td class=num>8%</td></tr>") in section  # fmt: skip
    # Seen only on a closed day: visits and no queue over opening hours, observed 0 %.
    assert "<tr><td>g2</td><td class=num>1</td><td class=num>–</td><td class=num>–</td><td class=num>–</td>" \
           "<td class=num>0%</td></tr>" in section  # fmt: skip
    english = client.get(f"/api/v1/sites/{SITE}/reports/monthly", params={"month": "2026-08", "lang": "en"}).text
    assert "<td class=num>5.5 min</td><td class=num>9.1 min</td><td class=num>2.7</td><td class=num>8%</td>" in english


def test_pdf_report_has_the_same_waiting_section(client: TestClient, tmp_path: Path) -> None:
    pdf = client.get(f"/api/v1/sites/{SITE}/reports/monthly", params={"month": "2026-08", "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    (tmp_path / "report.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "report.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    assert "Antrean dan waktu tunggu per gerai" in text
    row = next(line for line in text.splitlines() if line.strip().startswith(GERAI_NAME))
    assert row.split()[-7:] == ["56", "5,5", "menit", "9,1", "menit", "2,7", "8%"], row
    g2 = next(line for line in text.splitlines() if line.strip().startswith("g2 "))
    assert g2.split() == ["g2", "1", "–", "–", "–", "0%"], g2


class _TextCells(HTMLParser):
    """Every table cell, heading and paragraph of the HTML report, as (tag, text)."""

    TAGS = ("td", "th", "h1", "h2", "p")

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str]] = []
        self._open: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in self.TAGS:
            self._open = (tag, [])

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == self._open[0]:
            if text := " ".join("".join(self._open[1]).split()):
                self.cells.append((tag, text))
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[1].append(data)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_pdf_says_everything_the_html_says(client: TestClient, lang: str, tmp_path: Path) -> None:
    """One report, two renderings that must not drift: every cell, heading and paragraph of the HTML page is
    in the PDF's text (poppler), a data cell verbatim, a header word by word (the PDF wraps narrow headers)."""
    month = {"month": "2026-08", "lang": lang}
    page = client.get(f"/api/v1/sites/{SITE}/reports/monthly", params=month).text
    pdf = client.get(f"/api/v1/sites/{SITE}/reports/monthly", params={**month, "format": "pdf"}).content
    (tmp_path / "report.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip
    flat, words = "".join(text.split()), set(text.split())
    cells = _TextCells()
    cells.feed(page)
    assert len(cells.cells) > 100
    missing = [
        (tag, cell) for tag, cell in cells.cells
        if ("".join(cell.split()) not in flat if tag != "th" else not set(cell.split()) <= words)
    ]  # fmt: skip
    assert missing == []


def test_dashboard_waiting_means_the_queue_over_opening_hours_like_the_report(client: TestClient) -> None:
    """The dashboard's waiting card (GET /waiting) gives the same opening-hours mean as the report: on
    Monday 3 August the ten people waiting after closing do not count, the 2 people of 08-16 do."""
    monday = {"start": "2026-08-03", "end": "2026-08-03"}
    body = client.get(f"/api/v1/sites/{SITE}/waiting", params=monday).json()
    (g1,) = (g for g in body["gerai"] if g["gerai"] == "g1")
    assert g1["mean_queue"] == pytest.approx(2.0)
    assert g1["observed_share"] == pytest.approx(1.0)
    assert max(q["max_count"] for q in g1["queue"]) == 11  # the queue series itself still shows the evening
    month = client.get(f"/api/v1/sites/{SITE}/waiting", params={"start": "2026-08-01", "end": "2026-08-31"}).json()
    (g1,) = (g for g in month["gerai"] if g["gerai"] == "g1")
    assert g1["mean_queue"] == pytest.approx((2 * 8 + 4 * 4) / 12)
    saturday = client.get(f"/api/v1/sites/{SITE}/waiting", params={"start": "2026-08-08", "end": "2026-08-08"}).json()
    assert all(g["mean_queue"] is None and g["observed_share"] is None for g in saturday["gerai"])  # closed
