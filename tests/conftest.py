from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import InfluxServer, MosquittoBroker

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    # CI lays shared/ beside the clone; MPP_SHARED_DIR points elsewhere.
    return Path(os.environ.get("MPP_SHARED_DIR", REPO_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if not path.is_dir():
        pytest.fail(f"shared assets not found at {path}; set MPP_SHARED_DIR")
    return path


@pytest.fixture(scope="session")
def model_path(shared: Path) -> Path:
    path = shared / "models" / "yolov8n_int8_openvino_model"
    if not (path / "yolov8n.xml").exists():
        pytest.fail(f"model not found at {path}")
    return path


@pytest.fixture(scope="session")
def mot15(shared: Path) -> Path:
    """Folder with TUD-Stadtmitte/ and TUD-Campus/ (video + gt/gt.txt)."""
    return shared / "data" / "mot15"


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """An anonymous broker of our own on a free port."""
    broker = MosquittoBroker(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def influxdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    """One InfluxDB 1.x server for the session; tests use their own databases."""
    server = InfluxServer(tmp_path_factory.mktemp("influxdb"))
    server.start()
    yield server
    server.stop()
