#!/bin/bash
# Listener limits and conventions: oversized headers and bodies, unknown
# routes and methods, JSON errors, metrics, disabled listeners.
. "$(dirname "$0")/lib.sh"

start_pg pg
new_instance limits
start_instance MIDPKI_DATABASE_URL="$MIDPKI_TEST_DATABASE_URL" MIDPKI_HTTP_MAX_HEADER_BYTES=4096 \
	MIDPKI_HTTP_MAX_BODY_BYTES=2048 MIDPKI_LORAWAN_LISTEN=

big=$(head -c 6000 /dev/zero | tr '\0' a)
code=$(http_status /healthz -H "X-Big: $big")
case "$code" in 431|413) ok "oversized headers refused with $code" ;; *) fail "oversized headers: got $code, want 431 or 413" ;; esac
head -c 4096 /dev/zero >"$T/body"
expect_eq "oversized body" "$(http_status /healthz -X POST --data-binary @"$T/body")" 413
expect_eq "unknown path" "$(http_status /nope)" 404
body=$(admin_curl /nope)
expect_contains "404 body" "$body" '"code":"not_found"'
expect_eq "wrong method" "$(http_status /healthz -X DELETE)" 405
expect_contains "405 Allow header" "$(admin_curl /healthz -X DELETE -D - -o /dev/null)" "Allow: GET"

# TLS 1.2 and 1.3 work; older versions are refused
expect_eq "TLS 1.2" "$(http_status /healthz --tlsv1.2 --tls-max 1.2)" 200
expect_eq "TLS 1.3" "$(http_status /healthz --tlsv1.3)" 200
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$I_STATE/trust.pem" --tlsv1.1 --tls-max 1.1 \
	"https://127.0.0.1:$ADMIN_PORT/healthz")
expect_eq "TLS 1.1 refused" "$code" 000

# EST listener is TLS, OCSP plain HTTP; LoRaWAN disabled by the empty address
expect_eq "EST listener over TLS" "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$I_STATE/trust.pem" https://127.0.0.1:$EST_PORT/nope)" 404
expect_eq "OCSP listener over plain HTTP" "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$OCSP_PORT/crl/nope)" 404
expect_eq "disabled LoRaWAN listener" "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$LORAWAN_PORT/)" 000

metrics=$(admin_curl /metrics)
expect_contains "metrics" "$metrics" '# TYPE midpki_http_requests_total counter'
expect_contains "metrics" "$metrics" 'midpki_http_requests_total{listener="admin",code="413"} 1'
expect_contains "metrics" "$metrics" 'midpki_http_requests_total{listener="admin",code="405"} 2'
expect_contains "metrics" "$metrics" 'midpki_http_request_duration_seconds_bucket{listener="admin",le="+Inf"}'
expect_contains "metrics" "$metrics" 'midpki_db_errors_total 0'
grep -q 'access listener=admin remote=127.0.0.1 method=GET path=/healthz status=200' "$T/limits.log" ||
	fail "no access log line for GET /healthz"
grep -q 'access listener=admin remote=127.0.0.1 method=- path=- status=431' "$T/limits.log" ||
	fail "no access log line for the refused oversized header"
ok "access log lines written"
stop_instance
