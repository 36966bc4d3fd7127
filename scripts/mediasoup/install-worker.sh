#!/usr/bin/env bash
# Puts a working mediasoup-worker at mediasoup's default path
# (node_modules/mediasoup/worker/out/Release/mediasoup-worker), so nothing is needed at run time.
# Order: cached binary → mediasoup's prebuilt release → build from source against Debian 12's libraries.
# The cache lives outside the checkout (CONCLAVE_CACHE_DIR, default ~/.cache/conclave) so CI clones reuse it;
# its key is mediasoup's version + the hash of our patch and of the libsrtp2 build + Debian's libsrtp2 version, so a
# change of any of them rebuilds. SRTP runs on a static libsrtp2 built on OpenSSL (build-srtp-openssl.sh), not on
# Debian's shared one, which is built on NSS and costs about 2 µs more per packet.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MS_DIR="$ROOT/node_modules/mediasoup"
OUT="$MS_DIR/worker/out/Release/mediasoup-worker"
MS_VER="$(node -p "require('$MS_DIR/package.json').version")"
[ "$MS_VER" = 3.19.3 ] || { echo "the worker patch is written for mediasoup 3.19.3, found $MS_VER" >&2; exit 1; }
SRTP_VER="$(dpkg-query -W -f='${Version}' libsrtp2-dev 2>/dev/null || echo none)"
STAMP="$MS_VER-$(cat "$HERE/patch-worker-debian12.py" "$HERE/build-srtp-openssl.sh" <(echo "$SRTP_VER") | sha256sum | cut -c1-12)"
CACHE="${CONCLAVE_CACHE_DIR:-$HOME/.cache/conclave}/mediasoup-worker/$STAMP"
JOBS="${JOBS:-$(nproc)}"

install_bin() { mkdir -p "$(dirname "$OUT")"; install -m 0755 "$1" "$OUT"; echo "mediasoup-worker ready: $OUT ($2)"; }

if [ -x "$CACHE/mediasoup-worker" ]; then
  install_bin "$CACHE/mediasoup-worker" "cached $STAMP"
  exit 0
fi

mkdir -p "$CACHE"
if [ "${CONCLAVE_BUILD_WORKER:-0}" != 1 ] && (cd "$ROOT" && node "$HERE/fetch-prebuilt-worker.mjs" "$MS_DIR" "$CACHE/prebuilt/mediasoup-worker"); then
  install -m 0755 "$CACHE/prebuilt/mediasoup-worker" "$CACHE/mediasoup-worker"
  install_bin "$CACHE/mediasoup-worker" "prebuilt"
  exit 0
fi

# Build from source. Debian's OpenSSL has kernel TLS; the patch's DTLS fix keeps the worker alive on the
# first browser ClientHello (without it the worker crashes with every browser).
# The build tree sits beside the cache and is kept until success, so an interrupted build resumes.
WORK="$CACHE.build"
SRTP_PREFIX="$WORK/srtp"
if [ ! -f "$WORK/build/build.ninja" ]; then
  rm -rf "$WORK" && mkdir -p "$WORK"
  echo "building libsrtp2 on OpenSSL for the worker (static; about 10 s)"
  bash "$HERE/build-srtp-openssl.sh" "$WORK/srtp-build" "$SRTP_PREFIX"
  cp -a "$MS_DIR/worker" "$WORK/src"
  python3 "$HERE/patch-worker-debian12.py" "$WORK/src"
  PKG_CONFIG_PATH="$SRTP_PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" meson setup --wrap-mode=nodownload --buildtype release -Db_ndebug=true -Dms_disable_liburing=true \
    "$WORK/build" "$WORK/src" >"$WORK/meson.log" 2>&1 || { cat "$WORK/meson.log" >&2; rm -rf "$WORK"; exit 1; }
fi
echo "building mediasoup-worker $MS_VER with $JOBS jobs (about 4 minutes on 2 cores; cached afterwards)"
# ninja prints [n/total] per step; show it as one updating progress line.
ninja -C "$WORK/build" -j "$JOBS" mediasoup-worker 2>&1 | while IFS= read -r line; do
  case "$line" in
    \[*/*\]*) printf '\r  %s' "${line%% *}" ;;
    *FAILED*|*error*) printf '\n%s\n' "$line" ;;
  esac
done
[ "${PIPESTATUS[0]}" = 0 ] || { echo; echo "mediasoup-worker build failed" >&2; exit 1; }
echo
# The static OpenSSL libsrtp2 must be the one inside: no shared libsrtp2, and libsrtp's OpenSSL cipher present.
if ldd "$WORK/build/mediasoup-worker" | grep -q libsrtp2; then
  echo "mediasoup-worker links the shared libsrtp2 instead of the static OpenSSL build" >&2; exit 1
fi
grep -aq "AES-128 GCM using openssl" "$WORK/build/mediasoup-worker" || { echo "mediasoup-worker lacks libsrtp2's OpenSSL AES-GCM" >&2; exit 1; }
install -m 0755 "$WORK/build/mediasoup-worker" "$CACHE/mediasoup-worker.tmp"
mv "$CACHE/mediasoup-worker.tmp" "$CACHE/mediasoup-worker"
rm -rf "$WORK"
install_bin "$CACHE/mediasoup-worker" "built $STAMP"
