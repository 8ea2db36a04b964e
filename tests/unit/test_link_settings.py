"""The report links' secret from the settings table: a variable or a file, never a flag; too short is refused
without echoing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import ConfigError, from_args

SECRET = "0123456789abcdef" * 4


def test_no_link_secret_by_default_and_one_from_a_variable_or_a_file(tmp_path: Path) -> None:
    assert from_args([], {}).link_secret is None
    assert from_args([], {"MPP_LINK_SECRET": SECRET}).link_secret.get_secret_value() == SECRET  # type: ignore[union-attr]
    (tmp_path / "link").write_text(SECRET + "\n")
    settings = from_args([], {"MPP_LINK_SECRET_FILE": str(tmp_path / "link")})
    assert settings.link_secret is not None and settings.link_secret.get_secret_value() == SECRET
    assert SECRET not in repr(settings)


def test_a_short_link_secret_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigError) as refused:
        from_args([], {"MPP_LINK_SECRET": "short-secret"})
    assert "MPP_LINK_SECRET" in str(refused.value) and "short-secret" not in str(refused.value)


def test_an_unreadable_secret_file_is_named() -> None:
    with pytest.raises(ConfigError, match="MPP_LINK_SECRET_FILE"):
        from_args([], {"MPP_LINK_SECRET_FILE": "/nonexistent/link"})
