#!/bin/bash
# Benchmark of the OCSP responder on ONE worker thread: GET of a one-certificate
# request (no nonce) answered from the cache, by POST the same, and with a nonce
# (signed on each request). Prints figures; it asserts nothing about speed.
#   tests/bench/ocsp_responder.sh [SECONDS] [CONNECTIONS]
# Uses the optimized build in build/ (make build) and wrk (Debian package wrk).
BENCH_WORKERS=1
. "$(dirname "$0")/lib.sh"
. tests/integration/api_lib.sh

KEY=$(cat "$I_STATE/admin.key")
URL="http://127.0.0.1:$OCSP_PORT"
r=$(api "$KEY" POST /tenants '{"name":"bench"}'); TEN=$(field "${r#* }" id)
r=$(api "$KEY" POST /devices "{\"tenant\":\"$TEN\",\"serial\":\"B-1\"}"); DEV=$(field "${r#* }" id)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/d.key" \
	-out "$T/d.csr" -subj "/CN=B-1" 2>/dev/null
r=$(api "$KEY" POST /certificates "$(python3 -c 'import json,sys
print(json.dumps({"device": sys.argv[1], "profile": "iec62351-device", "csr_pem": open(sys.argv[2]).read()}))' "$DEV" "$T/d.csr")")
CERT=$(field "${r#* }" id)
jget "${r#* }" 'd["certificate_pem"]' >"$T/d.pem"
jget "${r#* }" 'd["chain_pem"]' | openssl x509 -out "$T/issuer.pem"
openssl ocsp -issuer "$T/issuer.pem" -cert "$T/d.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
openssl ocsp -issuer "$T/issuer.pem" -cert "$T/d.pem" -reqout "$T/nonce.der" >/dev/null 2>&1
B64=$(base64 -w0 "$T/req.der" | sed 's|/|%2F|g; s|+|%2B|g; s|=|%3D|g')
curl -sf -o "$T/resp.der" "$URL/ocsp/$B64"
echo "midpki OCSP responder, 1 worker, $(nproc) cores, $conns connections, ${secs}s each, keep-alive"
echo "response: $(stat -c %s "$T/resp.der") bytes"
# post.lua FILE: wrk sends FILE's bytes by POST as an OCSP request
post_lua() {
	python3 -c 'import sys
body = open(sys.argv[1], "rb").read()
print("wrk.method = \"POST\"")
print("wrk.headers[\"Content-Type\"] = \"application/ocsp-request\"")
print("wrk.body = \"" + "".join("\\%d" % b for b in body) + "\"")' "$1" >"$T/$2.lua"
}
post_lua "$T/req.der" post
post_lua "$T/nonce.der" nonce
run() { # NAME wrk-args...
	local name=$1 out rps p50 p99 errs
	shift
	out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency "$@")
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
	p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
	errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
	printf '%-22s %10s req/s   p50 %-9s p99 %-9s %s\n' "$name" "$rps" "$p50" "$p99" "$errs"
}
run "GET, cached" "$URL/ocsp/$B64"
run "POST, cached" -s "$T/post.lua" "$URL/ocsp"
run "POST, nonce (signed)" -s "$T/nonce.lua" "$URL/ocsp"
stop_instance >/dev/null
