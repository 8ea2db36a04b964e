"""mqtts:// with MqttConfig.tls against a mosquitto TLS listener (certificates of a test CA made by openssl)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from edge.config import MqttConfig, TlsConfig
from edge.outbox.mqtt_link import MqttLink
from tests.services import MosquittoBroker, free_port, make_certificates


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
