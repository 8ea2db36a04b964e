"""The collector's HTTP API as the demo uses it: liveness and the admin settings of its sites."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import datetime

from demo import history
from demo.settings import SITE, TIMEZONE, DemoError


def healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "healthz", timeout=1) as response:  # noqa: S310 - our own local URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def put(base_url: str, token: str, path: str, body: object) -> None:
    request = urllib.request.Request(  # noqa: S310 - our own local http URL
        f"{base_url}api/v1/{path}",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - our own local URL
            pass
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode(errors="replace")
        raise DemoError(f"the collector refused PUT /api/v1/{path}: {exc.code} {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DemoError(f"cannot reach the collector's API for /api/v1/{path}: {exc}") from None


def configure_site(base_url: str, token: str, starts: Sequence[datetime]) -> None:
    """Name the demo site and open it every day during the replayed hours, so that
    the staffing view has opening hours to measure."""
    closes = "23:59" if starts[-1].hour == 23 else f"{starts[-1].hour + 1:02d}:00"
    days = [{"weekday": day, "opens": f"{starts[0].hour:02d}:00", "closes": closes} for day in range(7)]
    put(base_url, token, f"sites/{SITE}", {"name": "Video demo (rekaman langsung)", "timezone": TIMEZONE})
    put(base_url, token, f"sites/{SITE}/opening-hours", {"days": days, "holidays": []})


def configure_simulated_sites(base_url: str, token: str) -> None:
    """Name the simulated MPPs and their gerai, and set their opening hours and holidays."""
    for site, name in history.site_names():
        put(base_url, token, f"sites/{site}", {"name": name, "timezone": history.TIMEZONE})
        put(base_url, token, f"sites/{site}/opening-hours", history.opening_hours())
        for gerai, body in history.gerai_settings():
            put(base_url, token, f"sites/{site}/gerai/{gerai}", body)
