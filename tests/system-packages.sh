#!/usr/bin/env bash
# Installs the system packages `make test` (default) or `make demo` (--demo) runs for real:
# test: mosquitto, InfluxDB 1.x, Chromium + chromedriver, docker-compose (config only), openssl,
#       poppler-utils (renders the PDF report) and fonts-dejavu-core (the report's font);
# demo: mosquitto and fonts-dejavu-core.
# As root it runs apt-get; otherwise through `sudo -n` when that needs no password; else it
# prints the one command to run and fails.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ]; }
have mosquitto || need+=(mosquitto)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ "${1:-}" != --demo ]; then
  have mosquitto_pub || need+=(mosquitto-clients)
  have influxd || need+=(influxdb)
  have chromium || need+=(chromium)
  have chromedriver || need+=(chromium-driver)
  have docker-compose || need+=(docker-compose)
  have openssl || need+=(openssl)
  have pdftoppm || need+=(poppler-utils)
fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "missing system packages: ${need[*]}; run: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
echo "installing: ${need[*]}" >&2
"${as_root[@]}" apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
