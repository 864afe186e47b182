#!/bin/bash
# CRL benchmark: the time to generate a full CRL of 100,000 revoked
# certificates (database fetch, building, signing, storing) through
# ca_crl_generate, against a throwaway PostgreSQL. Prints figures; it is not a
# test and asserts nothing about speed. PostgreSQL runs with fsync on, so that
# every CRL is durably stored.
#   tests/bench/crl.sh [ENTRIES]
# Uses the optimized build in build/ (make build).
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bin=$PWD/build/tests/bench/bench_crl
[ -x "$bin" ] || { echo "bench: build first (make build)" >&2; exit 1; }
MIDPKI_TEST_PG_FSYNC=on exec tests/lib/with-pg.sh "$bin" "${1:-100000}"
