"""mqtts:// with MqttConfig.tls against a mosquitto TLS listener (certificates made by openssl)."""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

import pytest

from edge.config import MqttConfig, TlsConfig
from edge.outbox.mqtt_link import MqttLink
from tests.services import MosquittoBroker, free_port


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca_crt = folder / "ca.key", folder / "ca.crt"
    key, csr, crt = folder / "server.key", folder / "server.csr", folder / "server.crt"
    ext = folder / "san.ext"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        str(ca_key),
        "-out",
        str(ca_crt),
        "-days",
        "2",
        "-subj",
        "/CN=mpp-test-ca",
    )
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=localhost")
    openssl(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca_crt),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-out",
        str(crt),
        "-days",
        "2",
        "-extfile",
        str(ext),
    )
    return ca_crt, crt, key


@pytest.mark.slow
def test_tls_link_verifies_the_broker_certificate(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ca, crt, key = make_certificates(tmp_path / "certs")
    tls_port = free_port()
    # The TLS listener as documented (commented) in deploy/mosquitto/mosquitto.conf.
    broker = MosquittoBroker(
        tmp_path / "mosquitto",
        extra_config=f"allow_anonymous true\nlistener {tls_port} 127.0.0.1\n"
        f"certfile {crt}\nkeyfile {key}\ncafile {ca}\ntls_version tlsv1.2\n",
    )
    broker.start()
    try:
        good = MqttLink(MqttConfig(url=f"mqtts://localhost:{tls_port}", tls=TlsConfig(ca_file=ca)), "site-a", "dev-1")
        good.start()
        assert good.wait_connected(10)
        assert good.stop()

        # Without our CA the system trust store refuses the self-signed chain: never connected, a WARNING.
        wrong = MqttLink(MqttConfig(url=f"mqtts://localhost:{tls_port}"), "site-a", "dev-2")
        with caplog.at_level(logging.WARNING, logger="edge.outbox.mqtt_link"):
            wrong.start()
            time.sleep(2)
            assert not wrong.connected
            wrong.stop()
        assert any("TLS certificate fails verification" in r.getMessage() for r in caplog.records)
    finally:
        broker.stop()


def test_missing_ca_file_is_a_config_error_naming_the_setting(tmp_path: Path) -> None:
    from edge.config import ConfigError

    config = MqttConfig(url="mqtts://localhost:8883", tls=TlsConfig(ca_file=tmp_path / "missing-ca.crt"))
    with pytest.raises(ConfigError, match=r"^mqtt\.tls: cannot load"):
        MqttLink(config, "site-a", "dev-1").start()
