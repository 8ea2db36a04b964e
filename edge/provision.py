"""``mpp-provision``: broker accounts for devices and the collector.

A device account is ``<site>/<device>`` with a random password; the broker's
ACL pattern (deploy/mosquitto/acl) limits it to ``mpp/v1/<site>/<device>/#``,
so no ACL edit is needed. The password hash goes to mosquitto's password file
through ``mosquitto_passwd`` (password on stdin, never on a command line); the
password itself goes to a 0600 file that the starter config references.
"""

# ruff: noqa: T201 - a command-line tool: it prints its results
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from wire.vocabulary import IDENTIFIER_PATTERN, CountingRole, is_identifier

# Service accounts that the ACL pattern would otherwise map onto a site name.
_RESERVED_SITES = frozenset({"collector"})


class ProvisionError(Exception):
    """A provisioning step failed; the message says which and why."""


def _mosquitto_passwd(passwd_file: Path, username: str, password: str) -> None:
    binary = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    if not Path(binary).exists():
        raise ProvisionError("mosquitto_passwd not found; install the mosquitto package")
    passwd_file.parent.mkdir(parents=True, exist_ok=True)
    args = [binary]
    if not passwd_file.exists():
        args.append("-c")
    args += [str(passwd_file), username]
    result = subprocess.run(args, input=f"{password}\n{password}\n", capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise ProvisionError(f"mosquitto_passwd failed for {username}: {detail[-1] if detail else result.returncode}")


def _write_secret(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    path.chmod(0o600)


def starter_config(site: str, device: str, broker_url: str, password_file: Path) -> dict[str, object]:
    """A minimal device config; lines and zones are drawn later (mpp-edge annotate)."""
    return {
        "site": site,
        "device": device,
        "timezone": "Asia/Jakarta",
        "source": "0",
        "interval_s": 60,
        "lines": [{"name": "pintu-utama", "points": [[0.1, 0.6], [0.9, 0.6]], "role": CountingRole.ENTRANCE.value}],
        "zones": [],
        "mqtt": {"url": broker_url, "username": f"{site}/{device}", "password_file": str(password_file)},
        "outbox": {"path": "/var/lib/mpp/outbox.db"},
    }


def provision_device(
    site: str, device: str, *, passwd_file: Path, out_dir: Path, broker_url: str, device_secret_path: Path | None
) -> tuple[Path, Path]:
    for name, value in (("--site", site), ("--device", device)):
        if not is_identifier(value):
            raise ProvisionError(f"{name} {value!r} must match {IDENTIFIER_PATTERN}")
    if site in _RESERVED_SITES or site.startswith("collector-"):  # collector-2 ...: more collector accounts
        raise ProvisionError(f"--site {site!r} is reserved for a service account")
    device_dir = out_dir / site / device
    config_path = device_dir / "config.yaml"
    if config_path.exists():
        raise ProvisionError(f"{config_path} exists; remove it to re-provision {site}/{device}")
    password = secrets.token_urlsafe(24)
    _mosquitto_passwd(passwd_file, f"{site}/{device}", password)
    secret_path = device_dir / "mqtt-password"
    _write_secret(secret_path, password)
    referenced = device_secret_path or secret_path.resolve()
    config_path.write_text(
        "# Starter config written by mpp-provision; set source, timezone, lines and zones.\n"
        + yaml.safe_dump(starter_config(site, device, broker_url, referenced), sort_keys=False)
    )
    return config_path, secret_path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mpp-provision", description="Add broker accounts for mpp-counter.")
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("device", help="add a device: credentials, starter config (the ACL pattern covers it)")
    dev.add_argument("--site", required=True)
    dev.add_argument("--device", required=True)
    dev.add_argument("--passwd-file", type=Path, default=Path("deploy/mosquitto/passwd"))
    dev.add_argument("--out-dir", type=Path, default=Path("devices"))
    dev.add_argument("--broker-url", default="mqtt://127.0.0.1:1883")
    dev.add_argument(
        "--device-secret-path",
        type=Path,
        default=None,
        help="where the password file will live on the device (default: the generated file's path)",
    )
    acc = sub.add_parser("account", help="add a service account (e.g. collector); prints its password once")
    acc.add_argument("--username", required=True)
    acc.add_argument("--passwd-file", type=Path, default=Path("deploy/mosquitto/passwd"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "device":
            config_path, secret_path = provision_device(
                args.site,
                args.device,
                passwd_file=args.passwd_file,
                out_dir=args.out_dir,
                broker_url=args.broker_url,
                device_secret_path=args.device_secret_path,
            )
            print(f"added broker account {args.site}/{args.device} to {args.passwd_file}")
            print(f"starter config: {config_path}")
            print(f"password file:  {secret_path} (mode 0600; copy it to the device, keep it out of git)")
            print("next steps:")
            print("  1. reload the broker so it reads the password file (docker compose kill -s HUP mosquitto)")
            print(
                f"  2. copy {config_path.name} and {secret_path.name} to the device; fix mqtt.password_file if the "
                "path differs there"
            )
            print("  3. set source, timezone, lines and zones; then: mpp-edge run --config config.yaml")
        else:
            if "/" in args.username or not args.username or any(c in args.username for c in "+#:"):
                raise ProvisionError("--username must not contain '/', '+', '#' or ':'")
            password = secrets.token_urlsafe(24)
            _mosquitto_passwd(args.passwd_file, args.username, password)
            print(f"added broker account {args.username} to {args.passwd_file}; its password (shown once):")
            print(password)
            print("reload the broker so it reads the password file (docker compose kill -s HUP mosquitto)")
    except (ProvisionError, OSError) as exc:
        print(f"mpp-provision: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
