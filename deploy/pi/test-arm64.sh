#!/usr/bin/env bash
# Proves the Pi install on arm64 without a Pi: builds a Debian bookworm arm64 root
# (Raspberry Pi OS is bookworm-based) with debootstrap, runs it under qemu-user
# (binfmt_misc where the kernel allows, else proot -q), runs deploy/pi/install.sh in it
# as written, and replays a shared clip with the installed mpp-edge.
#   sudo deploy/pi/test-arm64.sh              # all steps; the root is cached
#   sudo deploy/pi/test-arm64.sh root         # only build the root
#   sudo deploy/pi/test-arm64.sh install      # (re)run install.sh in the cached root
#   sudo deploy/pi/test-arm64.sh replay       # replay the clip in the installed root
#   sudo deploy/pi/test-arm64.sh x86          # the same replay here, with the checkout's .venv
#   sudo deploy/pi/test-arm64.sh parity       # both, then compare: exit 1 unless the line
#                                             # counts are identical (zones: ZONE_TOLERANCE)
#   sudo deploy/pi/test-arm64.sh memory       # resident memory on arm64 (edge_memory.py)
#   sudo deploy/pi/test-arm64.sh frame        # one frame's raw model output, x86 and arm64
#                                             # (benchmarks/openvino_frame.py; a minute)
#   sudo deploy/pi/test-arm64.sh shell        # a shell in the root
#   sudo FRAMES=12 deploy/pi/test-arm64.sh parity   # only the clip's first 12 frames
#   sudo QEMU_CPU=cortex-a72 deploy/pi/test-arm64.sh replay   # another emulated CPU
# Prerequisites (Debian): apt-get install debootstrap qemu-user-static binfmt-support proot;
# for x86/parity/FRAMES the checkout's .venv (make setup).
# Takes long under emulation (2 x86 cores): the root 5-42 min, the install 4-19 min (with the
# load), and about a minute of CPU per frame, so the whole 71-frame TUD-Campus takes over an
# hour; FRAMES=N replays the clip's first N frames (written once as PNG, the same input for both
# architectures). Figures: BENCHMARKS.md, "Raspberry Pi (arm64)".
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${MPP_ARM64_CACHE:-/var/tmp/mpp-arm64}
ROOT=$CACHE/bookworm
SHARED=${MPP_SHARED_DIR:-$REPO/../shared}
CLIP=${CLIP:-$SHARED/data/mot15/TUD-Campus/TUD-Campus.mp4}
MODEL=${MODEL:-$SHARED/models/yolov8n_int8_openvino_model}
FRAMES=${FRAMES:-}
ZONE_TOLERANCE=${ZONE_TOLERANCE:-1}
# The emulated CPU (QEMU_CPU, read by qemu from the environment of every process it starts,
# hence exported and passed into the root): a Raspberry Pi 5's Cortex-A76 (ARMv8.2: NEON,
# FP16, dot product; no SVE, no SME). qemu's default, "max", also offers SME, and with it
# OpenVINO's ARM plugin returned garbage (no person above 0.11 where x86 finds six above
# 0.58; "max,sme=off" was right again). QEMU_CPU=cortex-a72 is a Pi 4: there torch 2.10.0
# died on import (illegal instruction; hence aarch64 torch<2.10) and OpenVINO 2026.4.1 does
# not compile the shared INT8 model (replay with it fails there); a .pt model runs. BENCHMARKS.md,
# "Raspberry Pi (arm64)".
export QEMU_CPU=${QEMU_CPU:-cortex-a76}
X86_VENV=${X86_VENV:-$REPO/.venv}
# TUD-Campus's scene of benchmarks/edge_scenes.yaml; every frame inferred (no gating), so
# that x86 and arm64 see the same frames: compare with the same command run on x86.
SCENE=(--gating off
  --line x20=0.20,0.55,0.20,1.00 --line x40=0.40,0.55,0.40,1.00
  --line x60=0.60,0.55,0.60,1.00 --line x80=0.80,0.55,0.80,1.00
  --zone "left=0.05,0.60;0.35,0.60;0.35,1.00;0.05,1.00"
  --zone "middle=0.40,0.60;0.65,0.60;0.65,1.00;0.40,1.00"
  --zone "right=0.70,0.60;0.95,0.60;0.95,1.00;0.70,1.00")

# The Debian mirror apt is configured with here, unless DEBIAN_MIRROR says otherwise.
apt_mirror() {
  local uri
  uri=$(grep -hs -E '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v -- -security | head -n1)
  [ -n "$uri" ] || uri=$(grep -hs -E '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v -- -security | head -n1)
  echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=${DEBIAN_MIRROR:-$(apt_mirror)}

need() { command -v "$1" >/dev/null || { echo "missing $1: apt-get install $2" >&2; exit 1; }; }

# binfmt_misc runs arm64 binaries transparently (qemu-user-static registers with the F flag,
# so the chroot needs no qemu of its own); proot -q is the fallback where mounting is refused.
RUNNER=
pick_runner() {
  [ -n "$RUNNER" ] && return
  if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
  fi
  if [ -e /proc/sys/fs/binfmt_misc/status ]; then
    update-binfmts --enable qemu-aarch64 2>/dev/null || true
  fi
  if grep -qs '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64; then
    RUNNER=binfmt
  else
    need proot proot
    RUNNER=proot
  fi
  echo "== arm64 runner: $RUNNER ($(qemu-aarch64-static --version | head -n1), QEMU_CPU=$QEMU_CPU)" >&2
}

mount_root() {
  mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
  mountpoint -q "$ROOT/sys" || mount --rbind /sys "$ROOT/sys"
  mountpoint -q "$ROOT/dev" || mount --rbind /dev "$ROOT/dev"
  mkdir -p "$ROOT/mnt/shared"
  if [ -d "$SHARED" ]; then
    mountpoint -q "$ROOT/mnt/shared" || mount --bind -o ro "$SHARED" "$ROOT/mnt/shared"
  fi
}

umount_root() {
  for m in mnt/shared dev sys proc; do
    mountpoint -q "$ROOT/$m" && umount -R -l "$ROOT/$m"
  done
  return 0
}

# in_root CMD...: runs CMD as root inside the arm64 root.
in_root() {
  pick_runner
  local env=(env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive PIP_CERT=/etc/mpp-test/ca.crt
    PIP_DEFAULT_TIMEOUT=180 PIP_DISABLE_PIP_VERSION_CHECK=1 QEMU_CPU="$QEMU_CPU"
    # systemd's own switch for a root without a running systemd: systemctl enable still
    # writes its links, daemon-reload and restart are skipped ("Running in chroot").
    SYSTEMD_OFFLINE=1)
  if [ "$RUNNER" = binfmt ]; then
    chroot "$ROOT" "${env[@]}" "$@"
  else
    proot -q qemu-aarch64-static -0 -r "$ROOT" -b /proc -b /sys -b /dev \
      -b "$SHARED:/mnt/shared" -w /root "${env[@]}" "$@"
  fi
}

step_root() {
  if [ -e "$ROOT/.mpp-root-done" ]; then
    echo "== root: cached at $ROOT"
    return
  fi
  need debootstrap debootstrap
  need qemu-aarch64-static qemu-user-static
  pick_runner
  echo "== root: debootstrap bookworm arm64 from $MIRROR into $ROOT"
  rm -rf "$ROOT"
  mkdir -p "$ROOT"
  # systemd-sysv and udev: Raspberry Pi OS has both, and install.sh needs systemctl and
  # the render group; git: install.sh copies the committed tree with git archive.
  debootstrap --arch=arm64 --foreign --variant=minbase \
    --include=systemd-sysv,udev,ca-certificates,git,procps,time \
    bookworm "$ROOT" "$MIRROR"
  cp /usr/bin/qemu-aarch64-static "$ROOT/usr/bin/"
  if [ "$RUNNER" = binfmt ]; then
    chroot "$ROOT" /debootstrap/debootstrap --second-stage
  else
    proot -q qemu-aarch64-static -0 -r "$ROOT" -b /proc -b /sys -b /dev /debootstrap/debootstrap --second-stage
  fi
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$MIRROR" "$MIRROR" > "$ROOT/etc/apt/sources.list"
  echo "$(date -u +%FT%TZ) $MIRROR" > "$ROOT/.mpp-root-done"
}

# The host's CA bundle: pip inside the root trusts what pip here trusts.
copy_ca() {
  mkdir -p "$ROOT/etc/mpp-test"
  cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/mpp-test/ca.crt"
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
}

step_install() {
  echo "== install: deploy/pi/install.sh on arm64 (committed tree at $(git -C "$REPO" rev-parse --short HEAD))"
  copy_ca
  rm -rf "$ROOT/root/mpp-counter"
  git clone -q --no-local "$REPO" "$ROOT/root/mpp-counter"
  mount_root
  trap umount_root EXIT
  in_root /usr/bin/time -v bash /root/mpp-counter/deploy/pi/install.sh
  in_root /opt/mpp-counter/.venv/bin/pip list --format=freeze > "$CACHE/pip-freeze.txt"
  echo "== installed packages: $CACHE/pip-freeze.txt"
}

# The clip as given, or with FRAMES=N a folder of its first N frames as lossless PNG,
# decoded once here so that both architectures replay the very same pixels.
resolve_clip() {
  [ -z "$FRAMES" ] && return
  local dir
  dir=$CACHE/$(basename "${CLIP%.*}")-first$FRAMES
  if [ ! -e "$dir/.done" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    "$X86_VENV/bin/python" -c '
import sys, cv2
capture = cv2.VideoCapture(sys.argv[1])
for i in range(1, int(sys.argv[3]) + 1):
    ok, image = capture.read()
    if not ok:
        sys.exit(f"{sys.argv[1]}: only {i - 1} frames")
    cv2.imwrite(f"{sys.argv[2]}/{i:06d}.png", image)
' "$CLIP" "$dir" "$FRAMES"
    touch "$dir/.done"
  fi
  CLIP=$dir
}

# The clip's path inside the root: the shared folder is bind-mounted read-only at
# /mnt/shared, anything else is copied into the root's /tmp.
clip_in_root() {
  if [[ $CLIP == "$SHARED"/* ]]; then
    echo "/mnt/shared/${CLIP#"$SHARED"/}"
  else
    local clip
    clip=/tmp/$(basename "$CLIP")
    rm -rf "${ROOT:?}$clip"
    cp -r "$CLIP" "$ROOT$clip"
    echo "$clip"
  fi
}

step_replay() {
  mount_root
  trap umount_root EXIT
  local clip model
  clip=$(clip_in_root)
  model=/mnt/shared/${MODEL#"$SHARED"/}
  echo "== replay on arm64 ($(in_root uname -m)): $clip with $model"
  in_root /usr/bin/time -v /opt/mpp-counter/.venv/bin/mpp-edge replay "$clip" --model "$model" "${SCENE[@]}" --json \
    > "$CACHE/replay-arm64.json"
  echo "== counts: $CACHE/replay-arm64.json"
}

step_x86() {
  echo "== replay on $(uname -m) ($X86_VENV): $CLIP with $MODEL"
  /usr/bin/time -v "$X86_VENV/bin/mpp-edge" replay "$CLIP" --model "$MODEL" "${SCENE[@]}" --json \
    > "$CACHE/replay-x86.json"
  echo "== counts: $CACHE/replay-x86.json"
}

step_compare() {
  echo "== parity: x86 (left) against arm64 (right)"
  python3 "$REPO/benchmarks/replay_parity.py" "$CACHE/replay-x86.json" "$CACHE/replay-arm64.json" \
    --zone-tolerance "$ZONE_TOLERANCE"
}

# edge_memory.py in the root: the edge as installed, then as it was before it skipped
# Ultralytics' warm-up (torchvision imported), each with its counts.
step_memory() {
  mount_root
  trap umount_root EXIT
  local clip model
  clip=$(clip_in_root)
  model=/mnt/shared/${MODEL#"$SHARED"/}
  echo "== memory by stage on arm64 (benchmarks/edge_memory.py)"
  in_root /usr/bin/time -v /opt/mpp-counter/.venv/bin/python /opt/mpp-counter/benchmarks/edge_memory.py \
    "$clip" --model "$model" "${SCENE[@]}" | tee "$CACHE/memory-arm64.json"
  in_root /usr/bin/time -v /opt/mpp-counter/.venv/bin/python /opt/mpp-counter/benchmarks/edge_memory.py \
    --import-torchvision "$clip" --model "$model" "${SCENE[@]}" | tee "$CACHE/memory-arm64-torchvision.json"
}

# One frame (FRAMES=1 unless FRAMES says more: the first) through the model with OpenVINO
# alone, on x86 and then in the root, which compares its output with x86's. The checkout's
# benchmarks/openvino_frame.py is copied in: the installed tree may be older.
step_frame() {
  FRAMES=${FRAMES:-1}
  resolve_clip
  local frame=$CLIP/000001.png model
  model=/mnt/shared/${MODEL#"$SHARED"/}
  "$X86_VENV/bin/python" "$REPO/benchmarks/openvino_frame.py" "$frame" "$MODEL" --save "$CACHE/frame-x86.npy"
  mount_root
  trap umount_root EXIT
  cp "$REPO/benchmarks/openvino_frame.py" "$frame" "$CACHE/frame-x86.npy" "$ROOT/tmp/"
  echo "== the same frame on arm64"
  in_root /opt/mpp-counter/.venv/bin/python /tmp/openvino_frame.py /tmp/000001.png "$model" \
    --save /tmp/frame-arm64.npy --reference /tmp/frame-x86.npy
}

case "${1:-all}" in
  root) step_root ;;
  install) step_root; step_install ;;
  replay) resolve_clip; step_replay ;;
  x86) resolve_clip; step_x86 ;;
  parity) resolve_clip; step_x86; step_replay; step_compare ;;
  memory) resolve_clip; step_memory ;;
  frame) step_frame ;;
  shell) mount_root; trap umount_root EXIT; in_root bash ;;
  all) resolve_clip; step_root; step_install; step_x86; step_replay; step_compare ;;
  *) echo "usage: $0 [all|root|install|replay|x86|parity|memory|frame|shell]" >&2; exit 2 ;;
esac
