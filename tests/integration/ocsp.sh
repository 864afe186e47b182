#!/bin/bash
# The OCSP responder with the real server and `openssl ocsp` as the client: a
# device certificate issued through the admin API is good; revoked, it is
# revoked with its reason within 2 s; suspended it is certificateHold and
# resumed good again; a serial never issued is unknown; with and without a
# nonce; GET by curl with the base64 path gives the same answer as POST; the
# admin and EST listeners staple a good response for their certificate.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance ocsp
start_instance
KEY=$(cat "$I_STATE/admin.key")
URL="http://127.0.0.1:$OCSP_PORT"

r=$(api "$KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
r=$(api "$KEY" POST /devices "{\"tenant\":\"$ACME\",\"serial\":\"OCSP-1\"}")
expect_api "register device" "$r" 201
DEV=$(field "${r#* }" id)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/dev.key" \
	-out "$T/dev.csr" -subj "/CN=OCSP-1" 2>/dev/null || fail "csr"
r=$(api "$KEY" POST /certificates "$(python3 -c 'import json,sys
print(json.dumps({"device": sys.argv[1], "profile": "iec62351-device", "csr_pem": open(sys.argv[2]).read()}))' "$DEV" "$T/dev.csr")")
expect_api "issue" "$r" 201
CERT=$(field "${r#* }" id)
jget "${r#* }" 'd["certificate_pem"]' >"$T/dev.pem"
jget "${r#* }" 'd["chain_pem"]' >"$T/chain.pem"
openssl x509 -in "$T/chain.pem" -out "$T/issuer.pem" || fail "issuer certificate"
cat "$I_STATE/trust.pem" "$T/chain.pem" >"$T/cafile.pem"
CA=$(psql -tAc "SELECT ca_id FROM certificates WHERE id = '$CERT'")
expect_contains "the certificate names the responder" \
	"$(openssl x509 -in "$T/dev.pem" -noout -ext authorityInfoAccess)" "OCSP - URI:$URL/ocsp"

# The responder answers for CAs with a delegated signer (identity "ocsp:<ca id>"), which
# midpki serve makes for every active CA with a key
expect_eq "the CA has its delegated signer" \
	"$(psql -tAc "SELECT count(*) FROM identities WHERE service = 'ocsp:$CA' AND status = 'active'")" 1

# status [openssl ocsp args...]: the status line of dev.pem, with the response verified
status() {
	openssl ocsp -issuer "$T/issuer.pem" -cert "$T/dev.pem" -url "$URL/ocsp" \
		-CAfile "$T/cafile.pem" -resp_text "$@" >"$T/ocsp.out" 2>"$T/ocsp.err" ||
		{ cat "$T/ocsp.out" "$T/ocsp.err" >&2; return 1; }
	grep -q '^Response verify OK' "$T/ocsp.err" || { cat "$T/ocsp.err" >&2; return 1; }
	sed -n "s|^$T/dev.pem: ||p" "$T/ocsp.out"
}
# wait_status WANT SECONDS: polls until the status is WANT
wait_status() {
	local i got=""
	for i in $(seq $(( $2 * 10 ))); do
		got=$(status -no_nonce) && [ "$got" = "$1" ] && { ok "status $1 within $2 s"; return 0; }
		sleep 0.1
	done
	fail "status: got '$got', want '$1' within $2 s"
}

wait_status good 10
expect_eq "with a nonce: good" "$(status)" good
[ -s "$T/ocsp.err" ] && grep -q WARNING "$T/ocsp.err" && fail "nonce: $(cat "$T/ocsp.err")"
expect_contains "nonce echoed" "$(cat "$T/ocsp.out")" "OCSP Nonce"
expect_eq "without a nonce: good" "$(status -no_nonce)" good
expect_contains "signed by the delegated signer (responder id by key)" "$(cat "$T/ocsp.out")" \
	"Responder Id: "
expect_contains "the signer certificate is included" "$(cat "$T/ocsp.out")" "OCSP Signing"

# GET with the base64 request in the path (percent-encoded) answers the same bytes as POST
openssl ocsp -issuer "$T/issuer.pem" -cert "$T/dev.pem" -no_nonce -reqout "$T/req.der" \
	>/dev/null 2>&1 || fail "reqout"
B64=$(base64 -w0 "$T/req.der" | sed 's|/|%2F|g; s|+|%2B|g; s|=|%3D|g')
curl -sf -D "$T/get.hdr" -o "$T/get.der" "$URL/ocsp/$B64" || fail "GET"
curl -sf -o "$T/post.der" -H 'Content-Type: application/ocsp-request' \
	--data-binary "@$T/req.der" "$URL/ocsp" || fail "POST"
cmp -s "$T/get.der" "$T/post.der" || fail "GET and POST answers differ"
ok "GET and POST give the same response"
expect_eq "GET answer: good" "$(openssl ocsp -respin "$T/get.der" -issuer "$T/issuer.pem" \
	-cert "$T/dev.pem" -CAfile "$T/cafile.pem" 2>/dev/null | sed -n "s|^$T/dev.pem: ||p")" good
expect_contains "GET: RFC 5019 caching headers" "$(tr -d '\r' <"$T/get.hdr")" \
	", public, no-transform, must-revalidate"
expect_contains "GET: content type" "$(tr -d '\r' <"$T/get.hdr")" \
	"Content-Type: application/ocsp-response"

r=$(api "$KEY" POST "/certificates/$CERT/suspend" '{}')
expect_api "suspend" "$r" 200
wait_status revoked 2
expect_contains "held: reason" "$(cat "$T/ocsp.out")" "Reason: certificateHold"
r=$(api "$KEY" POST "/certificates/$CERT/resume" '{}')
expect_api "resume" "$r" 200
wait_status good 2
r=$(api "$KEY" POST "/certificates/$CERT/revoke" '{"reason":"keyCompromise"}')
expect_api "revoke" "$r" 200
wait_status revoked 2
expect_contains "revoked: reason" "$(cat "$T/ocsp.out")" "Reason: keyCompromise"
expect_contains "revoked: time" "$(cat "$T/ocsp.out")" "Revocation Time: "

# a serial this CA never issued
openssl ocsp -issuer "$T/issuer.pem" -serial 0x1234 -url "$URL/ocsp" -CAfile "$T/cafile.pem" \
	>"$T/unknown.out" 2>"$T/unknown.err" || fail "unknown serial: $(cat "$T/unknown.err")"
expect_eq "unknown serial" "$(sed -n 's|^0x1234: ||p' "$T/unknown.out")" unknown

# an issuer we do not serve
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/foreign.key" \
	-out "$T/foreign.pem" -subj "/CN=Foreign CA" -days 1 2>/dev/null || fail "foreign CA"
openssl ocsp -issuer "$T/foreign.pem" -serial 0x1234 -url "$URL/ocsp" -no_nonce \
	>"$T/unauth.out" 2>&1
expect_contains "unknown issuer" "$(cat "$T/unauth.out")" "unauthorized"
# stapling: both TLS listeners hand out a current response for their certificate
for port in "$ADMIN_PORT" "$EST_PORT"; do
	for _ in $(seq 1 30); do
		openssl s_client -connect "127.0.0.1:$port" -status -CAfile "$I_STATE/trust.pem" \
			</dev/null >"$T/staple.out" 2>&1
		grep -q "OCSP Response Status: successful" "$T/staple.out" && break
		sleep 0.5
	done
	expect_contains "stapled on $port" "$(cat "$T/staple.out")" "OCSP Response Status: successful"
	expect_contains "stapled on $port: good" "$(cat "$T/staple.out")" "Cert Status: good"
done

METRICS=$(admin_curl /metrics)
expect_contains "metrics: answers by status" "$METRICS" 'midpki_ocsp_answers_total{status="revoked"} '
expect_contains "metrics: cache outcomes" "$METRICS" 'midpki_ocsp_cache_total{result="hit"} '
stop_instance
