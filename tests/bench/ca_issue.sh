#!/bin/bash
# Certificate issuance through the issuer API (no HTTP), every certificate
# committed with synchronous commit on a PostgreSQL with fsync on, beside
# `openssl speed ecdsap256` signs/s measured in the same run.
#   tests/bench/ca_issue.sh [SECONDS] [THREADS]
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
secs=${1:-10}
threads=${2:-64}
bin=$PWD/build/tests/bench/bench_ca_issue
[ -x "$bin" ] || { echo "bench: build first (make build)" >&2; exit 1; }
echo "openssl speed (1 core):"
openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa/ { printf "  ecdsa P-256: %s signs/s\n", $(NF-1) }'
state=$(mktemp -d /tmp/midpki-bench.XXXXXX)
trap 'rm -rf "$state"' EXIT
MIDPKI_TEST_PG_FSYNC=on tests/lib/with-pg.sh \
	bash -c '"$0" "$MIDPKI_TEST_DATABASE_URL" "$1" "$2" "$3"' "$bin" "$state" "$secs" "$threads"
