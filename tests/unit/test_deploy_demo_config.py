"""The demo's generated device configs are valid edge configs that map the
clip onto today's hours so far, its settings fail with clear messages, it can
start again right after a stop, and its terminal lines stay whole."""

from __future__ import annotations

import io
import socket
import sys
import threading
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from setuptools import find_packages

from demo.assets import resolve_model, resolve_video
from demo.edge_config import edge_config, replay_starts
from demo.settings import SITE, DemoError, say, settings_from_env
from demo.supervision import port_is_free
from edge.config import parse_config
from tests.conftest import REPO_ROOT


def test_generated_config_is_a_valid_edge_config_with_entrance_staff_and_queue(tmp_path: Path) -> None:
    settings = settings_from_env({"MPP_API_TOKEN": "t"}, tmp_path)
    start = replay_starts(datetime(2026, 3, 2, 15, 30, tzinfo=ZoneInfo("Asia/Jakarta")))[0]
    data = edge_config(settings, "mqtt://user:secret@127.0.0.1:1884", "clip.mp4", "model_dir", start)
    text = yaml.safe_dump(data)
    assert "secret" not in text, "passwords never go into a config file"
    config = parse_config(yaml.safe_load(text), "demo")
    assert (config.site, config.device) == (SITE, "cam-1")
    assert config.mqtt.url == "mqtt://127.0.0.1:1884"
    assert config.mqtt.username == "user"
    assert config.mqtt.password_env == "MPP_DEMO_MQTT_PASSWORD"
    assert [line.role for line in config.lines] == ["entrance"]
    assert {(zone.role, zone.gerai) for zone in config.zones} == {("staff", "gerai-1"), ("queue", "gerai-1")}
    assert config.video_start is not None
    assert config.video_start.isoformat() == "2026-03-02T08:00:00+07:00"
    assert config.outbox.path == tmp_path / "var/demo/outbox.db"


def test_replays_cover_the_hours_of_today_that_have_begun_at_most_eight() -> None:
    wib = ZoneInfo("Asia/Jakarta")
    afternoon = replay_starts(datetime(2026, 3, 2, 15, 30, tzinfo=wib))
    assert [s.hour for s in afternoon] == list(range(8, 16))
    assert all(s.date() == date(2026, 3, 2) and s.utcoffset() == timedelta(hours=7) for s in afternoon)
    # 00:20 UTC is 07:20 WIB: today's hours 00:00..07:00, nothing in the future.
    early = replay_starts(datetime(2026, 3, 2, 0, 20, tzinfo=UTC))
    assert [s.hour for s in early] == list(range(0, 8))
    assert replay_starts(datetime(2026, 3, 2, 0, 5, tzinfo=wib)) == [datetime(2026, 3, 2, tzinfo=wib)]


def test_environment_is_honoured_and_a_token_is_generated_otherwise(tmp_path: Path) -> None:
    given = settings_from_env({"MPP_LISTEN": "0.0.0.0:9000", "MPP_API_TOKEN": "abc"}, tmp_path)
    assert (given.listen_host, given.listen_port, given.api_token, given.token_generated) == (
        "0.0.0.0",
        9000,
        "abc",
        False,
    )
    assert given.dashboard_url == "http://127.0.0.1:9000/"
    first, second = settings_from_env({}, tmp_path), settings_from_env({}, tmp_path)
    assert first.token_generated and len(first.api_token) >= 24
    assert first.api_token != second.api_token


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MPP_LISTEN": "8080"}, "MPP_LISTEN"),
        ({"MQTT_PORT": "x"}, "MQTT_PORT"),
    ],
)
def test_bad_settings_name_the_variable(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    with pytest.raises(DemoError, match=message):
        settings_from_env(environ, tmp_path)


def test_assets_prefer_overrides_then_shared_then_online_defaults(tmp_path: Path, shared: Path) -> None:
    with pytest.raises(DemoError, match="VIDEO: no such file"):
        resolve_video(settings_from_env({"VIDEO": str(tmp_path / "missing.mp4")}, tmp_path))
    offline = settings_from_env({"MPP_SHARED_DIR": str(shared)}, tmp_path)
    assert resolve_video(offline).endswith("TUD-Stadtmitte.mp4")
    assert resolve_model(offline).endswith("yolov8n_int8_openvino_model")
    assert resolve_model(settings_from_env({"MPP_SHARED_DIR": str(tmp_path)}, tmp_path)) == "yolo11n.pt"
    assert resolve_model(settings_from_env({"MODEL": "m.onnx"}, tmp_path)) == "m.onnx"


def test_the_demo_is_a_program_apart_not_in_the_installed_packages() -> None:
    include = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = find_packages(str(REPO_ROOT), include=include["include"])
    assert {"wire", "edge", "collector"} <= set(packages)
    assert [p for p in packages if p.split(".")[0] == "demo"] == []
    assert not (REPO_ROOT / "collector" / "demo.py").exists()


def test_a_port_left_in_time_wait_is_free_but_one_with_a_listener_is_not() -> None:
    # A stopped collector leaves its closed connections in TIME_WAIT for a minute; `make demo` again
    # at once must start, as the collector's own server (SO_REUSEADDR) would bind.
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
        with socket.create_connection(("127.0.0.1", port)) as client:
            connection, _ = server.accept()
            connection.close()  # the server side closes first: its end waits in TIME_WAIT
            assert client.recv(1) == b""
    assert port_is_free("127.0.0.1", port)


class WriteLog(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_each_line_said_is_one_write_so_threads_cannot_splice_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    out = WriteLog()
    monkeypatch.setattr(sys, "stdout", out)
    said = [threading.Thread(target=say, args=(f"line {n}",)) for n in range(20)]
    for thread in said:
        thread.start()
    for thread in said:
        thread.join()
    assert sorted(out.writes) == sorted(f"line {n}\n" for n in range(20))
    assert sorted(out.getvalue().splitlines()) == sorted(f"line {n}" for n in range(20))
