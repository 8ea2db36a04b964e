"""The dashboard on the planted-fault August (tests/coverage_scenario.py) in a headless Chromium:
incomplete footfall bars are marked, the occupancy line breaks over unobserved time, and no staffing
cell is coloured as staffed where the hour was not observed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from collector.api import create_app
from collector.storage import open_store
from tests import coverage_scenario as sc
from tests.e2e.test_dashboard_chromium import ARTIFACTS, Served, browser, choose_range, wait_loaded
from tests.integration.test_api_coverage import CALENDAR
from tests.integration.test_api_stores import ADMIN_TOKEN, ApiSettings
from tests.integration.test_store_coverage import _fill
from tests.services import served_app

__all__ = ["browser"]  # the fixture

NOW = datetime(2026, 8, 20, 9, 30, tzinfo=UTC)  # 16:30 WIB on Thursday 20 August 2026
INCOMPLETE = "#b8b8b8"
NOT_OBSERVED = "rgb(207, 207, 207)"

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    store = open_store(f"sqlite:///{tmp_path / 'mpp.db'}")
    _fill(store)
    app = create_app(ApiSettings(tmp_path / "var"), store, clock=lambda: NOW)
    with served_app(app) as url:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        hours = httpx.put(f"{url}/api/v1/sites/{sc.SITE}/opening-hours", json=CALENDAR, headers=headers)
        assert hours.status_code == 200, hours.text
        for gerai in sc.GERAI:
            zones = [{"device": z.device, "zone": z.zone, "role": z.role} for z in gerai.zones]
            put = httpx.put(
                f"{url}/api/v1/sites/{sc.SITE}/gerai/{gerai.gerai}",
                json={"name": gerai.name, "zones": zones},
                headers=headers,
            )
            assert put.status_code == 200, put.text
        yield Served(url)
    store.close()


def chart(driver: webdriver.Chrome, canvas: str) -> dict[str, Any]:
    data: dict[str, Any] = driver.execute_script(
        "const c = Chart.getChart(arguments[0]); return c ? {labels: c.data.labels, datasets: c.data.datasets.map("
        "d => ({label: d.label, data: d.data, incomplete: d.incomplete || null, background: d.backgroundColor,"
        " spanGaps: d.spanGaps}))} : null;",
        canvas,
    )
    assert data is not None, f"no chart drawn on #{canvas}"
    return data


def tooltip_footer(driver: webdriver.Chrome, canvas: str, dataset: int, index: int) -> str:
    footer: str = driver.execute_script(
        "const c = Chart.getChart(arguments[0]);"
        " return c.options.plugins.tooltip.callbacks.footer([{datasetIndex: arguments[1], dataIndex: arguments[2]}]);",
        canvas,
        dataset,
        index,
    )
    return footer


def test_dashboard_shows_coverage_honestly(served: Served, browser: webdriver.Chrome) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.get(served.url + "/")
    browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait_loaded(browser)
    assert browser.find_element(By.ID, "error").is_displayed() is False

    footfall = chart(browser, "chart-footfall")  # 22 July - 20 August
    days = {label: i for i, label in enumerate(footfall["labels"])}
    entrance = footfall["datasets"][0]
    for silent in ("2026-08-03", "2026-08-04", "2026-08-05"):
        i = days[silent]
        assert (entrance["data"][i], entrance["incomplete"][i], entrance["background"][i]) == (0, True, INCOMPLETE)
        assert tooltip_footer(browser, "chart-footfall", 0, i) == "kamera pintu aktif 0 % dari jam buka"
    assert entrance["incomplete"][days["2026-08-06"]] is True  # 35 minutes missing
    assert tooltip_footer(browser, "chart-footfall", 0, days["2026-08-06"]) == "kamera pintu aktif 93 % dari jam buka"
    for fine in ("2026-08-10", "2026-08-17", "2026-08-16"):  # observed whole; the holiday; a Sunday
        assert entrance["incomplete"][days[fine]] is False and entrance["background"][days[fine]] != INCOMPLETE
    assert tooltip_footer(browser, "chart-footfall", 0, days["2026-08-17"]) == "tutup"
    note = browser.find_element(By.ID, "footfall-note")
    assert note.is_displayed() and "tidak lengkap" in note.text
    compare = chart(browser, "chart-compare")
    assert compare["datasets"][0]["incomplete"][compare["labels"].index("2026-08")] is True
    browser.save_screenshot(str(ARTIFACTS / "dashboard-coverage-footfall.png"))

    # The devices table: last seen in the site's local time (WIB), and the outbox backlog.
    devices = browser.find_element(By.ID, "devices")
    assert "Antrean kirim" in devices.text and "UTC" not in devices.text
    seen = httpx.get(f"{served.url}/api/v1/devices", params={"site": sc.SITE},
                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()  # fmt: skip
    g1 = next(d for d in seen if d["device"] == "cam-g1")
    local = datetime.fromisoformat(g1["last_seen"]).astimezone(sc.TZ)
    assert f"{local:%Y-%m-%d %H:%M}" in devices.text

    for card in ("occupancy", "staffing"):  # 14-20 August, hourly; each card has its own range
        choose_range(browser, card, "7d")
    occupancy = chart(browser, "chart-occupancy")
    series = {d["label"]: d for d in occupancy["datasets"]}
    # Series are "gerai name – role": gerai g2 is BPJS, its one zone a staff zone.
    g2 = series["BPJS – petugas"]
    bpjs = g2["data"]
    labels = occupancy["labels"]
    # cam-g2 was silent until the 20th: null points, not a line drawn across; data again on the 20th.
    silent = [v for label, v in zip(labels, bpjs, strict=True) if label.startswith(("2026-08-14", "2026-08-19"))]
    assert silent and set(silent) == {None}
    assert any(v is not None for label, v in zip(labels, bpjs, strict=True) if label.startswith("2026-08-20"))
    assert g2["spanGaps"] is False
    # Nights (no record at all) are breaks too, for every series.
    assert labels.count("") == 6 and all(d["data"][labels.index("")] is None for d in occupancy["datasets"])

    cells = browser.execute_script(
        "return [...document.querySelectorAll('#heatmap tr')].slice(1).map(tr => ({gerai: tr.cells[0].textContent,"
        " cells: [...tr.querySelectorAll('td[data-state]')].map(td => ({state: td.dataset.state,"
        " share: td.dataset.share, text: td.textContent, background: td.style.backgroundColor}))}))"
    )
    by_gerai = {row["gerai"]: row["cells"] for row in cells}
    assert {c["state"] for c in by_gerai["BPJS"]} == {"not_observed"}  # observed one day in six: too little
    for row in cells:
        for c in row["cells"]:
            if c["state"] != "observed":
                assert (c["share"], c["text"]) == ("", "–")
                assert c["background"] in (NOT_OBSERVED, ""), c
    assert {c["state"] for c in by_gerai["Dukcapil"]} == {"observed"}
    browser.save_screenshot(str(ARTIFACTS / "dashboard-coverage-week.png"))
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
