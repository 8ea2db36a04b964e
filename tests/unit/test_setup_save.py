"""Saving the setup page's geometry: through the config model, the old file kept, its mode kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from edge.config import ConfigError, load_config
from edge.setup.server import parse_listen, save_geometry

ORIGINAL = "# pintu utama\nsite: kobar\ndevice: pintu-1\nsource: rtsp://cam/live\ninterval_s: 300\n"
LINE = {"name": "pintu", "role": "entrance", "points": [[0.4, 0.2], [0.4, 0.9]]}


def test_a_valid_geometry_is_saved_beside_a_backup_with_the_same_mode(tmp_path: Path) -> None:
    path = tmp_path / "edge.yaml"
    path.write_text(ORIGINAL)
    path.chmod(0o640)
    config = save_geometry(path, [LINE], [])
    assert config.lines[0].name == "pintu"
    saved = yaml.safe_load(path.read_text())
    assert saved["interval_s"] == 300 and saved["lines"] == [LINE]  # other settings kept
    assert load_config(path).lines == config.lines
    assert (tmp_path / "edge.yaml.bak").read_text() == ORIGINAL
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edge.yaml", "edge.yaml.bak"]


def test_an_invalid_geometry_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "edge.yaml"
    path.write_text(ORIGINAL)
    with pytest.raises(ConfigError, match="above 1: coordinates are normalised"):
        save_geometry(path, [{**LINE, "points": [[320, 100], [320, 400]]}], [])
    assert path.read_text() == ORIGINAL
    assert [p.name for p in tmp_path.iterdir()] == ["edge.yaml"]


@pytest.mark.parametrize(
    ("value", "expected"), [("192.168.1.20:8080", ("192.168.1.20", 8080)), ("[::1]:8080", ("::1", 8080))]
)
def test_listen_addresses(value: str, expected: tuple[str, int]) -> None:
    assert parse_listen(value, allow_all_interfaces=False) == expected
    assert parse_listen("0.0.0.0:8080", allow_all_interfaces=True) == ("0.0.0.0", 8080)
    with pytest.raises(ConfigError, match="expected HOST:PORT"):
        parse_listen("8080", allow_all_interfaces=False)
