# Shared start of every benchmark: source it from a script in tests/bench/ with
# the script's arguments. Sets secs and conns ([SECONDS] [CONNECTIONS]),
# checks the optimized build and wrk, and starts PostgreSQL and midpki serve
# (logging warnings only, one worker per core, or BENCH_WORKERS) through the
# integration harness.
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
secs=${1:-10}
conns=${2:-32}
export MIDPKI_SOURCE_DIR=$PWD MIDPKI_BIN=$PWD/build/cli/midpki
[ -x "$MIDPKI_BIN" ] || { echo "bench: build first (make build)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
. tests/integration/lib.sh

start_pg pg
new_instance bench
start_instance MIDPKI_DATABASE_URL="$MIDPKI_TEST_DATABASE_URL" MIDPKI_LOG_LEVEL=warn \
	MIDPKI_HTTP_WORKERS="${BENCH_WORKERS:-0}"
