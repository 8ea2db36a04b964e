"""The dashboard's copy of an API limit equals the API's own."""

from __future__ import annotations

import re

from collector.api.app import STATIC_DIR
from collector.report.footfall import MAX_COMPARED_SITES
from collector.report.periods import MAX_VIEW_SPAN


def test_dashboard_compares_as_many_sites_as_the_api_accepts() -> None:
    script = (STATIC_DIR / "app.js").read_text()
    found = re.findall(r"^const MAX_COMPARED_SITES = (\d+);$", script, re.MULTILINE)
    assert found == [str(MAX_COMPARED_SITES)]
    assert "slice(0, 20)" not in script  # every use goes through the constant


def test_dashboard_switches_staffing_to_months_where_the_hourly_view_stops() -> None:
    script = (STATIC_DIR / "analytics.js").read_text()
    found = re.findall(r"^const HOURLY_STAFFING_MAX_DAYS = (\d+);", script, re.MULTILINE)
    assert found == [str(MAX_VIEW_SPAN.days)]
