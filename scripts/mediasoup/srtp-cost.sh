#!/usr/bin/env bash
# Measures what one SRTP seal costs through Debian's libsrtp2 (built on NSS) and through the static OpenSSL build
# the worker links (build-srtp-openssl.sh): CPU ns per packet, and with valgrind installed, instructions per
# packet counted by callgrind (independent of the machine's load). Usage: srtp-cost.sh [packets] [sessions]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
N="${1:-200000}"
S="${2:-50}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
bash "$HERE/build-srtp-openssl.sh" "$TMP/srtp-build" "$TMP/srtp" >/dev/null
cc -O2 -o "$TMP/nss" "$HERE/srtp-cost.c" $(pkg-config --cflags --libs libsrtp2)
cc -O2 -o "$TMP/openssl" "$HERE/srtp-cost.c" -I"$TMP/srtp/include" "$TMP/srtp/lib/libsrtp2.a" $(pkg-config --libs libcrypto)
for v in nss openssl; do
  echo "libsrtp2 on $v: $("$TMP/$v" "$N" "$S")"
  if command -v valgrind >/dev/null; then
    # Instructions of the whole run at two packet counts: the difference divided by the extra packets leaves out
    # start-up (srtp_init, key set-up).
    a=$(valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.a" "$TMP/$v" 2000 "$S" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    b=$(valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.b" "$TMP/$v" 12000 "$S" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    echo "libsrtp2 on $v: $(((b - a) / 10000)) instructions per packet (callgrind)"
  fi
done
