"""Device configuration: one validated YAML file per device.

Loaded once at start-up by the composition root and passed down. Unknown keys
are rejected and every error names its key path. Secrets never live here:
the MQTT password comes from an environment variable or a file, resolved by
``MqttConfig.resolve_password`` at connect time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from edge.counting.geometry import Point, Polygon, Segment
from edge.counting.layout import CountingLine, CountingZone
from wire.vocabulary import IDENTIFIER_PATTERN, NAME_PATTERN, CountingRole, Identifier, Name, TimezoneName


class ConfigError(Exception):
    """Invalid configuration; the message names the setting and is safe to log."""


Coordinate = Annotated[float, Field(ge=0.0, le=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PointConfig(_Strict):
    """A point in normalised image coordinates (0..1, origin top-left, y down)."""

    x: Coordinate
    y: Coordinate

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: object) -> object:
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ValueError("a point is [x, y]")
            return {"x": value[0], "y": value[1]}
        return value


class LineConfig(_Strict):
    """A directed counting line A->B; crossing from its negative to its positive side is ``in``."""

    name: Name
    points: Annotated[tuple[PointConfig, PointConfig], Field(description="[[ax, ay], [bx, by]]")]
    role: Name = CountingRole.ENTRANCE.value

    @field_validator("points")
    @classmethod
    def _distinct(cls, points: tuple[PointConfig, PointConfig]) -> tuple[PointConfig, PointConfig]:
        if points[0] == points[1]:
            raise ValueError("line end points must differ")
        return points

    def as_counting(self) -> CountingLine:
        """This line as the counting core takes it: plain geometry, no configuration."""
        a, b = self.points
        return CountingLine(self.name, Segment(Point(a.x, a.y), Point(b.x, b.y)), self.role)


class ZoneConfig(_Strict):
    name: Name
    points: Annotated[tuple[PointConfig, ...], Field(min_length=3)]
    role: Name = CountingRole.VISITOR.value
    # Which gerai (service booth) this zone belongs to, if any.
    gerai: Identifier | None = None

    def as_counting(self) -> CountingZone:
        """This zone as the counting core takes it: plain geometry, no configuration."""
        return CountingZone(self.name, Polygon(tuple(Point(p.x, p.y) for p in self.points)), self.role, self.gerai)


class TlsConfig(_Strict):
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = False


class MqttConfig(_Strict):
    url: str = "mqtt://127.0.0.1:1883"
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    tls: TlsConfig = TlsConfig()
    keepalive_s: int = Field(default=30, ge=5, le=3600)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("mqtt", "mqtts"):
            raise ValueError(f"must be mqtt://host[:port] or mqtts://host[:port], got scheme {parts.scheme!r}")
        if not parts.hostname:
            raise ValueError("has no host")
        if parts.password is not None:
            raise ValueError("must not contain a password; use password_env or password_file")
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            raise ValueError("has an invalid port") from None
        return value

    @model_validator(mode="after")
    def _one_password_source(self) -> MqttConfig:
        if self.password_env and self.password_file:
            raise ValueError("set password_env or password_file, not both")
        return self

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (8883 if parts.scheme == "mqtts" else 1883)

    @property
    def use_tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts"

    def resolve_password(self) -> str | None:
        """Read the password from its environment variable or file; ConfigError names the setting."""
        if self.password_env:
            value = os.environ.get(self.password_env)
            if not value:
                raise ConfigError(f"mqtt.password_env: environment variable {self.password_env} is not set")
            return value
        if self.password_file:
            try:
                return self.password_file.read_text().strip()
            except OSError as exc:
                raise ConfigError(f"mqtt.password_file: cannot read {self.password_file}: {exc.strerror}") from None
        return None


class OutboxConfig(_Strict):
    path: Path = Path("var/outbox.db")
    max_bytes: int = Field(default=64 * 1024 * 1024, ge=64 * 1024)
    max_age_s: int = Field(default=30 * 86400, ge=60)


class GatingConfig(_Strict):
    """Idle-scene gating: skip inference, and most decoding, while nothing moves (see edge/gating)."""

    enabled: bool = True
    # While idle: seconds between motion checks on a small preview of the frame.
    idle_probe_interval_s: float = Field(default=0.25, ge=0.02, le=1.0)
    # While idle: seconds between detector runs, to notice someone who arrived without motion.
    idle_inference_interval_s: float = Field(default=10.0, ge=0.5, le=600.0)
    # ...doubling after each run that finds no one, up to this (10, 20, 40, 60, 60 s...): right
    # after activity a person whose track was lost is checked for soon, an empty hall once a minute.
    idle_inference_max_interval_s: float = Field(default=60.0, ge=0.5, le=3600.0)
    # Seconds of full-rate inference after the last motion or tracked person.
    hold_s: float = Field(default=1.0, ge=0.0, le=60.0)

    @model_validator(mode="before")
    @classmethod
    def _stride_is_gone(cls, value: object) -> object:
        if isinstance(value, dict) and "idle_stride" in value:
            raise ValueError(
                "idle_stride (frames) is replaced by idle_probe_interval_s (seconds between motion checks, "
                "default 0.25) and idle_inference_interval_s (seconds between detector runs, default 10): "
                "remove idle_stride"
            )
        return value

    @model_validator(mode="after")
    def _backoff_not_below_start(self) -> GatingConfig:
        if self.idle_inference_max_interval_s < self.idle_inference_interval_s:
            raise ValueError("idle_inference_max_interval_s must be >= idle_inference_interval_s")
        return self


class EdgeConfig(_Strict):
    site: Identifier
    device: Identifier
    timezone: TimezoneName = "Asia/Jakarta"
    # Video file path, rtsp:// or http(s):// URL, USB camera index ("0"), or "picamera2".
    source: str
    # For a file source: the wall-clock time of frame 1, so footage replays into history.
    video_start: AwareDatetime | None = None
    model: str = "yolo11n.pt"
    imgsz: int = Field(default=640, ge=64, le=1920)
    confidence: float = Field(default=0.1, gt=0.0, lt=1.0)
    tracker: str = "bytetrack.yaml"
    # Detect on the region of the lines and zones only (their bounding box plus a margin, cut
    # from the frame before the model scales it: edge.counting.region), so distant people get
    # more pixels; a region covering nearly the whole frame is not cut.
    detection_crop: bool = False
    interval_s: int = Field(default=60, ge=1, le=3600)
    health_interval_s: int = Field(default=60, ge=1, le=3600)
    lines: tuple[LineConfig, ...] = ()
    zones: tuple[ZoneConfig, ...] = ()
    mqtt: MqttConfig = MqttConfig()
    outbox: OutboxConfig = OutboxConfig()
    gating: GatingConfig = GatingConfig()

    @model_validator(mode="after")
    def _unique_names(self) -> EdgeConfig:
        names = [line.name for line in self.lines] + [zone.name for zone in self.zones]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"line and zone names must be unique, repeated: {', '.join(duplicates)}")
        if 86400 % self.interval_s:
            raise ValueError("interval_s must divide a day (e.g. 10, 60, 300, 900)")
        return self

    @property
    def source_kind(self) -> Literal["file", "stream", "usb", "picamera2"]:
        if self.source == "picamera2":
            return "picamera2"
        if self.source.isdigit():
            return "usb"
        if urlsplit(self.source).scheme in ("rtsp", "rtsps", "http", "https", "udp", "tcp"):
            return "stream"
        return "file"

    @property
    def source_shown(self) -> str:
        """``source`` as printed and logged: a stream URL without its user and password."""
        return source_shown(self.source)


def source_shown(source: str) -> str:
    """A camera source as printed and logged: a stream URL without its user and password (a file
    path, whose split has no network location, as it is)."""
    parts = urlsplit(source)
    if "@" not in parts.netloc:
        return source
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


# Each name rule in words: an installer should not have to read a regular expression.
_PATTERN_RULES = {
    IDENTIFIER_PATTERN: (
        "1 to 64 characters: lowercase letters a-z, digits, '-' and '_', starting with a letter or digit"
    ),
    NAME_PATTERN: "1 to 64 characters: letters, digits, '.', '-' and '_', starting with a letter or digit",
}
PIXEL_HINT = (
    "coordinates are normalised 0..1: divide by the image width and height, e.g. x=320 on a 640-px-wide image is 0.5"
)


def _is_pixel_coordinate(error: ErrorDetails) -> bool:
    loc = error["loc"]
    return error["type"] == "less_than_equal" and len(loc) >= 3 and loc[-1] in ("x", "y") and loc[-3] == "points"


def format_validation_error(exc: ValidationError, origin: str) -> str:
    """One line per problem, each naming its key path (``lines.0.points``) and saying what to do.

    Pixel coordinates in a line or zone give one line per line or zone (not one per number);
    a name that breaks a name rule gets the rule in words.
    """
    problems: list[tuple[str, str]] = []
    # Pixel values per ``points`` key path; reported once, where the first one appeared.
    pixels: dict[str, list[str]] = {}
    for error in exc.errors():
        if _is_pixel_coordinate(error):
            points_path = ".".join(str(p) for p in error["loc"][:-2])
            if points_path not in pixels:
                pixels[points_path] = []
                problems.append((points_path, ""))
            pixels[points_path].append(f"{error['loc'][-2]}.{error['loc'][-1]}={error['input']:g}")
            continue
        path = ".".join(str(p) for p in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "string_pattern_mismatch":
            rule = _PATTERN_RULES.get(str(error.get("ctx", {}).get("pattern")))
            if rule is not None:
                message = f"{error['input']!r} is not a valid name: use {rule}"
        problems.append((path, message))
    lines = []
    for path, message in problems:
        if path not in pixels:
            lines.append(f"{origin}: {path}: {message}")
        elif message == "":
            # Other errors on these points (too few left once the pixel ones failed) are noise.
            values = pixels[path]
            verb = "is" if len(values) == 1 else "are"
            lines.append(f"{origin}: {path}: {', '.join(values)} {verb} above 1: {PIXEL_HINT}")
    return "\n".join(lines)


def parse_config(data: object, origin: str = "config") -> EdgeConfig:
    try:
        return EdgeConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, origin)) from None


def load_config(path: Path) -> EdgeConfig:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return parse_config(data, str(path))
