"""``mpp-edge setup`` against a shared clip with the real model: refusals without a password or
on every interface, then a real headless Chromium that drags a line end and a zone corner,
saves, and sees the device count on the new geometry; with ``detection_crop`` the page draws
the detection region of the geometry being edited."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from edge.config import EdgeConfig, load_config
from edge.counting import detection_region
from edge.setup.live import LiveScene
from edge.setup.server import SetupServer
from tests.conftest import REPO_ROOT
from tests.e2e.test_dashboard_chromium import ARTIFACTS, browser  # noqa: F401 - the browser fixture
from tests.footage import serve_mjpeg
from tests.mqtt_support import Recorder
from tests.services import MosquittoBroker, free_port

PASSWORD = "pintu-utama-2026"
CLI = [sys.executable, "-m", "edge.cli"]

pytestmark = pytest.mark.slow


@dataclass
class Setup:
    url: str
    config: Path
    original: str
    live: LiveScene


@pytest.fixture
def setup(request: pytest.FixtureRequest, tmp_path: Path, mot15: Path, model_path: Path) -> Iterator[Setup]:
    """The setup page on the clip; ``detection_crop`` as the test's indirect parameter (off unless given)."""
    config = tmp_path / "device.yaml"
    config.write_text(
        "# pintu utama, dipasang 2026-11-30\n"
        + yaml.safe_dump(
            {
                "site": "mpp-test",
                "device": "cam-1",
                "source": str(mot15 / "TUD-Campus" / "TUD-Campus.mp4"),
                "model": str(model_path),
                "detection_crop": getattr(request, "param", False),
                "lines": [{"name": "x40", "points": [[0.40, 0.55], [0.40, 1.00]]}],
                "zones": [
                    {
                        "name": "antri",
                        "role": "queue",
                        "gerai": "dukcapil",
                        "points": [[0.45, 0.60], [0.65, 0.60], [0.65, 1.00], [0.45, 1.00]],
                    }
                ],
            },
            sort_keys=False,
        )
    )
    live = LiveScene(load_config(config))
    server = SetupServer(config, "127.0.0.1", free_port(), PASSWORD, live)
    live.start()
    server.start()
    yield Setup(f"http://127.0.0.1:{server.address[1]}", config, config.read_text(), live)
    server.stop()
    live.stop()


def request(url: str, data: object = None, cookie: str | None = None) -> tuple[int, bytes, Any]:
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = cookie
    body = None if data is None else json.dumps(data).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=10) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def mpp_setup(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "setup", *map(str, args)], capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, env=env
    )


def test_setup_refuses_to_start_without_a_password_or_on_every_interface(tmp_path: Path) -> None:
    config = tmp_path / "device.yaml"
    config.write_text("site: mpp-a\ndevice: cam-1\nsource: clip.mp4\n")
    base = {"PATH": "/usr/bin:/bin"}
    done = mpp_setup("--config", config, "--listen", f"127.0.0.1:{free_port()}", env=base)
    assert done.returncode == 2
    assert "needs a password: set MPP_SETUP_PASSWORD or pass --password-file" in done.stderr
    short = mpp_setup("--config", config, "--listen", "127.0.0.1:8080", env={**base, "MPP_SETUP_PASSWORD": "abc"})
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    for everywhere in ("0.0.0.0:8080", "[::]:8080", ":8080"):
        done = mpp_setup("--config", config, "--listen", everywhere, env={**base, "MPP_SETUP_PASSWORD": PASSWORD})
        assert done.returncode == 2, everywhere
        assert "every network of the device" in done.stderr and "--allow-all-interfaces" in done.stderr
        assert PASSWORD not in done.stderr


def test_setup_api_refuses_without_the_password_and_binds_only_where_told(setup: Setup) -> None:
    for path in ("/api/config", "/api/live", "/api/frame.jpg"):
        status, body, _ = request(setup.url + path)
        assert status == 401, path
        assert b"JFIF" not in body
    status, _, _ = request(setup.url + "/api/config", {"lines": [], "zones": []})
    assert status == 401
    assert setup.config.read_text() == setup.original
    started = time.monotonic()
    status, _, headers = request(setup.url + "/api/login", {"password": "salah-sekali"})
    assert status == 401 and headers.get("Set-Cookie") is None
    assert time.monotonic() - started >= 1.0  # guessing stays slow
    status, _, headers = request(setup.url + "/api/login", {"password": PASSWORD})
    assert status == 200
    cookie = headers["Set-Cookie"].split(";")[0]
    assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]
    deadline = time.monotonic() + 60
    while (answer := request(setup.url + "/api/frame.jpg", cookie=cookie))[0] != 200:
        assert time.monotonic() < deadline, answer
        time.sleep(0.5)
    assert answer[1][:2] == b"\xff\xd8" and answer[2]["Cache-Control"] == "no-store"
    # Bound to 127.0.0.1 only: another loopback address of the same machine gets no answer.
    port = int(setup.url.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", port), timeout=5)


def live_state(driver: webdriver.Chrome) -> dict[str, Any]:
    state: dict[str, Any] = driver.execute_script("return state.live")
    return state


def drag(driver: webdriver.Chrome, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press on the normalised point ``start`` of the picture and release at ``end``."""
    canvas = driver.find_element(By.ID, "overlay")
    rect = canvas.rect

    def offset(point: tuple[float, float]) -> tuple[int, int]:  # from the canvas's centre
        return round((point[0] - 0.5) * rect["width"]), round((point[1] - 0.5) * rect["height"])

    (x0, y0), (x1, y1) = offset(start), offset(end)
    actions = ActionChains(driver)
    actions.move_to_element_with_offset(canvas, x0, y0).click_and_hold()
    actions.move_by_offset((x1 - x0) // 2, (y1 - y0) // 2)
    actions.move_to_element_with_offset(canvas, x1, y1).release().perform()


def test_drag_a_line_end_and_a_zone_corner_then_save(
    setup: Setup,
    browser: webdriver.Chrome,  # noqa: F811 - the imported fixture
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.get(setup.url + "/")
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "login").is_displayed())
    assert not browser.find_element(By.ID, "app").is_displayed()
    browser.find_element(By.ID, "password").send_keys("salah-sekali")
    browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "login-error").is_displayed())
    assert browser.execute_script("return document.body.dataset.ready") is None
    browser.find_element(By.ID, "password").clear()
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.body.dataset.ready") == "1")
    # The live picture and foot points arrive (the model runs on the clip).
    WebDriverWait(browser, 90).until(lambda d: d.execute_script("return $('frame').naturalWidth") == 640)
    WebDriverWait(browser, 30).until(lambda d: len(live_state(d)["feet"]) > 0)
    first = live_state(browser)
    # detection_crop is off: no region drawn, whatever the lines and zones.
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.body.dataset.region") == "null")
    browser.save_screenshot(str(ARTIFACTS / "setup-1280.png"))

    drag(browser, (0.40, 0.55), (0.30, 0.50))  # line x40, end A
    drag(browser, (0.65, 0.60), (0.75, 0.50))  # zone antri, corner 2
    drag(browser, (0.70, 0.75), (0.85, 0.80))  # the middle of its right side: a fifth corner
    browser.find_element(By.ID, "save").click()
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.body.dataset.saved"))
    assert "Tersimpan" in browser.find_element(By.ID, "status").text

    saved = yaml.safe_load(setup.config.read_text())
    (ax, ay), b = saved["lines"][0]["points"]
    assert ax == pytest.approx(0.30, abs=0.01) and ay == pytest.approx(0.50, abs=0.01)
    assert b == [0.4, 1.0]
    corners = saved["zones"][0]["points"]
    assert len(corners) == 5
    assert corners[1] == pytest.approx([0.75, 0.50], abs=0.01)
    assert corners[2] == pytest.approx([0.85, 0.80], abs=0.01)
    assert saved["zones"][0]["gerai"] == "dukcapil" and saved["zones"][0]["role"] == "queue"
    config = load_config(setup.config)  # validates
    assert config.lines[0].points[0].x == pytest.approx(0.30, abs=0.01)
    assert (setup.config.parent / "device.yaml.bak").read_text() == setup.original
    # The page's device counts on the new geometry from zero, and keeps running.
    assert setup.live.generation == first["generation"] + 1
    WebDriverWait(browser, 30).until(lambda d: live_state(d)["generation"] == first["generation"] + 1)
    frame = live_state(browser)["frame"]
    WebDriverWait(browser, 30).until(lambda d: live_state(d)["frame"] != frame)

    # An invalid edit is refused through the same config model, and nothing is written.
    before = setup.config.read_text()
    name = browser.find_element(By.CSS_SELECTOR, '.item[data-kind="zones"] input.name')
    name.clear()
    name.send_keys("antri loket")
    browser.find_element(By.ID, "save").click()
    WebDriverWait(browser, 10).until(lambda d: "not a valid name" in d.find_element(By.ID, "status").text)
    assert setup.config.read_text() == before

    # Installers use phones: the page fits 390 px without sideways scrolling.
    browser.set_window_size(390, 844)
    WebDriverWait(browser, 5).until(lambda d: d.execute_script("return window.innerWidth") <= 390)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    browser.save_screenshot(str(ARTIFACTS / "setup-390.png"))
    # The picture reached the browser from memory only: nothing but the config beside it.
    assert sorted(p.name for p in setup.config.parent.iterdir()) == ["device.yaml", "device.yaml.bak"]


def log_in(driver: webdriver.Chrome, url: str) -> None:
    driver.get(url + "/")
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "login").is_displayed())
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.body.dataset.ready") == "1")


def region_of(geometry: dict[str, Any], size: tuple[int, int]) -> list[float] | None:
    """What the tracker would crop for these lines and zones (edge.counting.region)."""
    config = EdgeConfig.model_validate(
        {
            "site": "mpp-test",
            "device": "cam-1",
            "source": "clip.mp4",
            "lines": geometry["lines"],
            "zones": geometry["zones"],
        }
    )
    box = detection_region([x.as_counting() for x in config.lines], [z.as_counting() for z in config.zones], *size)
    return None if box is None else [box.x1, box.y1, box.x2, box.y2]


# The top edge of the drawn region, one canvas row inside it: how many of its pixels are the
# white dashes and the black between them.
_REGION_EDGE = """
const canvas = $("overlay"), [x1, y1, x2, y2] = state.region;
const x = Math.round(x1 * canvas.width), y = Math.round(y1 * canvas.height) + 1;
const row = canvas.getContext("2d").getImageData(x, y, Math.round(x2 * canvas.width) - x, 1).data;
let white = 0, black = 0;
for (let i = 0; i < row.length; i += 4) {
  if (row[i + 3] === 255 && Math.min(row[i], row[i + 1], row[i + 2]) > 240) white += 1;
  if (row[i + 3] === 255 && Math.max(row[i], row[i + 1], row[i + 2]) < 15) black += 1;
}
return {white, black, width: row.length / 4};
"""


@pytest.mark.parametrize("setup", [True], indirect=True, ids=["detection_crop"])
def test_with_the_crop_the_page_draws_the_region_of_the_geometry_being_edited(
    setup: Setup,
    browser: webdriver.Chrome,  # noqa: F811 - the imported fixture
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(browser, setup.url)
    WebDriverWait(browser, 90).until(lambda d: d.execute_script("return $('frame').naturalWidth") == 640)
    saved = region_of(yaml.safe_load(setup.config.read_text()), (640, 480))
    assert saved is not None  # the line and zone cover the lower middle of the 640x480 clip
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return state.region") == saved)
    edge = browser.execute_script(_REGION_EDGE)
    assert edge["white"] > edge["width"] / 4 and edge["black"] > edge["width"] / 4, edge  # dashed
    browser.save_screenshot(str(ARTIFACTS / "setup-region-1280.png"))

    # Moving a line end up and left grows the region at once, before anything is saved.
    drag(browser, (0.40, 0.55), (0.15, 0.20))
    edited: dict[str, Any] = browser.execute_script("return payload()")
    grown = region_of(edited, (640, 480))
    assert grown is not None and grown[0] < saved[0] and grown[1] < saved[1]
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return state.region") == grown)
    edge = browser.execute_script(_REGION_EDGE)
    assert edge["white"] > edge["width"] / 4 and edge["black"] > edge["width"] / 4, edge
    assert setup.config.read_text() == setup.original
    # Spread across the picture, the lines and zones give no region: the model sees it all.
    drag(browser, (0.15, 0.20), (0.01, 0.01))
    drag(browser, (0.40, 0.99), (0.99, 0.99))
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return state.region") is None)
    browser.save_screenshot(str(ARTIFACTS / "setup-region-none-1280.png"))


def test_the_running_device_counts_on_the_saved_geometry_from_the_next_interval(
    tmp_path: Path,
    mot15: Path,
    model_path: Path,
    mosquitto: MosquittoBroker,
    browser: webdriver.Chrome,  # noqa: F811 - the imported fixture
) -> None:
    """``mpp-edge run`` on a live stream of the clip and the setup page on the same config:
    a line moved and renamed on the page reaches the running device, which keeps running, its
    outbox drains, and no interval is counted on both geometries."""
    with serve_mjpeg(mot15 / "TUD-Campus" / "TUD-Campus.mp4") as stream:
        config = tmp_path / "setup" / "device.yaml"
        config.parent.mkdir()
        config.write_text(
            yaml.safe_dump(
                {
                    "site": "mpp-test",
                    "device": "cam-1",
                    "source": stream,
                    "model": str(model_path),
                    "interval_s": 1,
                    "health_interval_s": 2,
                    "mqtt": {"url": mosquitto.url},
                    "outbox": {"path": str(tmp_path / "var" / "outbox.db")},
                    "lines": [{"name": "x40", "points": [[0.40, 0.55], [0.40, 1.00]]}],
                }
            )
        )
        recorder = Recorder(mosquitto.port, None, None)
        log = tmp_path / "edge.log"
        edge = subprocess.Popen(
            [*CLI, "-v", "run", "--config", str(config)], cwd=REPO_ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT
        )
        live = LiveScene(load_config(config))
        server = SetupServer(config, "127.0.0.1", free_port(), PASSWORD, live)
        live.start()
        server.start()
        try:
            recorder.wait_for(lambda: any("/counts/x40/" in m for m in recorder.records()), 180, "x40 counts")
            browser.get(f"http://127.0.0.1:{server.address[1]}/")
            browser.find_element(By.ID, "password").send_keys(PASSWORD)
            browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
            WebDriverWait(browser, 90).until(lambda d: d.execute_script("return $('frame').naturalWidth") == 640)
            drag(browser, (0.40, 0.55), (0.50, 0.50))
            name = browser.find_element(By.CSS_SELECTOR, '.item[data-kind="lines"] input.name')
            name.clear()
            name.send_keys("pintu-baru")
            browser.find_element(By.ID, "save").click()
            WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.body.dataset.saved"))
            recorder.wait_for(
                lambda: any("/counts/pintu-baru/" in m for m in recorder.records()), 60, "counts on the saved geometry"
            )
            assert edge.poll() is None, "the device keeps running"
            time.sleep(3)
            edge.send_signal(signal.SIGTERM)
            assert edge.wait(timeout=60) == 0, log.read_text()[-3000:]
        finally:
            if edge.poll() is None:
                edge.kill()
            server.stop()
            live.stop()
        time.sleep(1)
        recorder.close()
    stamps: dict[str, set[str]] = {"x40": set(), "pintu-baru": set()}
    for message_id in recorder.records():
        _, _, kind, line, stamp = message_id.split("/")
        if kind == "counts":
            stamps[line].add(stamp)
    assert stamps["x40"] and stamps["pintu-baru"]
    assert max(stamps["x40"]) < min(stamps["pintu-baru"]), "one switch, at an interval boundary"
    text = log.read_text()
    assert "apply from the next interval" in text and "counting on the new geometry" in text
    assert "ERROR" not in text and "Traceback" not in text
    with sqlite3.connect(tmp_path / "var" / "outbox.db") as db:
        assert db.execute("SELECT count(*) FROM records").fetchone()[0] == 0  # every record delivered


def test_mpp_edge_setup_writes_no_picture_to_disk(tmp_path: Path, mot15: Path, model_path: Path) -> None:
    """The command as an installer runs it: every folder it may write to (working folder, home,
    temp, the config's folder) holds no image or video afterwards, though frames were served."""
    folders = {name: tmp_path / name for name in ("work", "home", "tmp", "etc")}
    for folder in folders.values():
        folder.mkdir()
    config = folders["etc"] / "edge.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "site": "mpp-test",
                "device": "cam-1",
                "source": str(mot15 / "TUD-Campus" / "TUD-Campus.mp4"),
                "model": str(model_path),
                "lines": [{"name": "x40", "points": [[0.4, 0.55], [0.4, 1.0]]}],
            }
        )
    )
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folders["home"]),
        "TMPDIR": str(folders["tmp"]),
        "YOLO_CONFIG_DIR": str(folders["home"] / "ultralytics"),
        "MPP_SETUP_PASSWORD": PASSWORD,
    }
    process = subprocess.Popen(
        [*CLI, "setup", "--config", str(config), "--listen", f"127.0.0.1:{port}"],
        cwd=folders["work"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert process.stdout is not None
        # ultralytics may print its own lines to stdout first, from the live view's thread.
        printed = [process.stdout.readline().decode() for _ in range(1)]
        while not printed[-1].startswith("setup page on") and printed[-1] and len(printed) < 20:
            printed.append(process.stdout.readline().decode())
        assert printed[-1].startswith(f"setup page on {url}/"), printed
        status, _, headers = request(url + "/api/login", {"password": PASSWORD})
        assert status == 200
        cookie = headers["Set-Cookie"].split(";")[0]
        pictures: set[bytes] = set()
        deadline = time.monotonic() + 120
        while len(pictures) < 5:
            assert time.monotonic() < deadline, "the page served fewer than 5 different pictures in 120 s"
            status, body, _ = request(url + "/api/frame.jpg", cookie=cookie)
            if status == 200:
                pictures.add(body)
            time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    written = [
        path
        for folder in folders.values()
        for path in folder.rglob("*")
        if path.is_file()
        and (
            path.suffix.lower() in {".jpg", ".jpeg", ".png", ".bmp", ".mp4", ".avi", ".mjpg"}
            or path.read_bytes()[:4].startswith((b"\xff\xd8\xff", b"\x89PNG"))
        )
    ]
    assert written == []
    assert [p.name for p in folders["etc"].iterdir()] == ["edge.yaml"]  # untouched without a save
