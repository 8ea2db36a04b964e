"""The device config of one replay of the clip, checked against the edge's own schema."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from demo.settings import DEVICE, SITE, TIMEZONE, DemoError, DemoSettings
from edge.config import ConfigError, parse_config
from wire.vocabulary import CountingRole

# One replay of the clip per hour: the hours of today that have begun, the
# latest REPLAY_HOURS of them, so that every view (staffing, live occupancy)
# has data in the past whatever the time of day.
REPLAY_HOURS = 8
# The edge reads an MQTT_URL password from this variable (configs hold no secrets).
PASSWORD_VARIABLE = "MPP_DEMO_MQTT_PASSWORD"  # noqa: S105 - a variable name, not a password

# Geometry drawn for TUD-Stadtmitte (640x480, a pedestrian street): people
# walking right-to-left across x=0.58 count `in`; a person standing at the
# left shop front fills the staff zone, people stopping on the right the queue.
DEMO_LINES = ({"name": "entrance", "role": CountingRole.ENTRANCE.value, "points": [[0.58, 0.35], [0.58, 0.95]]},)
DEMO_ZONES = (
    {
        "name": "gerai-1-staff",
        "role": CountingRole.STAFF.value,
        "gerai": "gerai-1",
        "points": [[0.2, 0.42], [0.44, 0.42], [0.44, 0.62], [0.2, 0.62]],
    },
    {
        "name": "gerai-1-queue",
        "role": CountingRole.QUEUE.value,
        "gerai": "gerai-1",
        "points": [[0.6, 0.44], [0.86, 0.44], [0.86, 0.62], [0.6, 0.62]],
    },
)


def edge_config(
    settings: DemoSettings, mqtt_url: str, video: str, model: str, video_start: datetime
) -> dict[str, object]:
    """One device config (edge/config.py's schema) for one replay of the clip."""
    parts = urlsplit(mqtt_url)
    mqtt: dict[str, object] = {"url": f"{parts.scheme}://{parts.hostname}:{parts.port or 1883}"}
    if parts.username:
        mqtt["username"] = parts.username
    if parts.password:
        mqtt["password_env"] = PASSWORD_VARIABLE
    config: dict[str, object] = {
        "site": SITE,
        "device": DEVICE,
        "timezone": TIMEZONE,
        "source": video,
        "video_start": video_start.isoformat(),
        "model": model,
        # The clip lasts ~7 s: 10-s intervals are mostly observed, so the staffing
        # view counts them (it treats intervals observed under half as unobserved).
        "interval_s": 10,
        "lines": [dict(line) for line in DEMO_LINES],
        "zones": [dict(zone) for zone in DEMO_ZONES],
        "mqtt": mqtt,
        "outbox": {"path": str(settings.work_dir / "outbox.db")},
    }
    try:
        parse_config(config, "demo edge config")
    except ConfigError as exc:
        raise DemoError(str(exc)) from None
    return config


def replay_starts(now: datetime, timezone: str = TIMEZONE) -> list[datetime]:
    """Starts of today's latest REPLAY_HOURS hours that have begun by ``now``, site-local."""
    local = now.astimezone(ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    first = max(0, local.hour - REPLAY_HOURS + 1)
    # Wall-clock hours: replace() keeps each start on the hour across any DST change.
    return [midnight.replace(hour=hour) for hour in range(first, local.hour + 1)]
