#!/usr/bin/env bash
# Installs the edge counter on Raspberry Pi OS 64-bit (Bookworm, Python 3.11):
# a service user, a venv that can see apt's picamera2, the systemd unit and a
# journald size cap. Run from a clone of the repository:
#   sudo deploy/pi/install.sh
#   sudo NTP_SERVER=collector.lan deploy/pi/install.sh   # time from the LAN (see below)
# Then put the device config at /etc/mpp/edge.yaml (mpp-provision writes a
# starter), the MQTT password at /etc/mpp/mqtt-password, and:
#   sudo systemctl enable --now mpp-edge
set -euo pipefail

PREFIX=${PREFIX:-/opt/mpp-counter}
# NTP server for systemd-timesyncd, e.g. the collector host (deploy/collector/chrony-mpp.conf);
# empty: keep the system's (Raspberry Pi OS uses debian.pool.ntp.org, which needs internet).
NTP_SERVER=${NTP_SERVER:-}
SERVICE_USER=${SERVICE_USER:-mpp-edge}
REPO=$(cd "$(dirname "$0")/../.." && pwd)

if [ "$(id -u)" != 0 ]; then
  echo "run as root: sudo $0" >&2
  exit 1
fi
if [ "$(uname -m)" != aarch64 ]; then
  echo "warning: expected a 64-bit Raspberry Pi OS (aarch64), found $(uname -m)" >&2
fi

echo "== system packages"
apt-get update -q
# python3-picamera2 comes from Raspberry Pi OS's archive: it is built against
# libcamera and cannot be pip-installed, hence the venv's --system-site-packages.
# Plain Debian (deploy/pi/test-arm64.sh) has no such package: USB/RTSP cameras only.
PICAMERA2=python3-picamera2
if ! apt-cache show "$PICAMERA2" >/dev/null 2>&1; then
  echo "warning: $PICAMERA2 is not in this system's archive; USB/RTSP cameras still work" >&2
  PICAMERA2=
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  python3-venv python3-pip $PICAMERA2 libgl1 libglib2.0-0 git

echo "== service user $SERVICE_USER"
if ! id "$SERVICE_USER" >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/mpp --create-home --shell /usr/sbin/nologin "$SERVICE_USER"
fi
# video: /dev/video* (USB) and the camera; render: /dev/dri for libcamera.
usermod -a -G video,render "$SERVICE_USER"

echo "== code and venv in $PREFIX"
if [ "$REPO" != "$PREFIX" ]; then
  mkdir -p "$PREFIX"
  # The committed tree only: no local venv, outbox or clips from the clone.
  git -C "$REPO" archive HEAD | tar -x -C "$PREFIX"
fi
python3 -m venv --system-site-packages "$PREFIX/.venv"
"$PREFIX/.venv/bin/pip" install -q --upgrade pip
# From PyPI alone; the edge extra keeps torch at a CPU build on aarch64 (pyproject.toml).
"$PREFIX/.venv/bin/pip" install -q "$PREFIX[edge]"
"$PREFIX/.venv/bin/python" -c "import picamera2" \
  || echo "warning: picamera2 is not importable from the venv; USB/RTSP sources still work" >&2

echo "== configuration folder /etc/mpp"
install -d -m 0750 -o root -g "$SERVICE_USER" /etc/mpp
if [ ! -e /etc/mpp/edge.yaml ]; then
  echo "note: no /etc/mpp/edge.yaml yet; create one with mpp-provision on the broker host (docs/en/operations.md)" >&2
fi

echo "== clock"
# A Pi has no battery-backed clock: until NTP answers it runs on the time it last shut down
# (fake-hwclock), and counts would be stamped with that time. mpp-edge.service starts after
# time-sync.target; systemd-time-wait-sync holds that target until the clock is synchronised.
if [ -n "$NTP_SERVER" ]; then
  install -d /etc/systemd/timesyncd.conf.d
  printf '[Time]\nNTP=%s\n' "$NTP_SERVER" > /etc/systemd/timesyncd.conf.d/mpp.conf
  systemctl restart systemd-timesyncd
fi
systemctl enable systemd-time-wait-sync.service \
  || echo "warning: cannot enable systemd-time-wait-sync: the counter may start before the clock is right" >&2

echo "== systemd unit and journald cap"
install -m 0644 "$REPO/deploy/pi/mpp-edge.service" /etc/systemd/system/mpp-edge.service
install -d /etc/systemd/journald.conf.d
install -m 0644 "$REPO/deploy/pi/journald-mpp.conf" /etc/systemd/journald.conf.d/mpp.conf
systemctl daemon-reload
systemctl restart systemd-journald

echo "done. Next: sudo systemctl enable --now mpp-edge && journalctl -u mpp-edge -f"
