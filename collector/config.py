"""Collector settings: one validated pydantic tree built from flags and an
explicit environment mapping (nothing is read at import time).

Precedence: command-line flag, then environment variable, then default.
Secrets (MQTT and InfluxDB passwords, the InfluxDB token, the API token) are
``SecretStr`` and never appear in logs or error messages: URLs are shown
through ``redact_url``.
"""

from __future__ import annotations

import argparse
import math
import socket
import string
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import SplitResult, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from wire.topics import is_identifier


class ConfigError(ValueError):
    """A bad setting; the message is one line naming the flag or variable."""


MIN_API_TOKEN_CHARS = 32
MIN_API_TOKEN_BITS = 128


def token_bits(secret: str) -> float:
    """A generous entropy estimate: length x log2(size of the character classes it draws from).

    A token that repeats a few characters is refused outright: its estimate would be meaningless.
    """
    if len(set(secret)) < 10:
        return 0.0
    if all(c in string.hexdigits for c in secret) and (secret.lower() == secret or secret.upper() == secret):
        pool = 16
    else:
        pool = sum(
            size
            for chars, size in ((string.digits, 10), (string.ascii_lowercase, 26), (string.ascii_uppercase, 26))
            if any(c in chars for c in secret)
        ) + (33 if any(not c.isalnum() for c in secret) else 0)
    return len(secret) * math.log2(max(pool, 2))


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ListenAddress(_Settings):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class MqttSettings(_Settings):
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    tls: bool = False
    ca_file: Path | None = None
    username: str | None = None
    password: SecretStr | None = None
    # Stable across restarts: the broker keeps this session's queue and
    # unacknowledged messages while the collector is down.
    client_id: str = Field(min_length=1, max_length=128)
    share_group: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    session_expiry_s: int = Field(default=7 * 86400, ge=0, le=0xFFFFFFFF)
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    # MQTT v5 Receive Maximum: how many unacknowledged QoS 1 messages the
    # broker may send us (mosquitto's default of 20 would starve batching).
    receive_maximum: int = Field(default=5000, ge=1, le=65535)
    reconnect_min_s: float = Field(default=1.0, gt=0)
    reconnect_max_s: float = Field(default=30.0, gt=0)

    def describe(self) -> str:
        scheme = "mqtts" if self.tls else "mqtt"
        user = f"{self.username}:***@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


class SqliteStoreSettings(_Settings):
    kind: Literal["sqlite"] = "sqlite"
    path: Path

    def describe(self) -> str:
        return f"sqlite:///{self.path}"


class InfluxStoreSettings(_Settings):
    kind: Literal["influxdb"] = "influxdb"
    base_url: str  # http(s)://host:port
    database: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    username: str | None = None
    password: SecretStr | None = None
    # InfluxDB 2.x (v1 compatibility API) and 3 Core: `Authorization: Token ...`.
    token: SecretStr | None = None
    timeout_s: float = Field(default=10.0, gt=0)
    timezone_query: bool = True  # InfluxQL tz(); keep on for 1.x/2.x

    def describe(self) -> str:
        scheme = "influxdbs" if self.base_url.startswith("https") else "influxdb"
        user = f"{self.username}:***@" if self.username else ""
        host = self.base_url.split("://", 1)[1]
        return f"{scheme}://{user}{host}/{self.database}"


StoreSettings = Annotated[SqliteStoreSettings | InfluxStoreSettings, Field(discriminator="kind")]


class BatchSettings(_Settings):
    max_messages: int = Field(default=500, ge=1, le=100_000)
    max_latency_s: float = Field(default=0.2, gt=0, le=60)
    retry_min_s: float = Field(default=0.5, gt=0)
    retry_max_s: float = Field(default=10.0, gt=0)


class CollectorSettings(_Settings):
    mqtt: MqttSettings
    store: StoreSettings
    listen: ListenAddress = ListenAddress()
    api_token: SecretStr | None = None
    data_dir: Path = Path("var")
    silent_after_s: float = Field(default=180.0, gt=0)
    batch: BatchSettings = BatchSettings()
    # None: accept every device the broker let publish (the broker's ACL is
    # the authority). A set of "site/device": anything else is dead-lettered.
    allowed_devices: frozenset[str] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("api_token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            secret = value.get_secret_value()
            if len(secret) < MIN_API_TOKEN_CHARS or token_bits(secret) < MIN_API_TOKEN_BITS:
                raise ValueError(
                    f"the admin token is too weak (at least {MIN_API_TOKEN_CHARS} random characters, "
                    f"{MIN_API_TOKEN_BITS} bits); make one with: openssl rand -hex 32"
                )
        return value

    @field_validator("allowed_devices")
    @classmethod
    def _devices(cls, value: frozenset[str] | None) -> frozenset[str] | None:
        for item in value or ():
            site, _, device = item.partition("/")
            if not (is_identifier(site) and is_identifier(device)):
                raise ValueError(f"{item!r} is not site/device")
        return value


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return SplitResult(parts.scheme, f"{user}:***@{netloc}", parts.path, parts.query, parts.fragment).geturl()
    except ValueError:
        return "<unparseable URL>"


def _port(parts: SplitResult, default: int, name: str) -> int:
    try:
        return parts.port or default
    except ValueError:
        raise ConfigError(f"{name}: bad port in {redact_url(parts.geturl())}") from None


def parse_mqtt_url(url: str, name: str = "--mqtt-url/MPP_MQTT_URL") -> dict[str, object]:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ConfigError(f"{name}: scheme must be mqtt:// or mqtts://, got {redact_url(url)}")
    if not parts.hostname:
        raise ConfigError(f"{name}: no host in {redact_url(url)}")
    if parts.path not in ("", "/"):
        raise ConfigError(f"{name}: unexpected path in {redact_url(url)}")
    tls = parts.scheme == "mqtts"
    return {
        "host": parts.hostname,
        "port": _port(parts, 8883 if tls else 1883, name),
        "tls": tls,
        "username": unquote(parts.username) if parts.username else None,
        "password": SecretStr(unquote(parts.password)) if parts.password else None,
    }


def parse_store_url(
    url: str, influx_token: str | None = None, name: str = "--store/MPP_STORE_URL"
) -> SqliteStoreSettings | InfluxStoreSettings:
    """``sqlite:///relative.db``, ``sqlite:////absolute.db`` or
    ``influxdb[s]://[user:pass@]host:port/database``."""
    parts = urlsplit(url)
    try:
        if parts.scheme == "sqlite":
            if parts.netloc or not parts.path.startswith("/") or len(parts.path) < 2:
                raise ConfigError(f"{name}: expected sqlite:///path.db, got {redact_url(url)}")
            return SqliteStoreSettings(path=Path(parts.path[1:]))
        if parts.scheme in ("influxdb", "influxdbs"):
            if not parts.hostname:
                raise ConfigError(f"{name}: no host in {redact_url(url)}")
            database = parts.path.strip("/")
            if not database:
                raise ConfigError(f"{name}: no database in {redact_url(url)} (influxdb://host:8086/mpp)")
            http = "https" if parts.scheme == "influxdbs" else "http"
            host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
            return InfluxStoreSettings(
                base_url=f"{http}://{host}:{_port(parts, 8086, name)}",
                database=database,
                username=unquote(parts.username) if parts.username else None,
                password=SecretStr(unquote(parts.password)) if parts.password else None,
                token=SecretStr(influx_token) if influx_token else None,
            )
    except ValidationError as exc:
        raise ConfigError(f"{name}: {_first_error(exc)} in {redact_url(url)}") from None
    raise ConfigError(f"{name}: scheme must be sqlite:// or influxdb://, got {redact_url(url)}")


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(message)


# flag, environment variable, settings key, help
_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("--mqtt-url", "MPP_MQTT_URL", "MQTT broker, mqtt[s]://user:pass@host:port (default mqtt://127.0.0.1:1883)"),
    ("--store", "MPP_STORE_URL", "sqlite:///path.db (default sqlite:///var/mpp.db) or influxdb://[u:p@]host:port/db"),
    ("--listen", "MPP_LISTEN", "host:port of the HTTP API and dashboard (default 127.0.0.1:8080)"),
    ("--api-token", "MPP_API_TOKEN", "bearer token the API requires for writes (prefer the variable)"),
    ("--data-dir", "MPP_DATA_DIR", "folder for local state (default ./var)"),
    ("--silent-after-s", "MPP_SILENT_AFTER_S", "devices silent longer than this are flagged (default 180)"),
    ("--share-group", "MPP_SHARE_GROUP", "MQTT v5 shared subscription group: $share/<group>/mpp/v1/#"),
    ("--client-id", "MPP_CLIENT_ID", "stable MQTT client id (default: MQTT username, else mpp-collector-<hostname>)"),
    ("--session-expiry-s", "MPP_SESSION_EXPIRY_S", "how long the broker keeps our session (default 604800)"),
    ("--receive-maximum", "MPP_RECEIVE_MAXIMUM", "unacknowledged messages the broker may send (default 5000)"),
    ("--mqtt-ca-file", "MPP_MQTT_CA_FILE", "CA bundle for mqtts:// (default: system CAs)"),
    ("--batch-size", "MPP_BATCH_SIZE", "messages per store write (default 500)"),
    ("--batch-latency-ms", "MPP_BATCH_LATENCY_MS", "longest a message waits for its write (default 200)"),
    ("--allowed-devices", "MPP_ALLOWED_DEVICES", "comma-separated site/device allow-list (default: any)"),
    ("--log-level", "MPP_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR (default INFO)"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="mpp-collector",
        description="MQTT -> validation -> SQLite or InfluxDB -> HTTP API and dashboard.",
        epilog="Every flag has an environment variable. The InfluxDB token comes from MPP_INFLUX_TOKEN or the "
        "file named by MPP_INFLUX_TOKEN_FILE; the MQTT password may come from MPP_MQTT_PASSWORD or "
        "MPP_MQTT_PASSWORD_FILE instead of the URL (percent-encode special characters in URLs).",
    )
    for flag, env, help_text in _OPTIONS:
        parser.add_argument(flag, dest=flag[2:].replace("-", "_"), default=None, help=f"{help_text} [{env}]")
    return parser


def _secret_file(environ: Mapping[str, str], name: str) -> str | None:
    path = environ.get(name)
    if not path:
        return None
    try:
        return Path(path).read_text().strip() or None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read {path}: {exc.strerror}") from None


def from_args(argv: Sequence[str] | None, environ: Mapping[str, str]) -> CollectorSettings:
    """Build and validate the settings; raises ConfigError with one line."""
    args = vars(build_parser().parse_args(list(argv or [])))
    values: dict[str, str] = {}
    names: dict[str, str] = {}
    for flag, env, _ in _OPTIONS:
        key = flag[2:].replace("-", "_")
        names[key] = f"{flag}/{env}"
        value = args.get(key)
        if value is None:
            value = environ.get(env) or None
        if value is not None:
            values[key] = value

    def number(key: str, kind: type[int] | type[float]) -> int | float | None:
        if key not in values:
            return None
        try:
            return kind(values[key])
        except ValueError:
            raise ConfigError(f"{names[key]}: {values[key]!r} is not a number") from None

    mqtt = parse_mqtt_url(values.get("mqtt_url", "mqtt://127.0.0.1:1883"))
    # Keeps the password out of the URL (and out of `ps`): the URL names the user only.
    mqtt_password = environ.get("MPP_MQTT_PASSWORD") or _secret_file(environ, "MPP_MQTT_PASSWORD_FILE")
    if mqtt_password:
        if not mqtt["username"]:
            raise ConfigError("MPP_MQTT_PASSWORD(_FILE): --mqtt-url/MPP_MQTT_URL must name the user (mqtt://user@host)")
        mqtt["password"] = SecretStr(mqtt_password)
    token = environ.get("MPP_INFLUX_TOKEN") or _secret_file(environ, "MPP_INFLUX_TOKEN_FILE")
    store = parse_store_url(values.get("store", "sqlite:///var/mpp.db"), token)

    tree: dict[str, object] = {"store": store}
    # The project's broker replaces every client id by the username (use_username_as_clientid), so the
    # session is bound to the account; the same default keeps the id stable on brokers that do not.
    mqtt["client_id"] = values.get("client_id") or mqtt["username"] or f"mpp-collector-{socket.gethostname()}"
    for key, target, kind in (
        ("session_expiry_s", "session_expiry_s", int),
        ("receive_maximum", "receive_maximum", int),
    ):
        if (parsed := number(key, kind)) is not None:
            mqtt[target] = parsed
    if "share_group" in values:
        mqtt["share_group"] = values["share_group"]
    if "mqtt_ca_file" in values:
        mqtt["ca_file"] = values["mqtt_ca_file"]
    tree["mqtt"] = mqtt

    if "listen" in values:
        host, sep, port = values["listen"].rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ConfigError(f"{names['listen']}: expected host:port, got {values['listen']!r}")
        tree["listen"] = {"host": host.strip("[]"), "port": int(port)}
    if "api_token" in values:
        tree["api_token"] = values["api_token"]
    if "data_dir" in values:
        tree["data_dir"] = values["data_dir"]
    if (silent := number("silent_after_s", float)) is not None:
        tree["silent_after_s"] = silent
    batch: dict[str, object] = {}
    if (size := number("batch_size", int)) is not None:
        batch["max_messages"] = size
    if (latency := number("batch_latency_ms", float)) is not None:
        batch["max_latency_s"] = latency / 1000
    tree["batch"] = batch
    if "allowed_devices" in values:
        tree["allowed_devices"] = frozenset(d.strip() for d in values["allowed_devices"].split(",") if d.strip())
    if "log_level" in values:
        tree["log_level"] = values["log_level"].upper()

    try:
        return CollectorSettings.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, names)) from None


# settings path prefix -> flag/variable, for error messages
_PATHS = {
    ("mqtt", "share_group"): "share_group",
    ("mqtt", "client_id"): "client_id",
    ("mqtt", "session_expiry_s"): "session_expiry_s",
    ("mqtt", "receive_maximum"): "receive_maximum",
    ("mqtt", "ca_file"): "mqtt_ca_file",
    ("mqtt",): "mqtt_url",
    ("listen",): "listen",
    ("api_token",): "api_token",
    ("data_dir",): "data_dir",
    ("silent_after_s",): "silent_after_s",
    ("batch", "max_messages"): "batch_size",
    ("batch", "max_latency_s"): "batch_latency_ms",
    ("allowed_devices",): "allowed_devices",
    ("log_level",): "log_level",
}


def _explain(exc: ValidationError, names: Mapping[str, str]) -> str:
    first = exc.errors()[0]
    loc = tuple(str(p) for p in first["loc"])
    for prefix in sorted(_PATHS, key=len, reverse=True):
        if loc[: len(prefix)] == prefix:
            return f"{names[_PATHS[prefix]]}: {first['msg']}"
    return f"{'.'.join(loc)}: {first['msg']}"
