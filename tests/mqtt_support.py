"""Helpers for the MQTT tests: the project's broker config on a free port, and a recording subscriber."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.services import MosquittoBroker

REPO_ROOT = Path(__file__).resolve().parent.parent
DEPLOY = REPO_ROOT / "deploy" / "mosquitto"
VENV_BIN = REPO_ROOT / ".venv" / "bin"
# Lines the test harness sets itself (port, storage) or points at temporary files.
_HARNESS_KEYS = ("listener", "persistence", "persistence_location", "password_file", "acl_file", "max_queued_messages")


def project_broker_config(passwd_file: Path) -> str:
    """deploy/mosquitto/mosquitto.conf with the harness' port/storage and a test password file."""
    kept = []
    for line in (DEPLOY / "mosquitto.conf").read_text().splitlines():
        words = line.split()
        if words and not line.startswith("#") and words[0] in _HARNESS_KEYS:
            continue
        kept.append(line)
    kept += [f"password_file {passwd_file}", f"acl_file {DEPLOY / 'acl'}", ""]
    return "\n".join(kept)


def provision_device(site: str, device: str, passwd_file: Path, out_dir: Path, broker_url: str) -> Path:
    """Runs the real `mpp-provision device`; returns the starter config path."""
    result = subprocess.run(
        [
            str(VENV_BIN / "mpp-provision"),
            "device",
            "--site",
            site,
            "--device",
            device,
            "--passwd-file",
            str(passwd_file),
            "--out-dir",
            str(out_dir),
            "--broker-url",
            broker_url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out_dir / site / device / "config.yaml"


def provision_account(username: str, passwd_file: Path) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "mpp-provision"), "account", "--username", username, "--passwd-file", str(passwd_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[1].strip()


class SecuredBroker:
    """The project's mosquitto config with a collector account and devices provisioned by mpp-provision."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.passwd_file = workdir / "passwd"
        self.devices_dir = workdir / "devices"
        workdir.mkdir(parents=True, exist_ok=True)
        self.collector_password = provision_account("collector", self.passwd_file)
        self.broker = MosquittoBroker(workdir / "broker", extra_config=project_broker_config(self.passwd_file))

    def add_device(self, site: str, device: str) -> Path:
        return provision_device(site, device, self.passwd_file, self.devices_dir, self.broker.url)

    def reload(self) -> None:
        assert self.broker.process is not None
        self.broker.process.send_signal(1)  # SIGHUP: re-read password file
        time.sleep(0.3)


class Recorder:
    """A collector-like subscriber: persistent v5 session, QoS 1, counts every message by message_id."""

    def __init__(
        self,
        port: int,
        username: str | None,
        password: str | None,
        topic: str = "mpp/v1/#",
        client_id: str = "test-recorder",
    ) -> None:
        self.counts: Counter[str] = Counter()
        self.status: list[str] = []
        self.payloads: dict[str, list[bytes]] = {}
        self.connected = threading.Event()
        self.refused: list[str] = []
        self._lock = threading.Lock()
        self._topic = topic
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5)
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = lambda *_: self.connected.clear()
        self.client.reconnect_delay_set(1, 1)
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
        # clean_start False + session expiry: messages published while we reconnect are queued for us.
        self.client.connect_async("127.0.0.1", port, keepalive=10, clean_start=False, properties=props)
        self.client.loop_start()

    def _on_connect(self, client: paho.Client, _u: object, _f: object, rc: object, _p: object) -> None:
        if getattr(rc, "is_failure", False):
            self.refused.append(str(rc))
            return
        client.subscribe(self._topic, qos=1)
        self.connected.set()

    def _on_message(self, _c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        with self._lock:
            self.payloads.setdefault(message.topic, []).append(bytes(message.payload))
            if message.topic.endswith("/status"):
                self.status.append(json.loads(message.payload)["state"])
                return
            body = json.loads(message.payload)
            self.counts[body.get("message_id", "")] += 1

    def records(self) -> set[str]:
        with self._lock:
            return {m for m in self.counts if "/health/" not in m}

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
