"""Collector settings: one validated pydantic tree built from flags and an
explicit environment mapping (nothing is read at import time).

Each setting is declared once, in ``_OPTIONS``: its flag, its environment
variable, where it lands in the tree, and the name its errors carry.
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import SplitResult, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from wire.topics import is_identifier


class ConfigError(ValueError):
    """A bad setting; the message is one line naming the flag or variable."""


MIN_API_TOKEN_CHARS = 32
MIN_API_TOKEN_BITS = 128
MIN_LINK_SECRET_CHARS = 32


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


class SmtpSettings(_Settings):
    host: str = Field(min_length=1, max_length=253)
    port: int | None = Field(default=None, ge=1, le=65535)  # None: 465 for ssl, else 587 (25 for none)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: str = Field(default="mpp-counter@localhost", min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")

    @property
    def effective_port(self) -> int:
        return self.port or {"ssl": 465, "starttls": 587, "none": 25}[self.security]


class WebhookSettings(_Settings):
    url: str = Field(pattern=r"^https?://[^\s]+$", max_length=2000)
    secret: SecretStr | None = None  # sent as a bearer token


class AlertSettings(_Settings):
    interval_s: float = Field(default=60.0, ge=0.1, le=3600)
    smtp: SmtpSettings | None = None
    email_to: tuple[str, ...] = ()
    webhook: WebhookSettings | None = None
    monthly_report_to: tuple[str, ...] = ()

    @field_validator("email_to", "monthly_report_to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if "@" not in address or any(c.isspace() for c in address):
                raise ValueError(f"{address!r} is not an e-mail address")
        return value


class CollectorSettings(_Settings):
    mqtt: MqttSettings
    store: StoreSettings
    listen: ListenAddress = ListenAddress()
    # /healthz from a process of its own (collector/liveness.py); None: only on the API's port.
    health_listen: ListenAddress | None = None
    api_token: SecretStr | None = None
    # Signs the shareable report links; None: made once and kept in data_dir/link-secret.
    link_secret: SecretStr | None = None
    data_dir: Path = Path("var")
    silent_after_s: float = Field(default=180.0, gt=0)
    batch: BatchSettings = BatchSettings()
    # None: accept every device the broker let publish (the broker's ACL is
    # the authority). A set of "site/device": anything else is dead-lettered.
    allowed_devices: frozenset[str] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    alerts: AlertSettings = AlertSettings()

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


def _text(value: str, _name: str) -> str:
    return value


def _number(kind: type[int] | type[float]) -> Callable[[str, str], int | float]:
    def convert(value: str, name: str) -> int | float:
        try:
            return kind(value)
        except ValueError:
            raise ConfigError(f"{name}: {value!r} is not a number") from None

    return convert


def _milliseconds(value: str, name: str) -> float:
    return _number(float)(value, name) / 1000


def _host_port(value: str, name: str) -> dict[str, object]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(f"{name}: expected host:port, got {value!r}")
    return {"host": host.strip("[]"), "port": int(port)}


def _device_list(value: str, _name: str) -> frozenset[str]:
    return frozenset(d.strip() for d in value.split(",") if d.strip())


def _address_list(value: str, _name: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in value.split(",") if a.strip())


def _upper(value: str, _name: str) -> str:
    return value.upper()


@dataclass(frozen=True, slots=True)
class _Option:
    """One setting: its flag, its variable, where it lands in the settings tree (the errors found
    there name this option) and how its text becomes that value (raising ConfigError naming it)."""

    flag: str
    env: str
    path: tuple[str, ...]
    help: str
    convert: Callable[[str, str], object] = _text
    default: str | None = None

    @property
    def dest(self) -> str:
        return self.flag[2:].replace("-", "_")

    @property
    def name(self) -> str:
        return f"{self.flag}/{self.env}"


# The one table of settings: argparse flags, environment variables and error names all come from it.
# fmt: off
_OPTIONS: tuple[_Option, ...] = (
    _Option("--mqtt-url", "MPP_MQTT_URL", ("mqtt",),
            "MQTT broker, mqtt[s]://user:pass@host:port (default mqtt://127.0.0.1:1883)",
            lambda value, name: parse_mqtt_url(value, name), default="mqtt://127.0.0.1:1883"),
    _Option("--store", "MPP_STORE_URL", ("store",),
            "sqlite:///path.db (default sqlite:///var/mpp.db) or influxdb://[u:p@]host:port/db",
            lambda value, name: parse_store_url(value, name=name), default="sqlite:///var/mpp.db"),
    _Option("--listen", "MPP_LISTEN", ("listen",),
            "host:port of the HTTP API and dashboard (default 127.0.0.1:8080)", _host_port),
    _Option("--health-listen", "MPP_HEALTH_LISTEN", ("health_listen",),
            "host:port where a process of its own answers /healthz at once, even while the API is busy "
            "(default: only on --listen)", _host_port),
    _Option("--api-token", "MPP_API_TOKEN", ("api_token",),
            "bearer token the API requires for writes (prefer the variable)"),
    _Option("--data-dir", "MPP_DATA_DIR", ("data_dir",),
            "folder for local state (default ./var)"),
    _Option("--silent-after-s", "MPP_SILENT_AFTER_S", ("silent_after_s",),
            "devices silent longer than this are flagged (default 180)", _number(float)),
    _Option("--share-group", "MPP_SHARE_GROUP", ("mqtt", "share_group"),
            "MQTT v5 shared subscription group: $share/<group>/mpp/v1/#"),
    _Option("--client-id", "MPP_CLIENT_ID", ("mqtt", "client_id"),
            "stable MQTT client id (default: MQTT username, else mpp-collector-<hostname>)"),
    _Option("--session-expiry-s", "MPP_SESSION_EXPIRY_S", ("mqtt", "session_expiry_s"),
            "how long the broker keeps our session (default 604800)", _number(int)),
    _Option("--receive-maximum", "MPP_RECEIVE_MAXIMUM", ("mqtt", "receive_maximum"),
            "unacknowledged messages the broker may send (default 5000)", _number(int)),
    _Option("--mqtt-ca-file", "MPP_MQTT_CA_FILE", ("mqtt", "ca_file"),
            "CA bundle for mqtts:// (default: system CAs)"),
    _Option("--batch-size", "MPP_BATCH_SIZE", ("batch", "max_messages"),
            "messages per store write (default 500)", _number(int)),
    _Option("--batch-latency-ms", "MPP_BATCH_LATENCY_MS", ("batch", "max_latency_s"),
            "longest a message waits for its write (default 200)", _milliseconds),
    _Option("--allowed-devices", "MPP_ALLOWED_DEVICES", ("allowed_devices",),
            "comma-separated site/device allow-list (default: any)", _device_list),
    _Option("--log-level", "MPP_LOG_LEVEL", ("log_level",),
            "DEBUG, INFO, WARNING or ERROR (default INFO)", _upper),
    _Option("--alert-interval-s", "MPP_ALERT_INTERVAL_S", ("alerts", "interval_s"),
            "how often the alert rules are evaluated (default 60)", _number(float)),
    _Option("--smtp-host", "MPP_SMTP_HOST", ("alerts", "smtp", "host"),
            "SMTP server for alert e-mail (default: no e-mail)"),
    _Option("--smtp-port", "MPP_SMTP_PORT", ("alerts", "smtp", "port"),
            "SMTP port (default 587 for starttls, 465 for ssl, 25 for none)", _number(int)),
    _Option("--smtp-security", "MPP_SMTP_SECURITY", ("alerts", "smtp", "security"),
            "starttls (default), ssl or none"),
    _Option("--smtp-user", "MPP_SMTP_USER", ("alerts", "smtp", "username"),
            "SMTP login; the password comes from MPP_SMTP_PASSWORD or MPP_SMTP_PASSWORD_FILE"),
    _Option("--smtp-from", "MPP_SMTP_FROM", ("alerts", "smtp", "sender"),
            "sender address of alert e-mail"),
    _Option("--alert-email-to", "MPP_ALERT_EMAIL_TO", ("alerts", "email_to"),
            "comma-separated recipients of alert e-mail", _address_list),
    _Option("--alert-webhook-url", "MPP_ALERT_WEBHOOK_URL", ("alerts", "webhook", "url"),
            "JSON webhook for alerts (a WhatsApp or Telegram gateway); its bearer secret comes from "
            "MPP_ALERT_WEBHOOK_SECRET or MPP_ALERT_WEBHOOK_SECRET_FILE"),
    _Option("--monthly-report-to", "MPP_MONTHLY_REPORT_TO", ("alerts", "monthly_report_to"),
            "comma-separated recipients of each site's monthly report (PDF), e-mailed on the 1st", _address_list),
)
# fmt: on


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="mpp-collector",
        description="MQTT -> validation -> SQLite or InfluxDB -> HTTP API and dashboard.",
        epilog="Every flag has an environment variable. The InfluxDB token comes from MPP_INFLUX_TOKEN or the "
        "file named by MPP_INFLUX_TOKEN_FILE; the MQTT password may come from MPP_MQTT_PASSWORD or "
        "MPP_MQTT_PASSWORD_FILE instead of the URL (percent-encode special characters in URLs). Report links "
        "are signed with MPP_LINK_SECRET or the file named by MPP_LINK_SECRET_FILE (default: a secret made once "
        "in the data dir).",
    )
    for option in _OPTIONS:
        parser.add_argument(option.flag, dest=option.dest, default=None, help=f"{option.help} [{option.env}]")
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
    tree: dict[str, Any] = {"mqtt": {}, "batch": {}}
    for option in _OPTIONS:
        value = args.get(option.dest)
        if value is None:
            value = environ.get(option.env) or option.default
        if value is not None:
            _place(tree, option.path, option.convert(value, option.name))
    mqtt = tree["mqtt"]
    # The project's broker replaces every client id by the username (use_username_as_clientid), so the
    # session is bound to the account; the same default keeps the id stable on brokers that do not.
    if not mqtt.get("client_id"):
        mqtt["client_id"] = mqtt.get("username") or f"mpp-collector-{socket.gethostname()}"
    # Keeps the password out of the URL (and out of `ps`): the URL names the user only.
    mqtt_password = environ.get("MPP_MQTT_PASSWORD") or _secret_file(environ, "MPP_MQTT_PASSWORD_FILE")
    if mqtt_password:
        if not mqtt["username"]:
            raise ConfigError("MPP_MQTT_PASSWORD(_FILE): --mqtt-url/MPP_MQTT_URL must name the user (mqtt://user@host)")
        mqtt["password"] = SecretStr(mqtt_password)
    token = environ.get("MPP_INFLUX_TOKEN") or _secret_file(environ, "MPP_INFLUX_TOKEN_FILE")
    if token and isinstance(tree["store"], InfluxStoreSettings):
        tree["store"] = tree["store"].model_copy(update={"token": SecretStr(token)})
    _alert_secrets(tree, environ)
    link_secret = environ.get("MPP_LINK_SECRET") or _secret_file(environ, "MPP_LINK_SECRET_FILE")
    if link_secret:
        if len(link_secret) < MIN_LINK_SECRET_CHARS:
            raise ConfigError(f"MPP_LINK_SECRET(_FILE): needs at least {MIN_LINK_SECRET_CHARS} characters "
                              "(openssl rand -hex 32)")  # fmt: skip
        tree["link_secret"] = SecretStr(link_secret)
    try:
        return CollectorSettings.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from None


def _alert_secrets(tree: dict[str, Any], environ: Mapping[str, str]) -> None:
    """SMTP password and webhook secret from the environment or a file, never from a flag."""
    alerts = tree.get("alerts", {})
    password = environ.get("MPP_SMTP_PASSWORD") or _secret_file(environ, "MPP_SMTP_PASSWORD_FILE")
    if password:
        if not alerts.get("smtp", {}).get("username"):
            raise ConfigError("MPP_SMTP_PASSWORD(_FILE): set --smtp-user/MPP_SMTP_USER as well")
        alerts["smtp"]["password"] = SecretStr(password)
    secret = environ.get("MPP_ALERT_WEBHOOK_SECRET") or _secret_file(environ, "MPP_ALERT_WEBHOOK_SECRET_FILE")
    if secret:
        if "webhook" not in alerts:
            raise ConfigError("MPP_ALERT_WEBHOOK_SECRET(_FILE): set --alert-webhook-url/MPP_ALERT_WEBHOOK_URL as well")
        alerts["webhook"]["secret"] = SecretStr(secret)
    for key, name in (("email_to", "--alert-email-to/MPP_ALERT_EMAIL_TO"),
                      ("monthly_report_to", "--monthly-report-to/MPP_MONTHLY_REPORT_TO")):  # fmt: skip
        if alerts.get(key) and "smtp" not in alerts:
            raise ConfigError(f"{name}: set --smtp-host/MPP_SMTP_HOST as well")
    if "smtp" in alerts and not alerts.get("email_to") and not alerts.get("monthly_report_to"):
        raise ConfigError(
            "--smtp-host/MPP_SMTP_HOST: set --alert-email-to/MPP_ALERT_EMAIL_TO or --monthly-report-to/"
            "MPP_MONTHLY_REPORT_TO as well"
        )


def _place(tree: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    """Set ``value`` at ``path``; a mapping merges into the one already there (``mqtt`` from the URL)."""
    *parents, key = path
    for part in parents:
        tree = tree.setdefault(part, {})
    if isinstance(value, dict) and isinstance(tree.get(key), dict):
        tree[key].update(value)
    else:
        tree[key] = value


def _explain(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = tuple(str(p) for p in first["loc"])
    for option in sorted(_OPTIONS, key=lambda o: len(o.path), reverse=True):
        if loc[: len(option.path)] == option.path:
            return f"{option.name}: {first['msg']}"
    return f"{'.'.join(loc)}: {first['msg']}"
