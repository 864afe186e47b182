#!/bin/bash
# IDevID revocation by a CRL uploaded with the trust anchor
# (POST /api/v1/trust-anchors/{id}/crl): taken only when issued and signed by
# the anchor, current, and not older than the stored one (audited); then a
# manufacturer certificate it lists is refused at /simpleenroll (403), one
# it does not list enrolls, also when its own distribution point cannot be
# reached (the uploaded CRL stands in for it), a replaced CRL counts at the
# next enrollment (the server caches CRLs by the anchor and the CRL's digest),
# and every one is refused once
# the CRL is past its nextUpdate (fail closed) until a current one comes;
# removed, the certificates' own distribution points count again; the CRL
# cache's metrics; the anchor deleted, nothing it vouched for enrolls; midpki
# admin trust-anchors crl.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance estcrl
start_instance
KEY=$(cat "$I_STATE/admin.key")
ADMIN_KEY=$KEY
EST="https://127.0.0.1:$EST_PORT/.well-known/est"

r=$(api "$KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
r=$(api "$KEY" POST /tenants '{"name":"other"}'); OTHER=$(field "${r#* }" id)
OPER=$(user_key "$ACME" oscar operator)
BOB=$(user_key "$OTHER" bob tenant-admin)
r=$(api "$KEY" POST /profiles "{\"tenant\":\"$ACME\",\"name\":\"stations\",\"body\":$(builtin_body iec62351-device)}")
expect_api "profile" "$r" 201

# mfr_ca NAME: a self-signed manufacturer CA $T/NAME.pem with key, and its openssl ca database
mfr_ca() {
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' >"$T/ca.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
		-subj "/O=Wallbox/CN=$1" -out "$T/$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$T/$1.csr" -key "$T/$1.key" -days 30 -extfile "$T/ca.ext" \
			-out "$T/$1.pem" 2>/dev/null || fail "CA $1"
	mkdir -p "$T/$1.db"
	: >"$T/$1.db/index.txt"
	echo 01 >"$T/$1.db/crlnumber"
	printf '[ca]\ndefault_ca = c\n[c]\ndatabase = %s\ncrlnumber = %s\ncertificate = %s\nprivate_key = %s\ndefault_md = sha256\ndefault_crl_days = 1\n' \
		"$T/$1.db/index.txt" "$T/$1.db/crlnumber" "$T/$1.pem" "$T/$1.key" >"$T/$1.cnf"
}
# crl CA OUT [openssl ca args]: CA's CRL as PEM
crl() { local ca=$1 out=$2; shift 2; openssl ca -config "$T/$ca.cnf" -gencrl -out "$out" "$@" 2>/dev/null || fail "CRL of $ca"; }
# idevid NAME SERIAL [extension line]: a device certificate of mfr with key
idevid() {
	printf 'basicConstraints=CA:FALSE\n%s\n' "${3-}" >"$T/$1.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
		-subj "/O=Wallbox/CN=Wallbox 22kW/serialNumber=$2" -out "$T/$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$T/$1.csr" -CA "$T/mfr.pem" -CAkey "$T/mfr.key" -days 10 \
			-extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null || fail "IDevID $1"
}
# enroll NAME SERIAL: /simpleenroll with the IDevID as client certificate; prints the status
enroll() {
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$T/op-$2.key" \
		-subj "/CN=$2" -outform DER 2>/dev/null | base64 >"$T/op-$2.b64"
	curl -sS --cacert "$I_STATE/trust.pem" -o "$T/b" -w '%{http_code}' --cert "$T/$1.pem" \
		--key "$T/$1.key" -H 'Content-Type: application/pkcs10' --data-binary "@$T/op-$2.b64" \
		"$EST/simpleenroll"
}
# upload KEY CRL-FILE: POST the CRL to the anchor; prints "STATUS BODY"
upload() {
	api "$1" POST "/trust-anchors/$ANCHOR/crl" "$(python3 -c 'import json,sys; print(json.dumps({"crl_pem": open(sys.argv[1]).read()}))' "$2")"
}

mfr_ca mfr
mfr_ca stranger
r=$(api "$KEY" POST /trust-anchors "$(python3 -c 'import json,sys
print(json.dumps({"tenant": sys.argv[1], "name": "wallbox", "certificate_pem": open(sys.argv[2]).read(), "auto_register": True, "profile": "stations"}))' "$ACME" "$T/mfr.pem")")
expect_api "trust anchor" "$r" 201
ANCHOR=$(field "${r#* }" id)
expect_eq "no CRL yet" "$(field "${r#* }" crl)" null
idevid id1 CS-1
idevid id2 CS-2
idevid id3 CS-3 "crlDistributionPoints=URI:http://127.0.0.1:$(free_port)/gone.crl"
expect_eq "without a CRL: enrolls" "$(enroll id1 CS-1)" 200
expect_eq "without a CRL: an unreachable distribution point is refused" "$(enroll id3 CS-3)" 403

# --- uploads
crl mfr "$T/c1.pem"
r=$(upload "$KEY" "$T/c1.pem")
expect_api "upload the CRL" "$r" 200
expect_eq "anchor shows the CRL" "$(jget "${r#* }" '[d["crl"]["revoked"], d["crl"]["this_update"] < d["crl"]["next_update"]]')" "[0, true]"
expect_eq "audited" "$(psql -tAc "SELECT details->>'revoked' FROM audit WHERE action = 'trust_anchor.crl' AND object_id = '$ANCHOR'")" 0
crl stranger "$T/foreign.pem"
expect_api "a CRL of another CA" "$(upload "$KEY" "$T/foreign.pem")" 422 refused_by_policy crl_pem
python3 -c 'import sys; open(sys.argv[2], "w").write(open(sys.argv[1]).read().replace("BEGIN X509 CRL", "BEGIN CERTIFICATE").replace("END X509 CRL", "END CERTIFICATE"))' "$T/c1.pem" "$T/wrong.pem"
expect_api "not a CRL" "$(upload "$KEY" "$T/wrong.pem")" 400 invalid_value crl_pem
cp "$T/mfr.pem" "$T/cert-as-crl.pem"
sed -i 's/CERTIFICATE/X509 CRL/' "$T/cert-as-crl.pem"
expect_api "a certificate called a CRL" "$(upload "$KEY" "$T/cert-as-crl.pem")" 400 invalid_value crl_pem
crl mfr "$T/old.pem" -crl_lastupdate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)"
expect_api "an older CRL than the stored one" "$(upload "$KEY" "$T/old.pem")" 409 conflict crl_pem
crl mfr "$T/stale.pem" -crl_lastupdate "$(date -u -d '-2 day' +%Y%m%d%H%M%SZ)" -crl_nextupdate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)"
expect_api "a CRL past its nextUpdate" "$(upload "$KEY" "$T/stale.pem")" 422 refused_by_policy crl_pem
expect_api "operator may not upload" "$(upload "$OPER" "$T/c1.pem")" 403
expect_api "another tenant's admin" "$(upload "$BOB" "$T/c1.pem")" 404

# --- enrollment against the uploaded CRL (kept parsed in the server's CRL cache)
expect_eq "an IDevID the first CRL does not list" "$(enroll id2 CS-2)" 200
openssl ca -config "$T/mfr.cnf" -revoke "$T/id2.pem" -crl_reason keyCompromise 2>/dev/null || fail "revoke id2"
crl mfr "$T/c2.pem"
r=$(upload "$KEY" "$T/c2.pem")
expect_api "upload the CRL listing CS-2" "$r" 200
expect_eq "one revoked" "$(jget "${r#* }" 'd["crl"]["revoked"]')" 1
expect_eq "the CRL's digest is stored with it" "$(psql -tAc "SELECT crl_sha256 = sha256(crl) FROM trust_anchors WHERE id = '$ANCHOR'")" t
expect_eq "a listed IDevID (the replaced CRL counts at the next enrollment)" "$(enroll id2 CS-2)" 403
expect_contains "listed: reason" "$(cat "$T/b")" "revoked by the CRL uploaded with its trust anchor"
expect_eq "an IDevID it does not list" "$(enroll id1 CS-1)" 200
expect_eq "the uploaded CRL stands in for an unreachable distribution point" "$(enroll id3 CS-3)" 200

# a CRL that runs out: refused until a current one is uploaded
crl mfr "$T/short.pem" -crl_nextupdate "$(date -u -d '+3 seconds' +%Y%m%d%H%M%SZ)"
expect_api "upload a CRL good for 3 s" "$(upload "$KEY" "$T/short.pem")" 200
sleep 4
expect_eq "past its nextUpdate: refused" "$(enroll id1 CS-1)" 403
expect_contains "past nextUpdate: reason" "$(cat "$T/b")" "past its nextUpdate"
crl mfr "$T/c3.pem"
MIDPKI_URL="https://127.0.0.1:$ADMIN_PORT" MIDPKI_CACERT="$I_STATE/trust.pem" \
	MIDPKI_API_KEY_FILE="$I_STATE/admin.key" "$MIDPKI_BIN" admin trust-anchors crl "$ANCHOR" \
	--crl "$T/c3.pem" >"$T/out" 2>"$T/err" || fail "midpki admin trust-anchors crl: $(cat "$T/err")"
ok "midpki admin trust-anchors crl"
expect_eq "with a current CRL again" "$(enroll id1 CS-1)" 200
expect_eq "uploads audited" "$(psql -tAc "SELECT count(*) FROM audit WHERE action = 'trust_anchor.crl'")" 4
metrics=$(curl -sS --cacert "$I_STATE/trust.pem" "https://127.0.0.1:$ADMIN_PORT/metrics")
expect_eq "CRL cache: one fetch (the unreachable distribution point), then each uploaded CRL read once" "$(echo "$metrics" | sed -n 's/^midpki_crl_cache_misses_total //p')" 5
expect_eq "CRL cache: hits" "$(echo "$metrics" | sed -n 's/^midpki_crl_cache_hits_total //p')" 2
expect_eq "CRL cache: fetch failures" "$(echo "$metrics" | sed -n 's/^midpki_crl_fetch_failures_total //p')" 1

# --- removed: the distribution points count again
expect_eq "operator may not remove it" "$(api "$OPER" DELETE "/trust-anchors/$ANCHOR/crl" | cut -d' ' -f1)" 403
expect_eq "remove the CRL" "$(api "$KEY" DELETE "/trust-anchors/$ANCHOR/crl" | cut -d' ' -f1)" 204
expect_eq "the anchor has no CRL" "$(field "$(api "$KEY" GET "/trust-anchors/$ANCHOR" | cut -d' ' -f2-)" crl)" null
expect_eq "remove it again" "$(api "$KEY" DELETE "/trust-anchors/$ANCHOR/crl" | cut -d' ' -f1)" 404
expect_eq "removal audited" "$(psql -tAc "SELECT count(*) FROM audit WHERE action = 'trust_anchor.crl_delete' AND object_id = '$ANCHOR'")" 1
expect_eq "without the CRL: the unreachable distribution point counts again" "$(enroll id3 CS-3)" 403
expect_eq "without the CRL: CS-2 is no longer refused by it" "$(enroll id2 CS-2)" 200

# --- the anchor deleted, with its CRL in the cache: nothing it vouched for enrolls
crl mfr "$T/c4.pem"
expect_api "upload a CRL again" "$(upload "$KEY" "$T/c4.pem")" 200
expect_eq "enrolls under it" "$(enroll id1 CS-1)" 200
expect_eq "delete the anchor" "$(api "$KEY" DELETE "/trust-anchors/$ANCHOR" | cut -d' ' -f1)" 204
expect_eq "after the anchor's deletion" "$(enroll id1 CS-1)" 401
stop_instance
