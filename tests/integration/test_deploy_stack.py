"""Deployment files: docker-compose validates (Debian's docker-compose 1.29,
offline, no engine needed), every host path it mounts exists, and each
InfluxQL query of the provisioned Grafana dashboard runs against the real
InfluxDB after seeding it through the collector's InfluxStore."""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from collector.storage import open_store
from collector.storage.base import Batch, DeadLetter
from tests.conftest import REPO_ROOT
from tests.services import InfluxServer, require_binary
from wire import CameraState, DeviceState, Health, LineCounts, Status, ZoneOccupancy

DASHBOARD = REPO_ROOT / "deploy/grafana/dashboards/mpp-overview.json"
DATASOURCE = REPO_ROOT / "deploy/grafana/provisioning/datasources/influxdb.yaml"
SECRETS = {
    "INFLUXDB_ADMIN_PASSWORD": "a1",
    "INFLUXDB_USER_PASSWORD": "u1",
    "INFLUXDB_READ_USER_PASSWORD": "r1",
    "MPP_COLLECTOR_MQTT_PASSWORD": "c1",
    "MPP_API_TOKEN": "t1",
    "GRAFANA_ADMIN_PASSWORD": "g1",
}


def compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    binary = require_binary("docker-compose")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("INFLUXDB_", "MPP_", "GRAFANA_"))}
    return subprocess.run(
        [binary, "--project-directory", str(REPO_ROOT), "-f", str(REPO_ROOT / "docker-compose.yml"), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
    )


def test_compose_config_validates_with_secrets_and_names_a_missing_one() -> None:
    result = compose("--profile", "edge", "config", env=SECRETS)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert set(config["services"]) == {"mosquitto", "influxdb", "collector", "grafana", "edge"}
    collector_env = config["services"]["collector"]["environment"]
    assert collector_env["MPP_STORE_URL"] == "influxdb://mpp:u1@influxdb:8086/mpp"
    assert collector_env["MPP_MQTT_URL"] == "mqtt://collector@mosquitto:1883"  # no password in the URL
    assert collector_env["MPP_MQTT_PASSWORD"] == "c1"

    # Grafana's provisioned datasource reads its account from the container environment.
    wanted = set(re.findall(r"\$\{(\w+)\}", DATASOURCE.read_text()))
    grafana_env = config["services"]["grafana"]["environment"]
    assert wanted <= set(grafana_env), f"Grafana lacks {wanted - set(grafana_env)}"
    assert grafana_env["INFLUXDB_READ_USER"] == config["services"]["influxdb"]["environment"]["INFLUXDB_READ_USER"]

    # `up` without --profile starts only the services that have no profile.
    profiled = {name for name, service in config["services"].items() if service.get("profiles")}
    assert profiled == {"edge"}
    assert config["services"]["edge"]["profiles"] == ["edge"]

    missing = compose("config", "-q", env={k: v for k, v in SECRETS.items() if k != "MPP_API_TOKEN"})
    assert missing.returncode != 0
    assert "MPP_API_TOKEN" in missing.stderr


def test_compose_mounts_and_builds_point_at_files_in_the_repository() -> None:
    result = compose("--profile", "edge", "config", env=SECRETS)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    checked = 0
    for name, service in config["services"].items():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            if not source.startswith("/") or source.endswith("var/clips"):
                continue  # named volumes; the clips folder is the user's
            assert Path(source).exists(), f"{name} mounts {source}, which is not in the repository"
            checked += 1
        if "build" in service:
            dockerfile = Path(service["build"]["context"]) / service["build"]["dockerfile"]
            assert dockerfile.is_file(), f"{name} builds from missing {dockerfile}"
    assert checked == 4  # deploy/mosquitto, two Grafana folders, the replay config
    mosquitto_conf = (REPO_ROOT / "deploy/mosquitto/mosquitto.conf").read_text()
    assert "allow_anonymous false" in mosquitto_conf
    for path in re.findall(r"^(?:password_file|acl_file)\s+(\S+)", mosquitto_conf, re.MULTILINE):
        assert path.startswith("/mosquitto/config/"), f"{path} is outside the mounted deploy/mosquitto/"


def test_collector_image_installs_the_collector_extra_without_the_edge() -> None:
    dockerfile = (REPO_ROOT / "deploy/collector/Dockerfile").read_text()
    assert "'.[collector]'" in dockerfile
    assert "COPY edge" not in dockerfile
    assert 'ENTRYPOINT ["mpp-collector"]' in dockerfile


def test_edge_replay_config_for_compose_is_valid() -> None:
    from edge.config import load_config

    config = load_config(REPO_ROOT / "deploy/edge/replay.yaml")
    assert config.mqtt.host == "mosquitto"
    assert config.mqtt.password_env == "MPP_MQTT_PASSWORD"


def test_systemd_units_restart_always_and_run_the_installed_commands() -> None:
    for unit, command in (
        ("deploy/pi/mpp-edge.service", "/opt/mpp-counter/.venv/bin/mpp-edge run --config /etc/mpp/edge.yaml"),
        ("deploy/collector/mpp-collector.service", "/opt/mpp-counter/.venv/bin/mpp-collector"),
    ):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(REPO_ROOT / unit)
        assert parser["Service"]["Restart"] == "always", unit
        assert parser["Service"]["ExecStart"] == command, unit
        assert parser["Service"]["User"], unit
    install = REPO_ROOT / "deploy/pi/install.sh"
    assert subprocess.run(["bash", "-n", str(install)], capture_output=True).returncode == 0
    assert "--system-site-packages" in install.read_text()
    assert "python3-picamera2" in install.read_text()
    # No battery-backed clock: the counter waits for NTP (time-sync.target, held by time-wait-sync).
    assert "time-sync.target" in parser_after(REPO_ROOT / "deploy/pi/mpp-edge.service")
    assert "systemctl enable systemd-time-wait-sync.service" in install.read_text()
    chrony = (REPO_ROOT / "deploy/collector/chrony-mpp.conf").read_text().splitlines()
    assert "local stratum 10" in chrony and "allow 192.168.0.0/16" in chrony


def parser_after(unit: Path) -> list[str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(unit)
    return parser["Unit"]["After"].split()


# --- Grafana dashboard against the real InfluxDB ------------------------------


def dashboard_queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [
        (f"{panel['title']} [{target['refId']}]", target["query"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]
    queries += [(f"variable {v['name']}", v["query"]) for v in dashboard["templating"]["list"]]
    return queries


def concrete(query: str) -> str:
    """Replace Grafana's macros the way Grafana would for site `demo`, last 7 days."""
    return query.replace("$timeFilter", "time > now() - 7d").replace("$__interval", "1h").replace("$site", "demo")


def influxql(server: InfluxServer, database: str, query: str) -> dict[str, Any]:
    url = f"{server.url}/query?" + urllib.parse.urlencode({"db": database, "q": query})
    with urllib.request.urlopen(url, timeout=10) as response:
        body: dict[str, Any] = json.loads(response.read())
    return body


def seed(server: InfluxServer, database: str) -> None:
    store = open_store(f"influxdb://{server.url.split('://')[1]}/{database}")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(hours=3)
    common = {"site": "demo", "device": "cam-1", "timezone": "Asia/Jakarta", "interval_s": 60, "observed_s": 60.0}
    counts, occupancy = [], []
    for minute in range(0, 180, 10):
        at = start + timedelta(minutes=minute)
        counts.append(
            LineCounts(**common, interval_start=at, line="entrance", role="entrance", in_count=3, out_count=2)
        )
        occupancy.append(
            ZoneOccupancy(
                **common, interval_start=at, zone="gerai-1-staff", role="staff", gerai="gerai-1",
                mean_count=0.8, max_count=1, occupied_s=48.0, visits=1,
            )
        )  # fmt: skip
        occupancy.append(
            ZoneOccupancy(
                **common, interval_start=at, zone="gerai-1-queue", role="queue", gerai="gerai-1",
                mean_count=1.5, max_count=3, occupied_s=60.0, visits=2, dwells_s=(30.0, 95.5),
            )
        )  # fmt: skip
    health = Health(
        site="demo", device="cam-1", timezone="Asia/Jakarta", ts=now, fps=14.5, effective_fps=9.0, gating_share=0.4,
        last_frame_age_s=0.1, camera_state=CameraState.OK, outbox_depth=0, dropped_records=0, reconnects=1,
        cpu_temp_c=51.0, model="yolov8n", software_version="0.1.0", uptime_s=3600.0,
    )  # fmt: skip
    status = Status(site="demo", device="cam-1", state=DeviceState.ONLINE, ts=now)
    dead = DeadLetter(received_at=now, topic="mpp/v1/x/y/counts", reason="payload is not JSON", payload_excerpt="{")
    store.write(Batch(counts=counts, occupancy=occupancy, health=[health], status=[status], dead_letters=[dead]))
    store.close()


@pytest.mark.slow
def test_every_dashboard_query_runs_on_real_influxdb_and_finds_the_seeded_data(influxdb: InfluxServer) -> None:
    datasource = yaml.safe_load(DATASOURCE.read_text())["datasources"][0]
    dashboard = json.loads(DASHBOARD.read_text())
    assert {p["datasource"]["uid"] for p in dashboard["panels"]} == {datasource["uid"]}
    assert datasource["type"] == "influxdb"

    database = "deploy_dashboard"
    seed(influxdb, database)
    queries = dashboard_queries()
    assert len(queries) >= 8
    empty = []
    for name, query in queries:
        macro = re.search(r"\$(?!/)", concrete(query))  # a regex's end anchor `$/` is not a macro
        assert macro is None, f"{name}: unreplaced macro in {concrete(query)}"
        body = influxql(influxdb, database, concrete(query))
        for result in body["results"]:
            assert "error" not in result, f"{name}: {result['error']}\n{concrete(query)}"
        if not any(result.get("series") for result in body["results"]):
            empty.append(name)
    # Every panel is fed by the measurements the collector writes.
    assert not empty, f"queries that found none of the seeded data: {empty}"

    day = influxql(influxdb, database, concrete(dashboard_queries()[1][1]))
    totals = [row[1] for s in day["results"][0]["series"] for row in s["values"] if row[1]]
    assert sum(totals) == 18 * 3, "daily footfall sums the seeded in_count"
