"""The dashboard in a real headless Chromium against the app served by uvicorn on a seeded SqliteStore."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from collector.api import create_app
from collector.storage import open_store
from tests.conftest import REPO_ROOT
from tests.integration.test_api_stores import ADMIN_TOKEN, ApiSettings, seed
from tests.services import served_app

# 15:05 WIB on Monday 2 June 2025: the gerai's last minute (14:59) is "live".
NOW = datetime(2025, 6, 2, 8, 5, tzinfo=UTC)
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = pytest.mark.slow


@dataclass
class Served:
    url: str


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    store = open_store(f"sqlite:///{tmp_path / 'mpp.db'}")
    seed(store)
    app = create_app(ApiSettings(tmp_path / "var"), store, clock=lambda: NOW)
    with served_app(app) as url:
        yield Served(url)
    store.close()


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None or not Path(CHROMEDRIVER).exists():
        pytest.fail("chromium and /usr/bin/chromedriver are required (tests/system-packages.sh installs them)")
    profile = tempfile.mkdtemp(prefix="mpp-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,2400",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def chart_data(driver: webdriver.Chrome, canvas: str) -> dict[str, Any]:
    data: dict[str, Any] = driver.execute_script(
        "const c = Chart.getChart(arguments[0]); return c ? {labels: c.data.labels,"
        " datasets: c.data.datasets.map(d => ({label: d.label, data: d.data}))} : null;",
        canvas,
    )
    assert data is not None, f"no chart drawn on #{canvas}"
    return data


def wait_loaded(driver: webdriver.Chrome, after: str = "0") -> None:
    WebDriverWait(driver, 20).until(
        lambda d: int(d.execute_script("return document.body.dataset.loaded || '0'")) > int(after)
    )


def choose_range(
    driver: webdriver.Chrome, card: str, preset: str = "custom", start: str | None = None, end: str | None = None
) -> None:
    """Pick a card's range as a user does (a preset, or two dates typed into its date inputs) and wait
    until that card has loaded again."""
    before = driver.execute_script(f"return document.getElementById('card-{card}').dataset.loaded || '0'")
    control = driver.find_element(By.CSS_SELECTOR, f'[data-range-card="{card}"]')
    driver.execute_script(
        "const [el, preset, start, end] = arguments; const select = el.querySelector('select');"
        " select.value = preset; select.dispatchEvent(new Event('change'));"
        " if (preset === 'custom') { for (const [sel, v] of [['[data-range-from]', start], ['[data-range-to]', end]]) {"
        "   const input = el.querySelector(sel); input.value = v; input.dispatchEvent(new Event('change')); } }",
        control,
        preset,
        start,
        end,
    )
    # Each date typed reloads the card; done once the last reload is in.
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script(
            "const c = document.getElementById(arguments[0]).dataset;"
            " return Number(c.loaded || 0) > Number(arguments[1]) && c.pending === '0';",
            f"card-{card}",
            before,
        )
    )


def test_dashboard_renders_seeded_data_without_console_errors(served: Served, browser: webdriver.Chrome) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.get(served.url + "/")
    login = browser.find_element(By.ID, "login")
    assert login.is_displayed()
    assert not browser.find_element(By.ID, "site").is_displayed()  # nothing to pick or leave before logging in
    assert not browser.find_element(By.ID, "logout").is_displayed()
    assert browser.find_element(By.TAG_NAME, "h1").text == "Pengunjung MPP"  # Bahasa Indonesia by default
    browser.save_screenshot(str(ARTIFACTS / "dashboard-login.png"))

    browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait_loaded(browser)
    assert browser.find_element(By.ID, "site").is_displayed() and browser.find_element(By.ID, "logout").is_displayed()
    assert browser.execute_script("return localStorage.getItem('mpp.token')") == ADMIN_TOKEN
    assert browser.find_element(By.ID, "error").is_displayed() is False
    assert browser.find_element(By.ID, "login").is_displayed() is False

    footfall = chart_data(browser, "chart-footfall")  # last 30 days of 2 June 2025, WIB
    # Every day of the range has a bar now (days without a count too, each with its coverage).
    assert len(footfall["labels"]) == 30 and footfall["labels"][-1] == "2025-06-02"
    counted = {day: n for day, n in zip(footfall["labels"], footfall["datasets"][0]["data"], strict=True) if n}
    assert counted == {"2025-05-10": 10, "2025-05-31": 3, "2025-06-01": 5, "2025-06-02": 7}
    compare = chart_data(browser, "chart-compare")
    # Twelve months each, every month present (zero where nothing was counted).
    assert len(compare["labels"]) == 12 and compare["labels"][-2:] == ["2025-05", "2025-06"]
    assert [d["data"][-2:] for d in compare["datasets"]] == [[13, 12], [2, 4]]
    assert {n for d in compare["datasets"] for n in d["data"][:-2]} == {0}
    occupancy = chart_data(browser, "chart-occupancy")
    lines = {d["label"]: max(v for v in d["data"] if v is not None) for d in occupancy["datasets"]}
    assert lines == {"dukcapil – petugas": 1, "dukcapil – antrean": 2}  # staff and queue apart, never summed
    assert occupancy["labels"][0] == "08:00" and len(occupancy["labels"]) == 7 * 12

    shares = browser.execute_script(
        "return [...document.querySelectorAll('#heatmap td[data-share]')].map(td => td.dataset.share)"
    )
    assert shares[2] == "0.5"  # 10:00-10:59: empty for half an hour
    gaps = browser.find_element(By.ID, "gaps").text
    assert "2025-06-02 10:00–10:30 (30 menit)" in gaps
    live = browser.find_element(By.ID, "live").text
    assert "cam-gerai/dukcapil-staf" in live and "14:59" in live
    devices = browser.find_element(By.ID, "devices").text
    assert "cam-gerai" in devices and "daring" in devices
    assert "2025-06-02 15:59 WIB" in devices  # health seeded at 08:59:30 UTC, shown in the site's time
    browser.save_screenshot(str(ARTIFACTS / "dashboard-id.png"))

    loaded = browser.execute_script("return document.body.dataset.loaded")
    browser.find_element(By.CSS_SELECTOR, "[data-footfall=month]").click()
    WebDriverWait(browser, 10).until(lambda d: chart_data(d, "chart-footfall")["labels"][-1] == "2025-06")
    assert chart_data(browser, "chart-footfall")["datasets"][0]["data"][-2:] == [13, 12]
    browser.find_element(By.ID, "lang").click()
    wait_loaded(browser, loaded)
    assert browser.find_element(By.TAG_NAME, "h1").text == "MPP Visitors"
    assert "online" in browser.find_element(By.ID, "devices").text
    browser.save_screenshot(str(ARTIFACTS / "dashboard-en.png"))

    choose_range(browser, "occupancy", "7d")
    week = chart_data(browser, "chart-occupancy")  # hourly over 27 May - 2 June; only 2 June has data
    assert week["labels"][0] == "2025-06-02 08:00" and len(week["labels"]) == 7

    origins = browser.execute_script("return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)")
    assert set(origins) <= {served.url}, f"fetched from elsewhere: {set(origins)}"
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []


@pytest.mark.parametrize("width", [360, 390])
def test_phone_layout_fits_the_screen_and_names_gerai(served: Served, browser: webdriver.Chrome, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    named = httpx.put(
        f"{served.url}/api/v1/sites/mpp-jakarta/gerai/dukcapil",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        json={"name": "Dukcapil Kota", "zones": [
            {"device": "cam-gerai", "zone": "dukcapil-staf", "role": "staff"},
            {"device": "cam-gerai", "zone": "dukcapil-antri", "role": "queue"},
        ]},
    )  # fmt: skip
    assert named.status_code == 200, named.text
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": True}
    )
    browser.get(served.url + "/")
    browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait_loaded(browser)
    sizes = browser.execute_script(
        "const box = (id) => document.getElementById(id).getBoundingClientRect();"
        "return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
        " lang: box('lang').right, logout: box('logout').right,"
        " charts: [...document.querySelectorAll('canvas')].map((c) => c.getBoundingClientRect().height)};"
    )
    # A phone browser widens the layout viewport to fit overflowing content (465 px on a 390 px screen
    # before the fix), so both the viewport and the document must stay at the screen's width.
    assert sizes["inner"] == width, f"laid out {sizes['inner']} px wide on a {width} px screen"
    assert sizes["scroll"] <= sizes["inner"], f"page is {sizes['scroll']} px wide on a {width} px screen"
    assert sizes["lang"] <= width and sizes["logout"] <= width  # EN and Keluar on screen
    assert browser.find_element(By.ID, "lang").is_displayed() and browser.find_element(By.ID, "logout").is_displayed()
    assert min(sizes["charts"]) >= 200, f"charts too flat: {sizes['charts']}"
    # Names, not codes, on the occupancy cards once the admin has named the gerai.
    assert "Dukcapil Kota" in browser.find_element(By.ID, "live").text
    labels = {d["label"] for d in chart_data(browser, "chart-occupancy")["datasets"]}
    assert labels == {"Dukcapil Kota – petugas", "Dukcapil Kota – antrean"}
    browser.save_screenshot(str(ARTIFACTS / f"dashboard-{width}px.png"))
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def test_api_docs_render_from_the_server_alone(served: Served, browser: webdriver.Chrome) -> None:
    """/docs needs no CDN: a district office LAN may have no internet."""
    browser.get(served.url + "/docs")
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .info .title"))
    assert "MPP Counter API" in browser.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title").text
    paths = {e.text.replace("\u200b", "") for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/api/v1/footfall", "/api/v1/sites/{site}/footfall", "/healthz"} <= paths
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources and all(name.startswith(served.url) for name in resources), resources
