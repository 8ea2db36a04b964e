from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import ConfigError, load_config, parse_config
from edge.counting import CountingLine, CountingZone, Point, Polygon, Segment

MINIMAL = {"site": "kobar", "device": "pintu-1", "source": "clip.mp4"}


def test_minimal_config_gets_documented_defaults() -> None:
    config = parse_config(MINIMAL)
    assert config.timezone == "Asia/Jakarta"
    assert config.interval_s == 60
    assert config.source_kind == "file"
    assert config.mqtt.port == 1883


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("0", "usb"),
        ("picamera2", "picamera2"),
        ("rtsp://cam/stream", "stream"),
        ("https://x/y.m3u8", "stream"),
        ("/data/clip.mp4", "file"),
    ],
)
def test_source_kinds(source: str, kind: str) -> None:
    assert parse_config({**MINIMAL, "source": source}).source_kind == kind


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("rtsp://admin:p@ss-9@10.0.0.5:554/live@1", "rtsp://10.0.0.5:554/live@1"),
        ("rtsp://10.0.0.5/stream", "rtsp://10.0.0.5/stream"),
        ("/data/a@b.mp4", "/data/a@b.mp4"),
    ],
)
def test_a_stream_url_is_shown_without_its_user_and_password(source: str, shown: str) -> None:
    assert parse_config({**MINIMAL, "source": source}).source_shown == shown


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"camera": "x"}, "camera: unknown key"),
        (
            {"lines": [{"name": "a", "points": [[0, 0], [1.5, 1]]}]},
            "lines.0.points: 1.x=1.5 is above 1: coordinates are normalised",
        ),
        ({"lines": [{"name": "a", "points": [[0.5, 0.5], [0.5, 0.5]]}]}, "lines.0.points: line end points must differ"),
        ({"zones": [{"name": "z", "points": [[0, 0], [1, 1]]}]}, "zones.0.points"),
        (
            {
                "zones": [{"name": "a", "points": [[0, 0], [1, 0], [1, 1]]}],
                "lines": [{"name": "a", "points": [[0, 0], [1, 1]]}],
            },
            "repeated: a",
        ),
        ({"timezone": "WIB"}, "timezone: unknown IANA timezone 'WIB'"),
        ({"interval_s": 7}, "interval_s must divide a day"),
        ({"site": "Kobar Barat"}, "site: 'Kobar Barat' is not a valid name: use 1 to 64 characters: lowercase letters"),
        ({"mqtt": {"url": "kafka://x"}}, "mqtt.url: must be mqtt://"),
        ({"mqtt": {"url": "mqtt://"}}, "mqtt.url: has no host"),
        ({"mqtt": {"url": "mqtt://host:99999"}}, "mqtt.url: has an invalid port"),
        ({"mqtt": {"url": "mqtt://u:secret@host"}}, "mqtt.url: must not contain a password"),
        ({"mqtt": {"password_env": "A", "password_file": "/x"}}, "not both"),
    ],
)
def test_errors_name_the_key_path(change: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({**MINIMAL, **change}, "device.yaml")
    assert message in str(info.value)
    assert "secret" not in str(info.value)


def test_password_comes_from_the_environment_or_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config({**MINIMAL, "mqtt": {"username": "kobar/pintu-1", "password_env": "MPP_TEST_PW"}})
    monkeypatch.delenv("MPP_TEST_PW", raising=False)
    with pytest.raises(ConfigError, match=r"mqtt\.password_env: environment variable MPP_TEST_PW is not set"):
        config.mqtt.resolve_password()
    monkeypatch.setenv("MPP_TEST_PW", "s3cret")
    assert config.mqtt.resolve_password() == "s3cret"
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    from_file = parse_config({**MINIMAL, "mqtt": {"password_file": str(secret)}})
    assert from_file.mqtt.resolve_password() == "from-file"
    missing = parse_config({**MINIMAL, "mqtt": {"password_file": str(tmp_path / "nope")}})
    with pytest.raises(ConfigError, match=r"mqtt\.password_file: cannot read"):
        missing.mqtt.resolve_password()


def test_load_config_reports_file_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("site: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(scalar)


def test_pixel_coordinates_give_one_error_per_line_or_zone_that_says_what_to_do(tmp_path: Path) -> None:
    config = tmp_path / "device.yaml"
    config.write_text(
        "site: kobar\ndevice: pintu-1\nsource: clip.mp4\n"
        "lines:\n  - {name: door, points: [[320, 100], [320, 400]]}\n"
        "zones:\n  - {name: queue, points: [[0.1, 0.1], [500, 0.1], [0.5, 0.9]]}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(config)
    problems = str(info.value).splitlines()
    assert problems == [
        f"{config}: lines.0.points: 0.x=320, 0.y=100, 1.x=320, 1.y=400 are above 1: coordinates are normalised 0..1: "
        "divide by the image width and height, e.g. x=320 on a 640-px-wide image is 0.5",
        f"{config}: zones.0.points: 1.x=500 is above 1: coordinates are normalised 0..1: "
        "divide by the image width and height, e.g. x=320 on a 640-px-wide image is 0.5",
    ]
    assert "less than or equal" not in str(info.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"device": "Pintu 1"},
            "device: 'Pintu 1' is not a valid name: use 1 to 64 characters: lowercase letters "
            "a-z, digits, '-' and '_', starting with a letter or digit",
        ),
        (
            {"lines": [{"name": "pintu utama", "points": [[0, 0], [1, 1]]}]},
            "lines.0.name: 'pintu utama' is not a "
            "valid name: use 1 to 64 characters: letters, digits, '.', '-' and '_', starting with a letter or digit",
        ),
        (
            {"zones": [{"name": "q", "gerai": "Dukcapil", "points": [[0, 0], [1, 0], [1, 1]]}]},
            "zones.0.gerai: 'Dukcapil' is not a valid name: use 1 to 64 characters: lowercase letters",
        ),
    ],
)
def test_a_broken_name_rule_is_said_in_words(change: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({**MINIMAL, **change}, "device.yaml")
    assert message in str(info.value)
    assert "^[" not in str(info.value)  # no raw regular expression


def test_lines_and_zones_reach_the_counting_core_as_plain_geometry() -> None:
    config = parse_config(
        {
            "site": "mpp-a", "device": "cam-1", "source": "clip.mp4",
            "lines": [{"name": "door", "points": [[0.1, 0.2], [0.3, 0.4]]}],
            "zones": [{"name": "booth", "role": "queue", "gerai": "g1", "points": [[0, 0], [1, 0], [1, 1]]}],
        },
        "test",
    )  # fmt: skip
    assert config.lines[0].as_counting() == CountingLine("door", Segment(Point(0.1, 0.2), Point(0.3, 0.4)), "entrance")
    assert config.zones[0].as_counting() == CountingZone(
        "booth", Polygon((Point(0, 0), Point(1, 0), Point(1, 1))), "queue", "g1"
    )
