"""CollectorSettings from flags and an explicit environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from collector.config import (
    ConfigError,
    InfluxStoreSettings,
    SqliteStoreSettings,
    from_args,
    redact_url,
)


def test_defaults() -> None:
    settings = from_args([], {})
    assert (settings.mqtt.host, settings.mqtt.port, settings.mqtt.tls) == ("127.0.0.1", 1883, False)
    assert settings.mqtt.client_id.startswith("mpp-collector-") and settings.mqtt.share_group is None
    assert settings.store == SqliteStoreSettings(path=Path("var/mpp.db"))
    assert (str(settings.listen), settings.api_token, settings.data_dir) == ("127.0.0.1:8080", None, Path("var"))
    assert settings.silent_after_s == 180 and settings.allowed_devices is None and settings.health_listen is None
    assert (settings.batch.max_messages, settings.batch.max_latency_s) == (500, 0.2)


API_TOKEN = "api-secret-0123456789abcdefghijklmnopqrstuvwxyz"


def test_flags_override_environment_and_secrets_stay_secret() -> None:
    env = {
        "MPP_MQTT_URL": "mqtts://collector:s3cret%40x@broker.example:8884",
        "MPP_STORE_URL": "influxdb://reader:pw-influx@influx.example:8086/mpp",
        "MPP_INFLUX_TOKEN": "tok-123",
        "MPP_LISTEN": "0.0.0.0:9000",
        "MPP_HEALTH_LISTEN": "127.0.0.1:9001",
        "MPP_API_TOKEN": API_TOKEN,
        "MPP_SHARE_GROUP": "from-env",
        "MPP_BATCH_LATENCY_MS": "50",
    }
    settings = from_args(["--share-group", "collectors", "--client-id", "c-1", "--allowed-devices", "a/b, c/d"], env)
    mqtt = settings.mqtt
    assert (mqtt.host, mqtt.port, mqtt.tls, mqtt.username) == ("broker.example", 8884, True, "collector")
    assert mqtt.password is not None and mqtt.password.get_secret_value() == "s3cret@x"
    assert (mqtt.share_group, mqtt.client_id) == ("collectors", "c-1")
    store = settings.store
    assert isinstance(store, InfluxStoreSettings)
    assert (store.base_url, store.database, store.username) == ("http://influx.example:8086", "mpp", "reader")
    assert store.token is not None and store.token.get_secret_value() == "tok-123"
    assert settings.api_token is not None and settings.api_token.get_secret_value() == API_TOKEN
    assert (settings.listen.host, settings.listen.port, settings.batch.max_latency_s) == ("0.0.0.0", 9000, 0.05)
    assert settings.allowed_devices == frozenset({"a/b", "c/d"})
    assert settings.health_listen is not None and str(settings.health_listen) == "127.0.0.1:9001"
    text = repr(settings) + mqtt.describe() + store.describe()
    for secret in ("s3cret", "pw-influx", "tok-123", "api-secret"):
        assert secret not in text


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--mqtt-url", "http://u:topsecret@h"], {}, "--mqtt-url/MPP_MQTT_URL: scheme must be mqtt"),
        ([], {"MPP_MQTT_URL": "mqtt://u:topsecret@h:70000"}, "--mqtt-url/MPP_MQTT_URL: bad port"),
        (["--store", "influxdb://u:topsecret@h:8086/"], {}, "--store/MPP_STORE_URL: no database"),
        (["--store", "postgres://u:topsecret@h/x"], {}, "--store/MPP_STORE_URL: scheme must be"),
        (["--store", "sqlite://relative.db"], {}, "--store/MPP_STORE_URL: expected sqlite:///path.db"),
        (["--listen", "8080"], {}, "--listen/MPP_LISTEN: expected host:port"),
        ([], {"MPP_HEALTH_LISTEN": "127.0.0.1:0x50"}, "--health-listen/MPP_HEALTH_LISTEN: expected host:port"),
        ([], {"MPP_BATCH_SIZE": "lots"}, "--batch-size/MPP_BATCH_SIZE: 'lots' is not a number"),
        ([], {"MPP_SILENT_AFTER_S": "0"}, "--silent-after-s/MPP_SILENT_AFTER_S: Input should be greater than 0"),
        (["--share-group", "a/b"], {}, "--share-group/MPP_SHARE_GROUP"),
        (["--allowed-devices", "no-slash"], {}, "--allowed-devices/MPP_ALLOWED_DEVICES"),
        ([], {"MPP_INFLUX_TOKEN_FILE": "/nonexistent/token"}, "MPP_INFLUX_TOKEN_FILE: cannot read"),
        (["--frobnicate"], {}, "unrecognized arguments"),
    ],
)
def test_bad_values_give_one_line_naming_the_setting(argv: list[str], env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        from_args(argv, env)
    text = str(caught.value)
    assert text.startswith(message) and "\n" not in text and "topsecret" not in text


def test_mqtt_password_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "mqtt-password"
    secret.write_text("from-file\n")
    settings = from_args(["--mqtt-url", "mqtt://collector@broker:1883"], {"MPP_MQTT_PASSWORD_FILE": str(secret)})
    assert settings.mqtt.password is not None and settings.mqtt.password.get_secret_value() == "from-file"
    with pytest.raises(ConfigError, match="must name the user"):
        from_args([], {"MPP_MQTT_PASSWORD": "x"})


def test_redact_url() -> None:
    assert redact_url("mqtt://user:pa:ss@host:1883") == "mqtt://user:***@host:1883"
    assert redact_url("influxdb://host:8086/db") == "influxdb://host:8086/db"


def test_cli_reports_bad_setting_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "collector.cli", "--store", "influxdb://u:topsecret@h:8086"],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().startswith("mpp-collector: --store/MPP_STORE_URL: no database")
    assert "Traceback" not in result.stderr and "topsecret" not in result.stderr
