"""The dashboard's alert card in a real headless Chromium: the site's episodes, Bahasa Indonesia first, EN too."""

from __future__ import annotations

from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from collector.alerts.evaluate import Finding
from collector.alerts.history import AlertDb
from collector.alerts.rules import AlertKind
from tests.e2e.test_dashboard_chromium import ARTIFACTS, NOW, Served, browser, served, wait_loaded
from tests.integration.test_api_stores import ADMIN_TOKEN

__all__ = ["browser", "served"]  # the fixtures, re-used


def alerts_text(driver: webdriver.Chrome) -> str:
    return str(driver.find_element(By.ID, "alerts").text)


def test_the_alert_card_lists_the_sites_episodes_in_both_languages(
    served: Served, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    db = AlertDb(tmp_path / "var" / "admin.db")  # the served app's admin db
    detail: dict[str, float | str] = {"silent_open_s": 1200.0, "last_seen": "2025-06-02T07:45:00+00:00"}
    silent = Finding(AlertKind.DEVICE_SILENT, "cam-gerai", "cam-gerai", True, detail)
    db.apply("mpp-jakarta", [silent], [], ["email", "webhook"], NOW)
    (alert,) = db.due(NOW)[:1]
    db.delivered(alert.alert.id, "email", NOW)
    unstaffed = Finding(AlertKind.GERAI_UNSTAFFED, "dukcapil", "Dukcapil", True, {"unstaffed_open_s": 3600.0})
    db.apply("mpp-jakarta", [unstaffed], [("device_silent", "cam-gerai")], ["email"], NOW)
    db.close()

    ARTIFACTS.mkdir(exist_ok=True)
    browser.get(served.url + "/")
    browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait_loaded(browser)
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "alerts").get_attribute("data-count") == "2")
    card = browser.find_element(By.ID, "alerts-card")
    assert card.find_element(By.TAG_NAME, "h2").text == "Peringatan"
    text = alerts_text(browser)
    assert "gerai Dukcapil tanpa petugas selama 60 menit jam layanan" in text and "masih aktif" in text
    silent_line = "cam-gerai tidak mengirim data selama 20 menit jam layanan (terakhir terlihat 02-06-2025 14:45)"
    assert silent_line in text
    assert "email: terkirim" in text and "webhook: menunggu" in text
    assert text.index("Dukcapil") < text.index("cam-gerai")  # newest first
    browser.execute_script("arguments[0].scrollIntoView()", card)
    card.screenshot(str(ARTIFACTS / "dashboard-alerts-id.png"))

    browser.find_element(By.ID, "lang").click()
    WebDriverWait(browser, 20).until(lambda d: "still open" in alerts_text(d))
    assert card.find_element(By.TAG_NAME, "h2").text == "Alerts"
    assert "gerai Dukcapil has had no staff for 60 minutes of opening time" in alerts_text(browser)
    card.screenshot(str(ARTIFACTS / "dashboard-alerts-en.png"))
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
