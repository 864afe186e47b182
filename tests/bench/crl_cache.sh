#!/bin/bash
# The CRL cache with one large manufacturer CRL: its size parsed, a revocation
# check without the cache, taking it into the cache, and cached lookups from
# several threads (build/tests/bench/bench_crl_cache; no server needed).
# Prints figures; asserts nothing about speed.
#   tests/bench/crl_cache.sh [ENTRIES] [THREADS] [SECONDS]   (defaults 100000 2 3)
# Uses the optimized build in build/ (make build).
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bin=$PWD/build/tests/bench/bench_crl_cache
[ -x "$bin" ] || { echo "bench: build first (make build)" >&2; exit 1; }
exec "$bin" "${1:-100000}" "${2:-2}" "${3:-3}"
