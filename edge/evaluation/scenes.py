"""Named evaluation scenes (lines and zones per clip) from one YAML file."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from edge.config import ConfigError, LineConfig, ZoneConfig, format_validation_error


class Scene(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    lines: tuple[LineConfig, ...] = ()
    zones: tuple[ZoneConfig, ...] = ()

    def flags(self) -> list[str]:
        """The same scene as ``--line``/``--zone`` command-line flags."""
        args = []
        for line in self.lines:
            a, b = line.points
            args += ["--line", f"{line.name}={a.x},{a.y},{b.x},{b.y}"]
        for zone in self.zones:
            args += ["--zone", f"{zone.name}=" + ";".join(f"{p.x},{p.y}" for p in zone.points)]
        return args


def load_scenes(path: Path) -> dict[str, Scene]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read scenes: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of clip name to scene")
    try:
        return {str(name): Scene.model_validate(scene) for name, scene in data.items()}
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, str(path))) from None
