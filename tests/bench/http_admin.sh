#!/bin/bash
# Benchmark of the HTTP frontend machinery on the admin listener: TLS, routing,
# access log, metrics and one database round trip per /readyz. Prints figures;
# it is not a test and asserts nothing about speed.
#   tests/bench/http_admin.sh [SECONDS] [CONNECTIONS]
# Uses the optimized build in build/ (make build) and wrk (Debian package wrk).
. "$(dirname "$0")/lib.sh"

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
