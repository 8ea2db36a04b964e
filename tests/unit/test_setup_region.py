"""The setup page's detection region: the device's answer for the lines and zones being edited,
over HTTP, with ``detection_crop`` on and off (edge.counting.region decides it)."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from edge.camera import Frame
from edge.config import load_config
from edge.counting import Observation, detection_region
from edge.pipeline import FrameResult
from edge.setup.live import LiveScene, _RunObserver
from edge.setup.server import SetupServer
from tests.services import free_port

PASSWORD = "pintu-utama-2026"
SAVED = {"name": "pintu", "points": [[0.1, 0.1], [0.1, 0.3]]}
# Being edited, not saved: a line and a zone in the middle of a 1280x720 picture. Their box
# (x 512..704, y 288..432 px) plus 128 px (a tenth of 1280) on every side.
EDITED = {
    "lines": [{"name": "pintu", "role": "entrance", "points": [[0.40, 0.40], [0.40, 0.60]]}],
    # A name still being typed (refused on save) does not hide the region.
    "zones": [
        {
            "name": "antri loket",
            "role": "queue",
            "gerai": "dukcapil",
            "points": [[0.45, 0.45], [0.55, 0.45], [0.55, 0.60], [0.45, 0.60]],
        }
    ],
}
EDITED_REGION = [384 / 1280, 160 / 720, 832 / 1280, 560 / 720]


class Page:
    def __init__(self, url: str, live: LiveScene) -> None:
        self.url, self.live = url, live
        _, _, headers = self.post("/api/login", {"password": PASSWORD})
        self.cookie = headers["Set-Cookie"].split(";")[0]

    def post(self, path: str, data: object, cookie: str | None = None) -> tuple[int, Any, Any]:
        headers = {"Content-Type": "application/json"} | ({"Cookie": cookie} if cookie else {})
        request = urllib.request.Request(self.url + path, json.dumps(data).encode(), headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read()), response.headers
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read()), error.headers

    def region(self, geometry: object) -> tuple[int, Any]:
        status, body, _ = self.post("/api/region", geometry, self.cookie)
        return status, body

    def show(self, width: int, height: int) -> None:
        """A picture of this size from the pipeline, as a run of the live view hands it over."""
        frame = Frame(np.zeros((height, width, 3), np.uint8), 1, datetime.now(UTC))
        _RunObserver(self.live, self.live.generation).on_frame(FrameResult(frame, True, Observation(())))


@contextlib.contextmanager
def setup_page(tmp_path: Path, *, crop: bool) -> Iterator[Page]:
    config = tmp_path / "edge.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "site": "kobar",
                "device": "pintu-1",
                "source": "rtsp://cam/live",
                "detection_crop": crop,
                "lines": [SAVED],
            }
        )
    )
    live = LiveScene(load_config(config))  # not started: the pictures come from show()
    server = SetupServer(config, "127.0.0.1", free_port(), PASSWORD, live)
    server.start()
    try:
        yield Page(f"http://127.0.0.1:{server.address[1]}", live)
    finally:
        server.stop()


def test_with_the_crop_the_page_gets_the_region_of_the_geometry_being_edited(tmp_path: Path) -> None:
    with setup_page(tmp_path, crop=True) as page:
        assert page.region(EDITED) == (200, {"region": None})  # no picture yet: its size is unknown
        page.show(1280, 720)
        status, body = page.region(EDITED)
        assert status == 200
        assert body["region"] == pytest.approx(EDITED_REGION, abs=1e-12)
        # The tracker's own rule on the picture's pixels (one source: edge.counting.region).
        expected = detection_region(
            [line.as_counting() for line in load_config(tmp_path / "edge.yaml").lines], [], 1280, 720
        )
        assert expected is not None
        saved = page.region({"lines": [SAVED], "zones": []})[1]["region"]
        assert saved == pytest.approx([expected.x1, expected.y1, expected.x2, expected.y2], abs=1e-12)
        assert saved != pytest.approx(EDITED_REGION)
        # Lines and zones across the picture would enlarge nobody: the model sees all of it.
        across = {"lines": [{"name": "a", "points": [[0.0, 0.5], [1.0, 0.5]]}], "zones": []}
        assert page.region(across) == (200, {"region": None})
        assert page.region({"lines": [], "zones": []}) == (200, {"region": None})
        # A camera of another size: the same geometry, another margin in normalised terms.
        page.show(640, 480)
        other = page.region(EDITED)[1]["region"]
        assert other is not None and other != pytest.approx(EDITED_REGION)


def test_without_the_crop_there_is_no_region(tmp_path: Path) -> None:
    with setup_page(tmp_path, crop=False) as page:
        page.show(1280, 720)
        assert page.region(EDITED) == (200, {"region": None})


def test_the_region_needs_a_login_and_lines_and_zones(tmp_path: Path) -> None:
    with setup_page(tmp_path, crop=True) as page:
        page.show(1280, 720)
        status, body, _ = page.post("/api/region", EDITED)
        assert (status, body) == (401, {"error": "login required"})
        status, body = page.region({"lines": [{"points": [[640, 300], [640, 500]]}], "zones": []})
        assert status == 400 and "lines.0.points" in body["error"] and "normalised" in body["error"]
        status, body = page.region({"lines": [], "zones": [{"points": [[0.1, 0.1], [0.2, 0.2]]}]})
        assert status == 400 and "zones.0.points" in body["error"]
        assert page.region({"lines": []})[0] == 400
