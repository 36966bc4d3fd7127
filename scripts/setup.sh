#!/usr/bin/env bash
# Prepares a fresh Debian 12 + Node 20 machine (reaching only npm and apt) to run Conclave:
#   bash scripts/setup.sh          system libraries, npm packages, the mediasoup worker, the browser SDK bundle
#   bash scripts/setup.sh --test   the same plus what the test suite drives: Chromium and ffmpeg
#   bash scripts/setup.sh --bench  the same plus what `conclave bench` compares against: ffmpeg, Janus, iproute2
# Safe to re-run: each step skips what is already in place. Prints the time each step took.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
WITH_TEST=0
WITH_BENCH=0
[ "${1:-}" = "--test" ] && WITH_TEST=1
[ "${1:-}" = "--bench" ] && WITH_BENCH=1
t0=$(date +%s)

# 1. Debian packages: the toolchain and libraries the mediasoup worker is built and runs against.
PKGS=(build-essential dpkg-dev pkg-config ninja-build meson python3 libssl-dev libuv1-dev libsrtp2-dev libusrsctp-dev
  libabsl-dev flatbuffers-compiler libflatbuffers-dev
  coturn) # TURN relay: Conclave renders its configuration and runs it itself (turn.spawn), not the system service
[ "$WITH_TEST" = 1 ] && PKGS+=(chromium ffmpeg iproute2 iptables) # the NAT test builds network namespaces
[ "$WITH_BENCH" = 1 ] && PKGS+=(ffmpeg janus iproute2)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt: installing ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian enables coturn's system service on install; Conclave runs its own coturn (turn.spawn) on its rendered
  # configuration, so a system coturn installed just now would only hold port 3478. One set up before is left alone.
  if [[ " ${missing[*]} " == *" coturn "* ]] && command -v systemctl >/dev/null && systemctl is-enabled coturn >/dev/null 2>&1; then
    $SUDO systemctl disable --now coturn >/dev/null 2>&1 || true
  fi
fi
# The worker links libsrtp2 built on OpenSSL from Debian's own source package (scripts/mediasoup/build-srtp-openssl.sh):
# `apt-get source` needs a deb-src entry. Add one beside the machine's own Debian entries (same mirror and suites)
# when there is none yet.
if ! grep -rqsE '^(deb-src |Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "==> apt: adding a deb-src entry for Debian's source packages"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
      $SUDO tee /etc/apt/sources.list.d/conclave-deb-src.sources >/dev/null
  else
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list | $SUDO tee /etc/apt/sources.list.d/conclave-deb-src.list >/dev/null
  fi
  $SUDO apt-get update -qq
fi
t1=$(date +%s)

# 2. npm packages. MEDIASOUP_WORKER_BIN stops mediasoup's own postinstall (it needs GitHub and PyPI);
#    step 3 provides the worker instead.
echo "==> npm: installing packages"
MEDIASOUP_WORKER_BIN=/dev/null npm ci --no-audit --no-fund --loglevel=error
t2=$(date +%s)

# 3. The mediasoup worker: cached, prebuilt, or built from source (with progress).
echo "==> mediasoup worker"
bash scripts/mediasoup/install-worker.sh
t3=$(date +%s)

# 4. The browser SDK bundle and the operator console the server serves.
echo "==> browser SDK bundle"
node scripts/build-client.mjs
echo "==> operator console bundle"
node scripts/build-console.mjs
t4=$(date +%s)
echo "setup done in $((t4 - t0))s (apt $((t1 - t0))s, npm $((t2 - t1))s, worker $((t3 - t2))s, bundle $((t4 - t3))s)"
