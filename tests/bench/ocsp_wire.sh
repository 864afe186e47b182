#!/bin/bash
# The OCSP wire layer's per-request costs (parse, assemble, sign a core with
# P-256), on one core, beside `openssl speed ecdsap256` measured in the same run.
#   tests/bench/ocsp_wire.sh
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bin=$PWD/build/tests/bench/bench_ocsp_wire
[ -x "$bin" ] || { echo "bench: build first (make build)" >&2; exit 1; }
echo "openssl speed (1 core):"
openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa/ { printf "  ecdsa P-256: %s signs/s\n", $(NF-1) }'
state=$(mktemp -d /tmp/midpki-bench.XXXXXX)
trap 'rm -rf "$state"' EXIT
tests/lib/with-pg.sh bash -c '"$0" "$MIDPKI_TEST_DATABASE_URL" "$1"' "$bin" "$state"
