#!/bin/bash
# CRLs with the real server, curl and openssl: the full and delta CRLs served
# on the OCSP listener follow revocation, suspension and resumption within
# seconds; `openssl verify -crl_check` (full) and `-use_deltas` (full + delta)
# accept a good certificate and refuse a revoked or held one. `-extended_crl`
# goes with `-use_deltas`: without it OpenSSL may take a delta CRL newer than
# the full one for the base CRL and miss what only the full one lists. A device's
# suspension and decommissioning carry to its certificates. The OCSP
# pre-signing thread keeps every certificate's responses signed.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance crl
start_instance
KEY=$(cat "$I_STATE/admin.key")
cp "$I_STATE/trust.pem" "$T/root.pem"

r=$(api "$KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
# issue NAME DEVICE SERIAL: a P-256 key and iec62351-device certificate (CN = the
# device's serial) in $T/NAME.pem, its chain in $T/NAME.chain; prints the certificate id
issue() {
	local r
	r=$(issue_cert "$1" "$2" iec62351-device "/CN=$3")
	expect_api "issue $1" "$r" 201 >/dev/null
	jget "${r#* }" 'd["certificate_pem"]' >"$T/$1.pem"
	jget "${r#* }" 'd["chain_pem"]' >"$T/$1.chain"
	field "${r#* }" id
}
D1=$(device_in "$ACME" CRL-1); D2=$(device_in "$ACME" CRL-2)
GOOD=$(issue good "$D1" CRL-1); BAD=$(issue bad "$D1" CRL-1); HELD=$(issue held "$D1" CRL-1)
OTHER=$(issue other "$D2" CRL-2)
CA=$(openssl x509 -in "$T/good.pem" -noout -ext crlDistributionPoints | sed -n 's|.*/crl/\(.*\)\.crl$|\1|p')
expect_eq "CRL distribution point on the OCSP listener" \
	"$(openssl x509 -in "$T/good.pem" -noout -ext crlDistributionPoints | grep -o 'URI:.*')" \
	"URI:http://127.0.0.1:$OCSP_PORT/crl/$CA.crl"

# crls: fetches the full and delta CRLs as PEM into $T/full.pem and $T/delta.pem
crls() {
	curl -sf -o "$T/full.der" "http://127.0.0.1:$OCSP_PORT/crl/$CA.crl" &&
	curl -sf -o "$T/delta.der" "http://127.0.0.1:$OCSP_PORT/crl/$CA-delta.crl" &&
	openssl crl -inform DER -in "$T/full.der" -out "$T/full.pem" &&
	openssl crl -inform DER -in "$T/delta.der" -out "$T/delta.pem" || fail "fetch CRLs"
}
# verdict NAME MODE: openssl verify of NAME against the fetched CRLs; MODE full or delta
verdict() {
	local args=(-crl_check -CRLfile "$T/full.pem")
	[ "$2" = delta ] && args=(-crl_check -use_deltas -extended_crl -CRLfile "$T/full.pem" -CRLfile "$T/delta.pem")
	openssl verify -CAfile "$T/root.pem" -untrusted "$T/$1.chain" "${args[@]}" "$T/$1.pem" 2>&1 |
		grep -o 'OK$\|certificate revoked' | head -1
}
# wait_delta TEXT: until the delta CRL's text contains TEXT (a revocation change reaches it within seconds)
wait_delta() {
	local i
	for i in $(seq 50); do
		crls
		openssl crl -in "$T/delta.pem" -noout -text | grep -q "$1" && return 0
		sleep 0.2
	done
	fail "delta CRL never showed: $1"
}
serial() { openssl x509 -in "$T/$1.pem" -noout -serial | cut -d= -f2; }

crls
expect_eq "served as application/pkix-crl" \
	"$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$OCSP_PORT/crl/$CA.crl")" application/pkix-crl
expect_contains "caching headers" "$(curl -sI "http://127.0.0.1:$OCSP_PORT/crl/$CA.crl" | tr -d '\r')" "Cache-Control: public, max-age="
expect_eq "full CRL verifies against the CA" \
	"$(openssl crl -in "$T/full.pem" -noout -CAfile "$T/good.chain" 2>&1)" "verify OK"
expect_eq "good before any change (full)" "$(verdict good full)" OK
expect_eq "good before any change (delta)" "$(verdict good delta)" OK

r=$(api "$KEY" POST "/certificates/$BAD/revoke" '{"reason":"keyCompromise","invalidity_date":"2026-01-01T00:00:00Z"}')
expect_api "revoke" "$r" 200
r=$(api "$KEY" POST "/certificates/$HELD/suspend" '{}')
expect_api "suspend" "$r" 200
wait_delta "$(serial held)"
wait_delta "$(serial bad)"
DELTA=$(openssl crl -in "$T/delta.pem" -noout -text)
expect_contains "delta: Delta CRL Indicator" "$DELTA" "Delta CRL Indicator: critical"
expect_contains "delta: key compromise" "$DELTA" "Key Compromise"
expect_contains "delta: invalidity date" "$DELTA" "Jan  1 00:00:00 2026 GMT"
expect_contains "delta: certificate hold" "$DELTA" "Certificate Hold"
expect_eq "revoked refused with deltas" "$(verdict bad delta)" "certificate revoked"
expect_eq "held refused with deltas" "$(verdict held delta)" "certificate revoked"
expect_eq "good still accepted with deltas" "$(verdict good delta)" OK
N_DELTA=$(openssl crl -in "$T/delta.pem" -noout -crlnumber | cut -d= -f2)
N_FULL=$(openssl crl -in "$T/full.pem" -noout -crlnumber | cut -d= -f2)
expect_eq "delta CRL number above its base" "$(( 16#${N_DELTA#0x} > 16#${N_FULL#0x} ))" 1
expect_contains "delta names its base" "$DELTA" "Delta CRL Indicator: critical"

# a new full CRL (what the schedule makes) lists both; then resuming shows removeFromCRL
psql -qc "UPDATE crls SET next_update = now() WHERE ca_id = '$CA' AND NOT delta" >/dev/null
for i in $(seq 60); do
	crls
	openssl crl -in "$T/full.pem" -noout -text | grep -q "$(serial held)" && break
	sleep 0.5
done
FULL=$(openssl crl -in "$T/full.pem" -noout -text)
expect_contains "full CRL lists the revoked certificate" "$FULL" "$(serial bad)"
expect_contains "full CRL lists the held certificate" "$FULL" "$(serial held)"
expect_eq "revoked refused by the full CRL" "$(verdict bad full)" "certificate revoked"
r=$(api "$KEY" POST "/certificates/$HELD/resume" '{}')
expect_api "resume" "$r" 200
wait_delta "Remove From CRL"
expect_eq "resumed accepted with deltas" "$(verdict held delta)" OK
expect_eq "revoked still refused with deltas" "$(verdict bad delta)" "certificate revoked"

# a device's status carries to its certificates
r=$(api "$KEY" PATCH "/devices/$D2" '{"status":"suspended"}')
expect_api "suspend device" "$r" 200
r=$(api "$KEY" GET "/certificates/$OTHER")
expect_eq "device suspended: certificate held" "$(jget "${r#* }" 'd["status"] + " " + d["reason"]')" "suspended certificateHold"
wait_delta "$(serial other)"
expect_eq "device suspended: refused with deltas" "$(verdict other delta)" "certificate revoked"
r=$(api "$KEY" POST /certificates "$(python3 -c 'import json,sys
print(json.dumps({"device": sys.argv[1], "profile": "iec62351-device", "csr_pem": open(sys.argv[2]).read()}))' "$D2" "$T/other.csr")")
expect_api "no issuance for a suspended device" "$r" 409 conflict device
r=$(api "$KEY" PATCH "/devices/$D2" '{"status":"active"}')
expect_api "resume device" "$r" 200
r=$(api "$KEY" GET "/certificates/$OTHER")
expect_eq "device resumed: certificate active" "$(jget "${r#* }" 'd["status"]')" active
r=$(api "$KEY" PATCH "/devices/$D2" '{"status":"decommissioned"}')
expect_api "decommission device" "$r" 200
r=$(api "$KEY" GET "/certificates/$OTHER")
expect_eq "device decommissioned: certificate revoked" \
	"$(jget "${r#* }" 'd["status"] + " " + d["reason"]')" "revoked cessationOfOperation"
expect_eq "audit: the cascade is recorded with its cause" \
	"$(psql -tAc "SELECT count(*) FROM audit WHERE object_id = '$OTHER' AND details->>'cause' = 'device'")" 3

# the OCSP pre-signing thread: two responses a certificate, the changed one signed again
presigned() {
	psql -tAc "SELECT count(*) FROM certificates c WHERE EXISTS (SELECT 1 FROM ocsp_responses r
		WHERE r.ca_id = c.ca_id AND r.serial = c.serial AND r.hash = 'sha1'
		AND r.this_update >= date_trunc('second', coalesce(c.revoked_at, c.created_at)))
		AND EXISTS (SELECT 1 FROM ocsp_responses r WHERE r.ca_id = c.ca_id
		AND r.serial = c.serial AND r.hash = 'sha256')"
}
for _ in $(seq 50); do
	[ "$(presigned)" = "$(psql -tAc 'SELECT count(*) FROM certificates')" ] && break
	sleep 0.1
done
expect_eq "OCSP: every certificate's responses pre-signed after its last change" \
	"$(presigned)" "$(psql -tAc 'SELECT count(*) FROM certificates')"
expect_eq "OCSP: one signer per CA with a key" \
	"$(psql -tAc "SELECT count(DISTINCT i.service) FROM identities i WHERE i.service LIKE 'ocsp:%'
		AND i.status = 'active'")" "$(psql -tAc 'SELECT count(*) FROM cas WHERE key_id IS NOT NULL')"
stop_instance
