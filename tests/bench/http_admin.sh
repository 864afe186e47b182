#!/bin/bash
# Benchmark of the HTTP frontend machinery on the admin listener: TLS, routing,
# access log, metrics and one database round trip per /readyz. Prints figures;
# it is not a test and asserts nothing about speed.
#   tests/bench/http_admin.sh [SECONDS] [CONNECTIONS]
# Uses the optimized build in build/ (make build) and wrk (Debian package wrk).
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-10}
conns=${2:-32}
export MIDPKI_SOURCE_DIR=$PWD MIDPKI_BIN=$PWD/build/cli/midpki
[ -x "$MIDPKI_BIN" ] || { echo "bench: build first (make build)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
. tests/integration/lib.sh

start_pg pg
new_instance bench
start_instance MIDPKI_DATABASE_URL="$MIDPKI_TEST_DATABASE_URL" MIDPKI_LOG_LEVEL=warn \
	MIDPKI_HTTP_WORKERS=0

echo "midpki admin listener, $(nproc) cores, $conns connections, ${secs}s per path, keep-alive"
for path in /healthz /readyz /metrics; do
	out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "https://127.0.0.1:$ADMIN_PORT$path")
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
	p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
	errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
	printf '%-9s %10s req/s   p50 %-9s p99 %-9s %s\n' "$path" "$rps" "$p50" "$p99" "$errs"
done
# new TLS connection per request: the handshake cost
out=$(wrk -t2 -c"$conns" -d"${secs}s" -H 'Connection: close' "https://127.0.0.1:$ADMIN_PORT/healthz")
printf '%-9s %10s req/s   (new TLS connection per request)\n' "/healthz" \
	"$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
stop_instance >/dev/null
