#!/bin/bash
# OCSP pre-signing: N certificates (default 20,000) issued through the issuer,
# then one pre-signing pass over all of them on one thread, timed (two P-256
# signatures per certificate, stored with the certificates' next due times),
# beside `openssl speed ecdsap256` signs/s measured in the same run.
#   tests/bench/ocsp_presign.sh [N] [BATCH]
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
n=${1:-20000}
batch=${2:-500}
bin=$PWD/${BUILD_DIR:-build}/tests/bench/bench_ocsp_presign
[ -x "$bin" ] || { echo "bench: build first (make build)" >&2; exit 1; }
echo "openssl speed (1 core):"
openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa/ { printf "  ecdsa P-256: %s signs/s\n", $(NF-1) }'
state=$(mktemp -d /tmp/midpki-bench.XXXXXX)
trap 'rm -rf "$state"' EXIT
MIDPKI_TEST_PG_FSYNC=on tests/lib/with-pg.sh \
	bash -c '"$0" "$MIDPKI_TEST_DATABASE_URL" "$1" "$2" "$3"' "$bin" "$state" "$n" "$batch"
