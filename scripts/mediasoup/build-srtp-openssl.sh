#!/usr/bin/env bash
# Builds libsrtp2 from Debian's own source package with its OpenSSL crypto backend, as a static library, and
# installs it under <prefix> (lib/libsrtp2.a, include/srtp2/, lib/pkgconfig/libsrtp2.pc). The mediasoup worker links
# it statically; the system libsrtp2 (Debian builds it on NSS) stays untouched.
# Why: through NSS one AES-GCM SRTP seal costs about 2.5 µs per packet, through OpenSSL about 0.5 µs.
# Needs a deb-src entry for Debian's main archive (scripts/setup.sh adds one) and dpkg-dev.
# Usage: build-srtp-openssl.sh <work-dir> <prefix>
set -euo pipefail
WORK="$1"
PREFIX="$2"
SRTP_VER="$(dpkg-query -W -f='${Version}' libsrtp2-dev 2>/dev/null || true)"
[ -n "$SRTP_VER" ] || { echo "libsrtp2-dev is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

rm -rf "$WORK" && mkdir -p "$WORK"
cd "$WORK"
echo "  libsrtp2 $SRTP_VER: fetching Debian's source package"
# apt-get source applies Debian's patches (dpkg-source -x). Pin the installed version so headers and library agree.
if ! apt-get source -qq "libsrtp2=$SRTP_VER" >"$WORK/apt-source.log" 2>&1; then
  cat "$WORK/apt-source.log" >&2
  echo "apt-get source libsrtp2 failed: is there a deb-src entry? (scripts/setup.sh adds one)" >&2
  exit 1
fi
SRC="$(find "$WORK" -maxdepth 1 -mindepth 1 -type d -name 'libsrtp*' | head -1)"
[ -n "$SRC" ] || { echo "no libsrtp source tree after apt-get source" >&2; exit 1; }

echo "  libsrtp2 $SRTP_VER: building with OpenSSL (static)"
meson setup --wrap-mode=nodownload --buildtype release -Db_ndebug=true --prefix "$PREFIX" --libdir lib \
  -Ddefault_library=static -Db_staticpic=true -Dcrypto-library=openssl -Dcrypto-library-kdf=disabled \
  -Dtests=disabled -Ddoc=disabled -Dpcap-tests=disabled \
  "$WORK/build" "$SRC" >"$WORK/meson.log" 2>&1 || { cat "$WORK/meson.log" >&2; exit 1; }
ninja -C "$WORK/build" >"$WORK/ninja.log" 2>&1 || { cat "$WORK/ninja.log" >&2; exit 1; }
rm -rf "$PREFIX"
ninja -C "$WORK/build" install >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; exit 1; }
# The OpenSSL backend must be the one compiled in: the config header names it.
grep -qx '#define OPENSSL\( 1\)\?' "$WORK/build/config.h" || { echo "libsrtp2 was not configured with OpenSSL" >&2; exit 1; }
[ -f "$PREFIX/lib/libsrtp2.a" ] && [ -f "$PREFIX/lib/pkgconfig/libsrtp2.pc" ] || { echo "libsrtp2 install incomplete" >&2; exit 1; }
rm -rf "$WORK"
echo "  libsrtp2 $SRTP_VER (OpenSSL, static) ready: $PREFIX"
