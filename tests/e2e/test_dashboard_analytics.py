"""The dashboard's analytics in a real headless Chromium on the planted data of tests/analytics_scenario.py:
per-card date ranges (a past three-month range on one card changes that card only), the KPI tiles, the
footfall heat map (grey where not observed) and staffing per month; both languages complete."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from collector.api import create_app
from collector.storage import open_store
from tests import analytics_scenario as sc
from tests.e2e.test_dashboard_chromium import ARTIFACTS, Served, browser, chart_data, choose_range, wait_loaded
from tests.integration.test_api_stores import ADMIN_TOKEN, ApiSettings
from tests.services import served_app

__all__ = ["browser"]  # the fixture

NOT_OBSERVED = "rgb(207, 207, 207)"
CARDS = ("footfall", "compare", "occupancy", "staffing", "heat", "waiting")

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    store = open_store(f"sqlite:///{tmp_path / 'mpp.db'}")
    sc.plant(store)
    app = create_app(ApiSettings(tmp_path / "var"), store, clock=lambda: sc.NOW)
    with served_app(app) as url:
        yield Served(url)
    store.close()


def log_in(driver: webdriver.Chrome, url: str) -> None:
    driver.get(url + "/")
    driver.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait_loaded(driver)
    assert driver.find_element(By.ID, "error").is_displayed() is False


def snapshot(driver: webdriver.Chrome) -> dict[str, Any]:
    """What every card shows, and when each last loaded."""
    state: dict[str, Any] = driver.execute_script(
        "const charts = {}; for (const id of ['chart-footfall', 'chart-compare', 'chart-occupancy']) {"
        "  const c = Chart.getChart(id); charts[id] = JSON.stringify({labels: c.data.labels,"
        "  data: c.data.datasets.map(d => d.data)}); }"
        " const loaded = {}; for (const card of arguments[0])"
        "  loaded[card] = document.getElementById('card-' + card).dataset.loaded;"
        " return {charts, loaded, page: document.body.dataset.loaded,"
        "  staffing: document.getElementById('heatmap').innerHTML,"
        "  heat: document.getElementById('heat-table').innerHTML,"
        "  waiting: document.getElementById('waiting').innerHTML};",
        list(CARDS),
    )
    return state


def heat_cell(driver: webdriver.Chrome, weekday: int, hour: int) -> dict[str, str]:
    found: dict[str, str] = driver.execute_script(
        "const td = document.querySelector("
        " `#heat-table td[data-weekday='${arguments[0]}'][data-hour='${arguments[1]}']`);"
        " return {...td.dataset, text: td.textContent, background: td.style.backgroundColor};",
        weekday,
        hour,
    )
    return found


def click_and_wait(driver: webdriver.Chrome, card: str, selector: str) -> None:
    before = driver.execute_script(f"return document.getElementById('card-{card}').dataset.loaded")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script(
            "const c = document.getElementById(arguments[0]).dataset;"
            " return Number(c.loaded) > Number(arguments[1]) && c.pending === '0';",
            f"card-{card}",
            before,
        )
    )


def tile(driver: webdriver.Chrome, key: str) -> dict[str, str]:
    found: dict[str, str] = driver.execute_script(
        "const el = document.getElementById('kpi-' + arguments[0]);"
        " return {...el.dataset, text: el.innerText, incomplete: String(el.classList.contains('incomplete'))};",
        key,
    )
    return found


def test_a_custom_range_on_one_card_changes_that_card_only(served: Served, browser: webdriver.Chrome) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(browser, served.url)
    # Each card starts at its own default range, from the server's today (2 June 2025, WIB).
    ranges = browser.execute_script(
        "const out = {}; for (const el of document.querySelectorAll('[data-range-card]')) out[el.dataset.rangeCard] ="
        " [el.querySelector('select').value, el.querySelector('[data-range-from]').value,"
        "  el.querySelector('[data-range-to]').value]; return out;"
    )
    assert ranges == {
        "footfall": ["30d", "2025-05-04", "2025-06-02"], "compare": ["12m", "2024-07-01", "2025-06-02"],
        "occupancy": ["today", "2025-06-02", "2025-06-02"], "staffing": ["today", "2025-06-02", "2025-06-02"],
        "heat": ["30d", "2025-05-04", "2025-06-02"], "waiting": ["today", "2025-06-02", "2025-06-02"],
    }  # fmt: skip
    before = snapshot(browser)

    choose_range(browser, "footfall", "custom", "2025-03-01", "2025-05-31")  # March-May 2025
    footfall = chart_data(browser, "chart-footfall")
    assert len(footfall["labels"]) == 92
    assert (footfall["labels"][0], footfall["labels"][-1]) == ("2025-03-01", "2025-05-31")
    counted = {day: n for day, n in zip(footfall["labels"], footfall["datasets"][0]["data"], strict=True) if n}
    assert counted == {"2025-03-03": 6, "2025-03-05": 2, "2025-03-08": 4, "2025-03-10": 10, "2025-05-01": 40,
                       "2025-05-02": 7}  # fmt: skip
    after = snapshot(browser)
    assert after["charts"]["chart-footfall"] != before["charts"]["chart-footfall"]
    # Nothing else reloaded or changed: not the other charts, tables, nor the page.
    assert after["page"] == before["page"]
    assert {c: after["loaded"][c] for c in CARDS if c != "footfall"} == {
        c: before["loaded"][c] for c in CARDS if c != "footfall"
    }
    for key in ("chart-compare", "chart-occupancy"):
        assert after["charts"][key] == before["charts"][key]
    for table in ("staffing", "heat", "waiting"):
        assert after[table] == before[table]
    # The month view keeps the hand-picked range: three months.
    browser.find_element(By.CSS_SELECTOR, "[data-footfall=month]").click()
    time.sleep(0.2)
    wait_until = time.monotonic() + 10
    while chart_data(browser, "chart-footfall")["labels"] != ["2025-03", "2025-04", "2025-05"]:
        assert time.monotonic() < wait_until, chart_data(browser, "chart-footfall")["labels"]
        time.sleep(0.1)
    assert chart_data(browser, "chart-footfall")["datasets"][0]["data"] == [22, 0, 47]
    browser.save_screenshot(str(ARTIFACTS / "dashboard-range-march-may-2025.png"))

    # A preset on another card: the comparison over last month only.
    choose_range(browser, "compare", "last_month")
    assert chart_data(browser, "chart-compare")["labels"] == ["2025-05"]
    assert chart_data(browser, "chart-footfall")["labels"] == ["2025-03", "2025-04", "2025-05"]
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def test_kpi_tiles_heat_map_and_staffing_per_month(served: Served, browser: webdriver.Chrome) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(browser, served.url)

    today, month = tile(browser, "today"), tile(browser, "month")
    assert (today["value"], today["complete"], today["coverage"], today["incomplete"]) == ("48", "true", "1", "false")
    assert "teramati 100 % dari jam buka" in today["text"]
    assert (month["value"], month["complete"]) == ("53", "true")
    assert float(month["vsLastMonth"]) == pytest.approx(13 / 40) and month["comparableMonth"] == "true"
    assert "+32,5 % dari bulan lalu" in month["text"]  # Indonesian decimal comma
    assert float(month["vsLastYear"]) == pytest.approx(23 / 30) and month["comparableYear"] == "false"
    assert "tidak sebanding" in month["text"]
    last_month, last_year = tile(browser, "last_month"), tile(browser, "last_year")
    assert (last_month["value"], last_month["complete"]) == ("40", "true")
    assert "1 Mei 2025 – 2 Mei 2025" in last_month["text"]
    assert (last_year["value"], last_year["complete"], last_year["coverage"]) == ("30", "false", "")
    assert "tutup" in last_year["text"]
    staffing = tile(browser, "staffing")
    assert staffing["state"] == "observed" and float(staffing["value"]) == pytest.approx(6 / 7)
    assert float(staffing["observed"]) == pytest.approx(7 / 8)
    assert "86 %" in staffing["text"] and "teramati 88 % dari jam buka" in staffing["text"]

    choose_range(browser, "heat", "custom", "2025-03-03", "2025-03-16")
    monday9 = heat_cell(browser, 0, 9)
    assert (monday9["state"], monday9["in"], monday9["mean"], monday9["text"]) == ("observed", "16", "8", "8")
    assert monday9["background"] not in ("", NOT_OBSERVED)
    tuesday9 = heat_cell(browser, 1, 9)  # no record: grey and "–", never a zero
    assert (tuesday9["state"], tuesday9["text"], tuesday9["background"]) == ("not_observed", "–", NOT_OBSERVED)
    wednesday13 = heat_cell(browser, 2, 13)  # half observed: grey, a lower bound
    assert (wednesday13["state"], wednesday13["text"], wednesday13["background"]) == (
        "not_observed", "≥1", NOT_OBSERVED,
    )  # fmt: skip
    assert heat_cell(browser, 2, 10)["state"] == "observed"
    saturday10 = heat_cell(browser, 5, 10)  # closed, counted
    assert (saturday10["state"], saturday10["in"], saturday10["text"]) == ("closed", "4", "2")
    assert heat_cell(browser, 6, 12)["text"] == ""  # closed and empty: blank
    states = browser.execute_script(
        "return [...document.querySelectorAll('#heat-table td')].map(td => td.dataset.state + ':' + td.textContent)"
    )
    assert not [s for s in states if s.startswith("not_observed:") and not s.endswith("–") and "≥" not in s]
    browser.save_screenshot(str(ARTIFACTS / "dashboard-heatmap.png"))

    # A year of staffing: months, staffed share beside observed share, grey where not observed.
    choose_range(browser, "staffing", "custom", "2025-03-01", "2025-08-31")  # 184 days: beyond the hourly view
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#heatmap tr[data-month]')].map(tr => ({month: tr.dataset.month,"
        " cells: [...tr.querySelectorAll('td')].map(td => ({text: td.textContent, state: td.dataset.state || null,"
        " background: td.style.backgroundColor}))}))"
    )
    assert [r["month"] for r in rows] == ["2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08"]
    by_month = {r["month"]: r["cells"] for r in rows}
    # Columns: dukcapil (% staffed, % observed), all gerai (% staffed, % observed).
    for grey in ("2025-03", "2025-04", "2025-05"):
        staffed = by_month[grey][0]
        assert (staffed["state"], staffed["text"], staffed["background"]) == ("not_observed", "–", NOT_OBSERVED)
    assert by_month["2025-03"][1]["text"] == "0 %" and by_month["2025-05"][1]["text"] == "5 %"
    june = by_month["2025-06"]
    assert (june[0]["state"], june[0]["text"], june[1]["text"]) == ("observed", "86 %", "88 %")
    assert june[0]["background"] not in ("", NOT_OBSERVED)
    assert by_month["2025-07"][0]["state"] == "closed"  # after now: not expected yet
    on = browser.find_element(By.CSS_SELECTOR, "[data-staffing-view=month]").get_attribute("class")
    assert "on" in (on or "")
    browser.save_screenshot(str(ARTIFACTS / "dashboard-staffing-months.png"))
    # Back to hours: a range the hourly view can show (today); to months again: a year of them.
    click_and_wait(browser, "staffing", "[data-staffing-view=hour]")
    assert browser.execute_script("return document.getElementById('heatmap').dataset.view") == "hour"
    assert browser.find_element(By.CSS_SELECTOR, "[data-range-card=staffing] select").get_attribute("value") == "today"
    click_and_wait(browser, "staffing", "[data-staffing-view=month]")
    months = browser.execute_script(
        "return [...document.querySelectorAll('#heatmap tr[data-month]')].map(tr => tr.dataset.month)"
    )
    assert months == [f"2024-{m:02}" for m in range(7, 13)] + [f"2025-{m:02}" for m in range(1, 7)]

    # English: every string of the page and of the new cards exists in both languages.
    loaded = browser.execute_script("return document.body.dataset.loaded")
    browser.find_element(By.ID, "lang").click()
    wait_loaded(browser, loaded)
    missing = browser.execute_script(
        "const keys = [...document.querySelectorAll('[data-i18n]')].map(el => el.dataset.i18n);"
        " return {id: keys.filter(k => !(k in I18N.id)), en: keys.filter(k => !(k in I18N.en)),"
        "  only_id: Object.keys(I18N.id).filter(k => !(k in I18N.en)),"
        "  only_en: Object.keys(I18N.en).filter(k => !(k in I18N.id))};"
    )
    assert missing == {"id": [], "en": [], "only_id": [], "only_en": []}
    assert "Visitors today" in tile(browser, "today")["text"]
    assert "+32.5 % on last month" in tile(browser, "month")["text"]
    assert browser.find_element(By.CSS_SELECTOR, "#card-heat h2").text == "Visitors by hour and weekday"
    assert heat_cell(browser, 0, 9)["text"] == "8"  # the heat map kept its own range through the reload
    options = browser.execute_script(
        "return [...document.querySelector('[data-range-card=heat] select').options].map(o => o.textContent)"
    )
    to_input = browser.find_element(By.CSS_SELECTOR, "[data-range-card=heat] [data-range-to]")
    assert to_input.get_attribute("title") == "To"
    assert options == ["Today", "7 days", "30 days", "This month", "Last month", "This year", "12 months",
                       "Custom range"]  # fmt: skip
    browser.save_screenshot(str(ARTIFACTS / "dashboard-analytics-en.png"))
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def test_phone_layout_with_ranges_tiles_and_heat_map(served: Served, browser: webdriver.Chrome) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 360, "height": 800, "deviceScaleFactor": 1, "mobile": True}
    )
    log_in(browser, served.url)
    choose_range(browser, "staffing", "12m")  # the widest table: a year of months
    choose_range(browser, "heat", "custom", "2025-03-03", "2025-03-16")
    sizes = browser.execute_script(
        "return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
        " right: Math.max(...[...document.querySelectorAll('.range, .kpi, .card')]"
        "  .map(e => e.getBoundingClientRect().right))};"
    )
    assert sizes["inner"] == 360 and sizes["scroll"] <= 360, sizes
    assert sizes["right"] <= 360, sizes  # range controls and tiles wrap inside the screen
    browser.save_screenshot(str(ARTIFACTS / "dashboard-analytics-360px.png"))
