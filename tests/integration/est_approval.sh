#!/bin/bash
# Manual approval for certificate-authenticated EST enrollments: with a
# manufacturer certificate (IDevID), a temporary pre-enrollment certificate
# (spent by its first request) and the current certificate (re-enrollment),
# a profile that needs approval answers 202 with Retry-After; repeating the
# request (a new CSR for the same key) answers from the one request made, 202
# while pending, 200 with the certificate for that key once approved, 403 once
# rejected, and makes no other; a new key makes a new request; a token with
# uses left is answered from its request too; midpki est enroll --cert follows
# the 202 until the approval.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance esta
start_instance MIDPKI_EST_RETRY_AFTER=1s
KEY=$(cat "$I_STATE/admin.key")
EST="https://127.0.0.1:$EST_PORT/.well-known/est"

r=$(api "$KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
BODY=$(builtin_body iec62351-device)
r=$(api "$KEY" POST /profiles "{\"tenant\":\"$ACME\",\"name\":\"gated\",\"approval_required\":true,\"body\":$BODY}")
expect_api "profile that needs approval" "$r" 201
GATED=$(field "${r#* }" id)
r=$(api "$KEY" POST /profiles "{\"tenant\":\"$ACME\",\"name\":\"open\",\"body\":$BODY}")
expect_api "profile without approval" "$r" 201
OPEN=$(field "${r#* }" id)
expect_api "label gated" "$(api "$KEY" POST /est/labels "{\"tenant\":\"$ACME\",\"name\":\"gated\",\"profile\":\"gated\"}")" 201

# req OP NAME SERIAL CERT KEY [curl args]: POST a new CSR (CN=SERIAL, or $SUBJ) for the key
# $T/NAME.key (made on first use) to OP; prints the status
req() {
	local op=$1 name=$2 serial=$3 cert=$4 key=$5; shift 5
	[ -f "$T/$name.key" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$T/$name.key" 2>/dev/null || fail "key $name"
	openssl req -new -key "$T/$name.key" -subj "${SUBJ:-/CN=$serial}" ${SAN:+-addext "subjectAltName=$SAN"} \
		-outform DER 2>/dev/null | base64 >"$T/$name.b64" || fail "csr $name"
	local auth=()
	[ -n "$cert" ] && auth=(--cert "$cert" --key "$key")
	curl -sS --cacert "$I_STATE/trust.pem" -D "$T/h" -o "$T/b" -w '%{http_code}' "${auth[@]}" "$@" \
		-H 'Content-Type: application/pkcs10' --data-binary "@$T/$name.b64" "$EST/$op"
}
header() { tr -d '\r' <"$T/h" | sed -n "s/^$1: //Ip" | tail -n 1; }
requests() { psql -tAc "SELECT count(*) FROM certificate_requests WHERE device_id = '$1'"; }
request_of() { psql -tAc "SELECT id FROM certificate_requests WHERE device_id = '$1' AND status = 'pending' ORDER BY created_at DESC LIMIT 1"; }
# got_key NAME: whether the answer in $T/b is a certificate for $T/NAME.key
got_key() {
	base64 -d "$T/b" | openssl pkcs7 -inform DER -print_certs | openssl x509 -noout -pubkey >"$T/got.pub" &&
		openssl pkey -in "$T/$1.key" -pubout | cmp -s - "$T/got.pub" && echo yes || echo no
}

# --- IDevID under an anchor whose profile needs approval
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' >"$T/ca.ext"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/mfr.key" \
	-subj "/O=Wallbox/CN=mfr" -out "$T/mfr.csr" 2>/dev/null &&
	openssl x509 -req -in "$T/mfr.csr" -key "$T/mfr.key" -days 30 -extfile "$T/ca.ext" \
		-out "$T/mfr.pem" 2>/dev/null || fail "manufacturer CA"
r=$(api "$KEY" POST /trust-anchors "$(python3 -c 'import json,sys
print(json.dumps({"tenant": sys.argv[1], "name": "wallbox", "certificate_pem": open(sys.argv[2]).read(), "auto_register": True, "profile": "gated"}))' "$ACME" "$T/mfr.pem")")
expect_api "trust anchor" "$r" 201
idevid() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1-id.key" \
		-subj "/O=Wallbox/serialNumber=$2" -out "$T/$1-id.csr" 2>/dev/null &&
		openssl x509 -req -in "$T/$1-id.csr" -CA "$T/mfr.pem" -CAkey "$T/mfr.key" -days 10 \
			-out "$T/$1-id.pem" 2>/dev/null || fail "IDevID $1"
}
idevid a CS-1
expect_eq "IDevID under approval" "$(req simpleenroll a CS-1 "$T/a-id.pem" "$T/a-id.key")" 202
expect_eq "IDevID: Retry-After" "$(header Retry-After)" 1
DEV_1=$(psql -tAc "SELECT id FROM devices WHERE serial = 'CS-1'")
expect_eq "IDevID: repeated while pending" "$(req simpleenroll a CS-1 "$T/a-id.pem" "$T/a-id.key")" 202
expect_eq "IDevID: one request" "$(requests "$DEV_1")" 1
expect_api "approve" "$(api "$KEY" POST "/requests/$(request_of "$DEV_1")/approve" '{}')" 201
expect_eq "IDevID: repeated once approved" "$(req simpleenroll a CS-1 "$T/a-id.pem" "$T/a-id.key")" 200
expect_eq "IDevID: the certificate for that key" "$(got_key a)" yes
expect_eq "IDevID: still one request" "$(requests "$DEV_1")" 1
idevid b CS-2
expect_eq "IDevID (CS-2) under approval" "$(req simpleenroll b CS-2 "$T/b-id.pem" "$T/b-id.key")" 202
DEV_2=$(psql -tAc "SELECT id FROM devices WHERE serial = 'CS-2'")
expect_api "reject" "$(api "$KEY" POST "/requests/$(request_of "$DEV_2")/reject" '{}')" 200
expect_eq "IDevID: repeated once rejected" "$(req simpleenroll b CS-2 "$T/b-id.pem" "$T/b-id.key")" 403
expect_contains "rejected: reason" "$(cat "$T/b")" "rejected by an operator"
expect_eq "IDevID: a new key makes a new request" "$(req simpleenroll b2 CS-2 "$T/b-id.pem" "$T/b-id.key")" 202
expect_eq "IDevID: two requests" "$(requests "$DEV_2")" 2

# --- a pre-enrollment certificate, under the label of the profile that needs approval
DEV_3=$(device_in "$ACME" CS-3)
r=$(issue_cert pre3 "$DEV_3" pre-enrollment "/CN=CS-3")
expect_api "pre-enrollment certificate" "$r" 201
pem_of() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]], end="")' "$1" "$2" >"$3"; }
pem_of "${r#* }" certificate_pem "$T/pre3.pem"
expect_eq "pre-enrollment under approval" "$(req gated/simpleenroll c CS-3 "$T/pre3.pem" "$T/pre3.key")" 202
expect_eq "the pre-enrollment certificate is spent" \
	"$(psql -tAc "SELECT c.reason FROM certificates c WHERE c.subject LIKE '%CS-3%' AND c.revoked_at IS NOT NULL")" superseded
expect_eq "pre-enrollment: repeated while pending" "$(req gated/simpleenroll c CS-3 "$T/pre3.pem" "$T/pre3.key")" 202
expect_eq "pre-enrollment: another key with the spent certificate" "$(req gated/simpleenroll c2 CS-3 "$T/pre3.pem" "$T/pre3.key")" 403
expect_api "approve (CS-3)" "$(api "$KEY" POST "/requests/$(request_of "$DEV_3")/approve" '{}')" 201
expect_eq "pre-enrollment: repeated once approved" "$(req gated/simpleenroll c CS-3 "$T/pre3.pem" "$T/pre3.key")" 200
expect_eq "pre-enrollment: the certificate for that key" "$(got_key c)" yes
expect_eq "pre-enrollment: one request" "$(requests "$DEV_3")" 1

# --- re-enrollment with the current certificate under the label's profile
DEV_4=$(device_in "$ACME" CS-4)
r=$(issue_cert cur4 "$DEV_4" "$OPEN" "/CN=CS-4")
expect_api "operational certificate" "$r" 201
pem_of "${r#* }" certificate_pem "$T/cur4.pem"
SUBJ="/CN=CS-4/serialNumber=CS-4" SAN="URI:urn:uuid:$DEV_4"
export SUBJ SAN
expect_eq "re-enrollment under approval" "$(req gated/simplereenroll d CS-4 "$T/cur4.pem" "$T/cur4.key")" 202
expect_eq "re-enrollment: repeated while pending" "$(req gated/simplereenroll d CS-4 "$T/cur4.pem" "$T/cur4.key")" 202
expect_api "approve (CS-4)" "$(api "$KEY" POST "/requests/$(request_of "$DEV_4")/approve" '{}')" 201
expect_eq "re-enrollment: repeated once approved" "$(req gated/simplereenroll d CS-4 "$T/cur4.pem" "$T/cur4.key")" 200
expect_eq "re-enrollment: the certificate for that key" "$(got_key d)" yes
expect_eq "re-enrollment: one request" "$(requests "$DEV_4")" 1
unset SUBJ SAN

# --- a token with uses left: its repeat is answered from the request it made
DEV_5=$(device_in "$ACME" CS-5)
r=$(api "$KEY" POST "/devices/$DEV_5/enrollment-tokens" "{\"profile\":\"$GATED\",\"uses\":3}")
TOK=$(field "${r#* }" token)
expect_eq "token under approval" "$(req simpleenroll e CS-5 "" "" -u "CS-5:$TOK")" 202
expect_eq "token: repeated while pending" "$(req simpleenroll e CS-5 "" "" -u "CS-5:$TOK")" 202
expect_eq "token: one request" "$(requests "$DEV_5")" 1

# --- our client with a manufacturer certificate follows the 202
idevid f CS-6
"$MIDPKI_BIN" est enroll --server "https://127.0.0.1:$EST_PORT" --trust "$I_STATE/trust.pem" \
	--cert "$T/f-id.pem" --key "$T/f-id.key" --max-wait 60s --out-key "$T/f.key" \
	--out-cert "$T/f.pem" 2>"$T/f.err" &
CLIENT=$!
for _ in $(seq 1 100); do
	DEV_6=$(psql -tAc "SELECT id FROM devices WHERE serial = 'CS-6'")
	[ -n "$DEV_6" ] && REQ=$(request_of "$DEV_6") && [ -n "$REQ" ] && break
	sleep 0.1
done
expect_api "approve while the client waits" "$(api "$KEY" POST "/requests/$REQ/approve" '{}')" 201
wait $CLIENT
expect_eq "midpki est enroll --cert after approval: exit code" "$?" 0
expect_eq "the client got the certificate for its key" "$(openssl x509 -in "$T/f.pem" -noout -pubkey)" \
	"$(openssl pkey -in "$T/f.key" -pubout)"
expect_eq "client: one request" "$(requests "$DEV_6")" 1
stop_instance
