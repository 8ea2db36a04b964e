"""The dashboard's copy of an API limit equals the API's own."""

from __future__ import annotations

import re

from collector.api.app import STATIC_DIR
from collector.report.footfall import MAX_COMPARED_SITES


def test_dashboard_compares_as_many_sites_as_the_api_accepts() -> None:
    script = (STATIC_DIR / "app.js").read_text()
    found = re.findall(r"^const MAX_COMPARED_SITES = (\d+);$", script, re.MULTILINE)
    assert found == [str(MAX_COMPARED_SITES)]
    assert "slice(0, 20)" not in script  # every use goes through the constant
