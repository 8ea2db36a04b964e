"""AdminDb: tokens stored hashed, the environment's admin token replaced on restart, settings round-trip."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from collector.admin import (
    AdminDb,
    AdminDbError,
    GeraiSettings,
    OpeningHoursSettings,
    Role,
    SiteDay,
    SiteSettings,
)


def test_tokens_are_hashed_and_revocable(tmp_path: Path) -> None:
    db = AdminDb(tmp_path / "admin.db")
    info, secret = db.create_token(Role.VIEWER, "dinas")
    db.ensure_env_token("env-secret-1")
    assert db.role_for(secret) is Role.VIEWER
    assert db.role_for("env-secret-1") is Role.ADMIN
    assert db.role_for("guess") is None
    db.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("admin.db*"))
    assert secret.encode() not in raw and b"env-secret-1" not in raw
    reopened = AdminDb(tmp_path / "admin.db")
    reopened.ensure_env_token("env-secret-2")
    assert reopened.role_for("env-secret-1") is None
    assert reopened.role_for(secret) is Role.VIEWER
    assert reopened.delete_token(info.id) and reopened.role_for(secret) is None
    assert not reopened.delete_token(info.id)


def test_settings_round_trip_and_corruption_is_reported(tmp_path: Path) -> None:
    db = AdminDb(tmp_path / "admin.db")
    db.put_site("mpp-a", SiteSettings(name="MPP A", timezone="Asia/Makassar"))
    db.put_gerai("mpp-a", "pajak", GeraiSettings(zones=[{"device": "cam-1", "zone": "meja", "role": "staff"}]))
    db.put_opening_hours("mpp-a", OpeningHoursSettings(days=[{"weekday": 5, "opens": "08:00", "closes": "24:00"}]))
    assert db.sites()["mpp-a"].timezone == "Asia/Makassar"
    assert db.gerai("mpp-a")["pajak"].zones[0].zone == "meja"
    hours = db.opening_hours("mpp-a")
    assert hours is not None and hours.days[0].closes == "24:00"
    with sqlite3.connect(tmp_path / "admin.db") as raw:
        raw.execute("UPDATE site SET settings = '{\"colour\": 1}'")
    with pytest.raises(AdminDbError, match="invalid SiteSettings"):
        db.sites()


def test_unopenable_path_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(AdminDbError, match="cannot open admin db"):
        AdminDb(tmp_path / "file" / "admin.db")


def test_site_days_are_kept_per_site_and_survive_a_reopen(tmp_path: Path) -> None:
    db = AdminDb(tmp_path / "admin.db")
    db.put_site_day("mpp-a", SiteDay(date=date(2026, 8, 17), closed=False))
    db.put_site_day("mpp-a", SiteDay(date=date(2026, 4, 21), closed=True, name="Hari Jadi"))
    db.put_site_day("mpp-a", SiteDay(date=date(2026, 4, 21), closed=True, name="Hari Jadi Kabupaten"))  # replaces
    db.close()
    reopened = AdminDb(tmp_path / "admin.db")
    assert reopened.site_days("mpp-a") == [
        SiteDay(date=date(2026, 4, 21), closed=True, name="Hari Jadi Kabupaten"),
        SiteDay(date=date(2026, 8, 17), closed=False),
    ]
    assert reopened.site_days("mpp-b") == []
    assert reopened.delete_site_day("mpp-a", date(2026, 8, 17))
    assert not reopened.delete_site_day("mpp-a", date(2026, 8, 17))
    assert [d.date for d in reopened.site_days("mpp-a")] == [date(2026, 4, 21)]
