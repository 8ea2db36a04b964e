"""The device's config file watch: only a valid change of lines and zones is handed on."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from edge.config import EdgeConfig, load_config
from edge.config_reload import GeometryReloader

BASE = {
    "site": "kobar",
    "device": "pintu-1",
    "source": "rtsp://cam/live",
    "lines": [{"name": "pintu", "points": [[0.4, 0.2], [0.4, 0.9]]}],
}


def write(path: Path, data: dict[str, object]) -> None:
    path.write_text(yaml.safe_dump(data))


def test_only_valid_geometry_changes_are_applied(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "edge.yaml"
    write(path, BASE)
    applied: list[EdgeConfig] = []
    reloader = GeometryReloader(path, load_config(path), applied.append)
    assert not reloader.check()  # unchanged

    moved = {**BASE, "lines": [{"name": "pintu", "points": [[0.5, 0.2], [0.5, 0.9]]}]}
    write(path, moved)
    assert reloader.check()
    assert applied[-1].lines[0].points[0].x == 0.5

    with caplog.at_level(logging.WARNING):
        path.write_text("site: kobar\ndevice: pintu-1\nsource: x\nlines:\n  - {name: a b, points: [[0, 0], [1, 1]]}\n")
        assert not reloader.check()
    assert "not valid; counting goes on as before" in caplog.text and "'a b' is not a valid name" in caplog.text

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        write(path, {**moved, "interval_s": 300, "zones": [{"name": "q", "points": [[0, 0], [1, 0], [1, 1]]}]})
        assert reloader.check()
    assert "interval_s changed; restart the service to apply" in caplog.text
    # The new geometry on the running settings: the interval changes only with a restart.
    assert applied[-1].interval_s == 60 and [z.name for z in applied[-1].zones] == ["q"]
    assert len(applied) == 2
