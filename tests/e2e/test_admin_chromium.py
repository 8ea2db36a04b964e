"""The admin screens and signed report links in a real headless Chromium, against the app served by
uvicorn on a seeded SqliteStore: edit a site's name and opening hours, add a local holiday, create a
site-scoped token and log in with it, open a signed report link without a token, and see an expired one
refused. Screenshots in test-artifacts/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from collector.api import create_app
from collector.storage import open_store
from tests.e2e.test_dashboard_chromium import ARTIFACTS, NOW, browser, wait_loaded
from tests.integration.test_api_stores import ADMIN_TOKEN, ApiSettings, seed
from tests.services import served_app

__all__ = ["browser"]  # the fixture, re-used
pytestmark = pytest.mark.slow


@dataclass
class Clocked:
    url: str
    clock: list[datetime]

    def get(self, path: str, token: str = ADMIN_TOKEN, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.url}/api/v1{path}", params=params, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Clocked]:
    """The dashboard on a clock the test moves (to let a report link expire)."""
    store = open_store(f"sqlite:///{tmp_path / 'mpp.db'}")
    seed(store)
    clock = [NOW]
    app = create_app(ApiSettings(tmp_path / "var"), store, clock=lambda: clock[0])
    with served_app(app) as url:
        yield Clocked(url, clock)
    store.close()


def login(driver: webdriver.Chrome, url: str, token: str) -> None:
    driver.get(url + "/")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait_loaded(driver)


def admin_loaded(driver: webdriver.Chrome, after: str = "0") -> str:
    """Waits for the admin card's next reload; its stamp."""
    WebDriverWait(driver, 20).until(
        lambda d: int(d.find_element(By.ID, "admin-card").get_attribute("data-loaded") or "0") > int(after)
    )
    return str(driver.find_element(By.ID, "admin-card").get_attribute("data-loaded"))


def status_text(driver: webdriver.Chrome) -> str:
    return str(driver.find_element(By.ID, "admin-status").text)


def no_console_errors(driver: webdriver.Chrome) -> None:
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def test_an_admin_edits_a_site_its_hours_and_a_local_holiday(served: Clocked, browser: webdriver.Chrome) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    login(browser, served.url, ADMIN_TOKEN)
    stamp = admin_loaded(browser)
    card = browser.find_element(By.ID, "admin-card")
    assert card.is_displayed() and card.find_element(By.TAG_NAME, "h2").text == "Administrasi"

    name = browser.find_element(By.CSS_SELECTOR, "#admin-sites tr:nth-child(2) input[data-field=name]")
    name.clear()
    name.send_keys("MPP DKI Jakarta")
    browser.find_element(By.CSS_SELECTOR, "#admin-sites button[data-site=mpp-jakarta]").click()
    stamp = admin_loaded(browser, stamp)
    assert status_text(browser) == "Tersimpan."
    assert served.get("/sites/mpp-jakarta").json()["name"] == "MPP DKI Jakarta"
    assert Select(browser.find_element(By.ID, "site")).first_selected_option.text == "MPP DKI Jakarta"

    saturday = browser.find_element(By.CSS_SELECTOR, "#admin-hours input[data-weekday='5']")
    assert saturday.get_attribute("value") == ""  # the default: Monday-Friday only
    assert "bawaan" in browser.find_element(By.ID, "admin-hours-source").text
    saturday.send_keys("8:00-12:00")
    browser.find_element(By.ID, "admin-hours-save").click()
    stamp = admin_loaded(browser, stamp)
    hours = served.get("/sites/mpp-jakarta/opening-hours").json()
    assert hours["source"] == "config"
    assert {"weekday": 5, "opens": "08:00", "closes": "12:00"} in hours["days"] and len(hours["days"]) == 6

    national = browser.find_element(By.CSS_SELECTOR, "#admin-holidays tr[data-day='2025-03-31']")
    assert "Idul Fitri" in national.text and "nasional" in national.text and "tutup" in national.text
    browser.execute_script("document.getElementById('admin-holiday-date').value = '2025-06-20'")
    browser.find_element(By.ID, "admin-holiday-name").send_keys("Hari Jadi Kota")
    browser.find_element(By.CSS_SELECTOR, "#admin-holiday-new button").click()
    stamp = admin_loaded(browser, stamp)
    row = browser.find_element(By.CSS_SELECTOR, "#admin-holidays tr[data-day='2025-06-20']")
    assert "Hari Jadi Kota" in row.text and "MPP ini" in row.text and "tutup" in row.text
    days = {h["date"]: h for h in served.get("/sites/mpp-jakarta/holidays", year=2025).json()["holidays"]}
    assert days["2025-06-20"]["closed"] and days["2025-06-20"]["source"] == "site"

    # A national holiday the MPP works through: opened with one click, struck through.
    browser.find_element(By.CSS_SELECTOR, "#admin-holidays button[data-day='2025-08-17']").click()
    stamp = admin_loaded(browser, stamp)
    worked = browser.find_element(By.CSS_SELECTOR, "tr[data-day='2025-08-17']")
    assert "opened" in str(worked.get_attribute("class")) and "buka" in worked.text
    browser.execute_script("arguments[0].scrollIntoView()", card)
    card.screenshot(str(ARTIFACTS / "admin-id.png"))

    browser.find_element(By.ID, "lang").click()
    WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#admin-card h2").text == "Administration"
    )
    admin_loaded(browser, stamp)
    assert "Eid al-Fitr" in browser.find_element(By.CSS_SELECTOR, "tr[data-day='2025-03-31']").text
    assert "this site" in browser.find_element(By.CSS_SELECTOR, "tr[data-day='2025-06-20']").text
    assert browser.find_element(By.ID, "admin-hours-save").text == "Save opening hours"
    card.screenshot(str(ARTIFACTS / "admin-en.png"))
    no_console_errors(browser)


def test_the_admin_card_fits_a_360_px_phone(served: Clocked, browser: webdriver.Chrome) -> None:
    browser.set_window_size(360, 1400)
    login(browser, served.url, ADMIN_TOKEN)
    admin_loaded(browser)
    width = browser.execute_script("return window.innerWidth")
    overflow = browser.execute_script("return document.documentElement.scrollWidth")
    assert overflow <= width, f"page {overflow} px wide on a {width} px screen"
    card = browser.find_element(By.ID, "admin-card")
    right = browser.execute_script("return arguments[0].getBoundingClientRect().right", card)
    assert right <= width
    browser.execute_script("arguments[0].scrollIntoView()", card)
    browser.save_screenshot(str(ARTIFACTS / "admin-360.png"))


def test_a_site_scoped_token_made_in_the_dashboard_reads_only_its_site(
    served: Clocked, browser: webdriver.Chrome
) -> None:
    login(browser, served.url, ADMIN_TOKEN)
    stamp = admin_loaded(browser)
    browser.find_element(By.ID, "admin-token-label").send_keys("Camat Menteng")
    Select(browser.find_element(By.ID, "admin-token-role")).select_by_value("viewer")
    Select(browser.find_element(By.ID, "admin-token-sites")).select_by_value("mpp-jakarta")
    browser.find_element(By.CSS_SELECTOR, "#admin-token-new button").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "admin-secret-box").is_displayed())
    secret = str(browser.find_element(By.ID, "admin-secret").get_attribute("value"))
    assert len(secret) >= 40
    assert "hanya ditampilkan sekali" in browser.find_element(By.ID, "admin-secret-box").text
    listed = browser.find_element(By.ID, "admin-tokens").text
    assert "Camat Menteng" in listed and secret not in listed
    assert secret not in str(browser.execute_script("return JSON.stringify(localStorage)"))
    secret_box = browser.find_element(By.ID, "admin-secret-box")
    browser.execute_script("arguments[0].scrollIntoView()", secret_box)
    secret_box.screenshot(str(ARTIFACTS / "admin-token-created.png"))
    browser.find_element(By.ID, "admin-secret-hide").click()
    assert browser.find_element(By.ID, "admin-secret").get_attribute("value") == ""
    tokens = served.get("/tokens").json()
    assert [t["sites"] for t in tokens if t["label"] == "Camat Menteng"] == [["mpp-jakarta"]]
    assert all("token" not in t for t in tokens)  # the secret is never shown again
    del stamp

    browser.find_element(By.ID, "logout").click()
    login(browser, served.url, secret)
    options = [o.get_attribute("value") for o in browser.find_elements(By.CSS_SELECTOR, "#site option")]
    assert options == ["mpp-jakarta"]
    time.sleep(0.5)  # admin.js has asked /me by now
    assert not browser.find_element(By.ID, "admin-card").is_displayed()
    assert served.get("/sites/mpp-jakarta/footfall", token=secret).status_code == 200
    refused = served.get("/sites/mpp-makassar/footfall", token=secret)
    assert refused.status_code == 403 and "may not read site" in refused.json()["detail"]
    browser.save_screenshot(str(ARTIFACTS / "admin-scoped-viewer.png"))
    no_console_errors(browser)


def test_a_signed_report_link_opens_without_a_token_and_is_refused_once_expired(
    served: Clocked, browser: webdriver.Chrome
) -> None:
    login(browser, served.url, ADMIN_TOKEN)
    browser.execute_script("document.getElementById('report-month').value = '2025-05'")
    Select(browser.find_element(By.ID, "link-days")).select_by_value("1")
    browser.find_element(By.ID, "report-link").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "link-box").is_displayed())
    url = str(browser.find_element(By.ID, "link-url").get_attribute("value"))
    assert url.startswith(f"{served.url}/reports/monthly?site=mpp-jakarta&month=2025-05&exp=") and "sig=" in url
    assert "berlaku sampai" in browser.find_element(By.ID, "link-expires").text
    browser.find_element(By.ID, "lang").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "report-link").text == "Create link")
    assert browser.find_element(By.CSS_SELECTOR, "#link-days option[value='7']").text == "7 days"
    browser.find_element(By.ID, "lang").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "report-link").text == "Buat tautan")
    report_card = browser.find_element(By.ID, "report-link").find_element(By.XPATH, "./../..")
    browser.execute_script("arguments[0].scrollIntoView()", report_card)
    report_card.screenshot(str(ARTIFACTS / "report-link-card.png"))

    # "Buka laporan" opens the same kind of stable URL in a new tab, not a blob: URL.
    main = browser.current_window_handle
    browser.find_element(By.ID, "report-html").click()
    WebDriverWait(browser, 20).until(lambda d: len(d.window_handles) == 2)
    browser.switch_to.window(next(h for h in browser.window_handles if h != main))
    WebDriverWait(browser, 20).until(lambda d: "/reports/monthly?" in d.current_url)
    assert not browser.current_url.startswith("blob:")
    browser.close()
    browser.switch_to.window(main)

    browser.find_element(By.ID, "logout").click()
    assert browser.execute_script("return localStorage.getItem('mpp.token')") is None
    browser.get(url)
    assert "2025" in browser.title or "mpp-jakarta" in browser.page_source
    assert "Mei 2025" in browser.page_source or "2025-05" in browser.page_source
    browser.save_screenshot(str(ARTIFACTS / "report-link-open.png"))

    served.clock[0] = NOW + timedelta(days=1, seconds=1)
    browser.get(url)
    refused = browser.find_element(By.ID, "refused")
    assert refused.get_attribute("data-reason") == "expired"
    assert refused.text == "Tautan laporan ini sudah kedaluwarsa."
    assert "This report link has expired." in browser.page_source
    assert httpx.get(url).status_code == 403
    browser.save_screenshot(str(ARTIFACTS / "report-link-expired.png"))
