#!/bin/bash
# EST (RFC 7030) with the real server and curl + openssl as the client: /cacerts
# gives the chain a device should trust, /csrattrs the key algorithms,
# /simpleenroll with HTTP Basic (device serial, one-time enrollment token)
# issues a certificate with subject and SAN from the device record, which
# verifies against /cacerts and is good in OCSP; every base64 style of RFC 8951
# is read; each failure path (a weak key, a broken signature, names or SANs
# the device record does not give, ...) answers its status with a reason; a token is not
# spent by a refused request; 50 concurrent enrollments with a one-use token
# give exactly one certificate; /simplereenroll with the certificate as TLS
# client certificate, refused for a foreign, suspended or revoked one or other
# names; enrollment with a manufacturer certificate (IDevID) under a tenant's
# trust anchor, mapped to the registered device or registered automatically,
# refused for an unknown manufacturer, an unregistered device, a certificate
# its manufacturer's CRL or OCSP responder revokes, or revocation information
# we cannot check; a pre-enrollment certificate works once, also
# when 20 clients use it at the same time; a profile that needs approval
# answers 202 until an operator decides, then the same request gets the
# certificate (or 403); strongSwan's pki --est enrolls when answers are not
# wrapped ([est] base64_line 0); a profile that requires channel binding takes only a
# CSR carrying the connection's tls-unique (TLS 1.2) or tls-exporter (TLS 1.3);
# /serverkeygen returns a key made by the server with its certificate;
# TLS 1.2 and 1.3.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance est
start_instance MIDPKI_EST_RETRY_AFTER=1s
KEY=$(cat "$I_STATE/admin.key")
EST="https://127.0.0.1:$EST_PORT/.well-known/est"

# est_req OP [curl args...]: headers to $T/h, body to $T/b; prints the status
est_req() {
	local op=$1; shift
	curl -sS --cacert "$I_STATE/trust.pem" -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "$EST/$op"
}
# header NAME: a response header's value from the last est_req
header() { tr -d '\r' <"$T/h" | sed -n "s/^$1: //Ip" | tail -n 1; }
# enroll USER:TOKEN CSR-BODY-FILE [curl args...]: POST /simpleenroll as $CT
# (default application/pkcs10); prints the status
enroll() {
	local cred=$1 file=$2; shift 2
	est_req simpleenroll -u "$cred" -H "Content-Type: ${CT:-application/pkcs10}" \
		--data-binary "@$file" "$@"
}
# csr NAME SUBJ [openssl req key args]: a key (P-256 unless told) and its CSR as
# $T/NAME.key, $T/NAME.der and base64 in $T/NAME.b64
csr() {
	local name=$1 subj=$2 newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
	[ $# -gt 2 ] && newkey=("${@:3}")
	openssl req -new -nodes "${newkey[@]}" -keyout "$T/$name.key" -subj "$subj" -outform DER \
		-out "$T/$name.der" 2>/dev/null || fail "csr $name"
	base64 "$T/$name.der" >"$T/$name.b64"
}
# token DEVICE USES: a fresh enrollment token of the device under the profile $PROFILE
token() {
	local r
	r=$(api "$KEY" POST "/devices/$1/enrollment-tokens" "{\"profile\":\"$PROFILE\",\"uses\":$2}")
	expect_api "token for $1" "$r" 201 >/dev/null
	field "${r#* }" token
}
uses_left() { psql -tAc "SELECT uses_left FROM enrollment_tokens WHERE id = '$1'"; }
token_id() { echo "$1" | sed -E 's/^mpe_([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})_.*/\1-\2-\3-\4-\5/'; }
# profile_with NAME FIELD JSON: a profile NAME of ACME, iec62351-device's body with FIELD
# set to JSON; prints its id
profile_with() {
	local r
	r=$(api "$KEY" POST /profiles "{\"tenant\":\"$ACME\",\"name\":\"$1\",\"body\":$(python3 -c 'import json,sys
b = json.loads(sys.argv[1]); b[sys.argv[2]] = json.loads(sys.argv[3]); print(json.dumps(b))' "$BODY" "$2" "$3")}")
	expect_api "profile $1" "$r" 201 >/dev/null
	field "${r#* }" id
}

r=$(api "$KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
BODY=$(builtin_body iec62351-device)
r=$(api "$KEY" POST /profiles "{\"tenant\":\"$ACME\",\"name\":\"stations\",\"body\":$BODY}")
expect_api "tenant profile" "$r" 201
PROFILE=$(field "${r#* }" id)
for s in CS-1 CS-2 CS-3 CS-4; do
	r=$(api "$KEY" POST /devices "{\"tenant\":\"$ACME\",\"serial\":\"$s\"}")
	expect_api "register $s" "$r" 201 >/dev/null
	eval "DEV_${s#CS-}=$(field "${r#* }" id)"
done

# --- /cacerts: certs-only PKCS#7, base64, the devices CA and the root; TLS 1.2 and 1.3
for tls in --tlsv1.2 --tlsv1.3; do
	expect_eq "cacerts ($tls)" "$(est_req cacerts $tls --tls-max ${tls#--tlsv})" 200
done
expect_eq "cacerts: content type" "$(header Content-Type)" application/pkcs7-mime
expect_eq "cacerts: transfer encoding" "$(header Content-Transfer-Encoding)" base64
expect_eq "cacerts: lines of 64 with LF" "$(awk '{ print length($0) }' "$T/b" | sort -n | tail -n 1)" 64
base64 -d "$T/b" | openssl pkcs7 -inform DER -print_certs -out "$T/cacerts.pem" ||
	fail "cacerts does not decode"
expect_eq "cacerts: two certificates" "$(grep -c 'BEGIN CERTIFICATE' "$T/cacerts.pem")" 2
openssl x509 -in "$T/cacerts.pem" -out "$T/devices-ca.pem" || fail "devices CA"
awk 'n == 2 || /BEGIN/ && ++n == 2' "$T/cacerts.pem" | sed '/^$/d' >"$T/root.pem"
expect_eq "cacerts: the root is the platform root" \
	"$(openssl x509 -in "$T/root.pem" -noout -fingerprint -sha256)" \
	"$(openssl x509 -in "$I_STATE/trust.pem" -noout -fingerprint -sha256)"
expect_contains "cacerts: devices CA first" "$(openssl x509 -in "$T/devices-ca.pem" -noout -subject)" "MIDPKI Devices CA"

# --- /csrattrs and /fullcmc
expect_eq "csrattrs" "$(est_req csrattrs)" 200
expect_eq "csrattrs: content type" "$(header Content-Type)" application/csrattrs
ATTRS=$(base64 -d "$T/b" | openssl asn1parse -inform DER)
for oid in id-ecPublicKey prime256v1 secp384r1 ecdsa-with-SHA256 rsaEncryption; do
	expect_contains "csrattrs names $oid" "$ATTRS" "$oid"
done
expect_eq "fullcmc" "$(est_req fullcmc -X POST -H 'Content-Type: application/pkcs7-mime' --data-binary x)" 501
expect_eq "fullcmc: text reason" "$(header Content-Type)" "text/plain; charset=utf-8"

# --- enrollment of CS-1: every failure first, then the certificate
csr dev1 "/CN=CS-1"
TOK=$(token "$DEV_1" 1); TID=$(token_id "$TOK")
expect_eq "no credentials" "$(est_req simpleenroll -H 'Content-Type: application/pkcs10' --data-binary "@$T/dev1.b64")" 401
expect_eq "no credentials: challenge" "$(header WWW-Authenticate)" 'Basic realm="midpki EST", charset="UTF-8"'
expect_eq "bearer instead of basic" "$(est_req simpleenroll -H "Authorization: Bearer $TOK" -H 'Content-Type: application/pkcs10' --data-binary "@$T/dev1.b64")" 401
expect_eq "wrong token" "$(enroll "CS-1:${TOK%?}x" "$T/dev1.b64")" 401
expect_contains "wrong token: reason" "$(cat "$T/b")" "do not match a valid token"
expect_eq "right token, another device's serial" "$(enroll "CS-2:$TOK" "$T/dev1.b64")" 401
expect_eq "unknown serial" "$(enroll "CS-99:$TOK" "$T/dev1.b64")" 401
expect_eq "wrong content type" "$(CT=application/octet-stream enroll "CS-1:$TOK" "$T/dev1.b64")" 415
expect_eq "415: text reason" "$(header Content-Type)" "text/plain; charset=utf-8"
expect_eq "binary transfer encoding" "$(enroll "CS-1:$TOK" "$T/dev1.b64" -H 'Content-Transfer-Encoding: binary')" 400
expect_contains "binary: reason" "$(cat "$T/b")" "Content-Transfer-Encoding must be base64"
expect_eq "DER body, not base64" "$(enroll "CS-1:$TOK" "$T/dev1.der")" 400
expect_contains "DER body: reason" "$(cat "$T/b")" "must be base64"
printf '' >"$T/empty"
expect_eq "empty body" "$(enroll "CS-1:$TOK" "$T/empty")" 400
echo "not a request" | base64 >"$T/junk.b64"
expect_eq "base64 of something else" "$(enroll "CS-1:$TOK" "$T/junk.b64")" 400
expect_contains "not a CSR: reason" "$(cat "$T/b")" "csr"
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[-3]^=1; open(sys.argv[2],"wb").write(d)' \
	"$T/dev1.der" "$T/badsig.der"
base64 "$T/badsig.der" >"$T/badsig.b64"
expect_eq "broken signature" "$(enroll "CS-1:$TOK" "$T/badsig.b64")" 400
expect_contains "broken signature: reason" "$(cat "$T/b")" "csr.signature"
csr weak "/CN=CS-1" -newkey rsa:1024
expect_eq "RSA 1024" "$(enroll "CS-1:$TOK" "$T/weak.b64")" 400
expect_contains "RSA 1024: reason" "$(cat "$T/b")" "csr.key"
head -c 140000 /dev/zero | tr '\0' A >"$T/huge.b64"
# (curl waits for the answer to its headers before it sends the body, so that the
# refusal is read rather than lost to the reset of a connection closed under it)
expect_eq "body over the EST limit" "$(enroll "CS-1:$TOK" "$T/huge.b64" -H 'Expect: 100-continue')" 413
csr other "/CN=CS-2"
expect_eq "CSR naming another device" "$(enroll "CS-1:$TOK" "$T/other.b64")" 400
expect_contains "CSR naming another device: reason" "$(cat "$T/b")" 'csr.subject.CN: must be "CS-1"'
csr evilsan "/CN=CS-1" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -addext "subjectAltName=DNS:evil.example"
expect_eq "CSR asking for a SAN the device record does not give" "$(enroll "CS-1:$TOK" "$T/evilsan.b64")" 400
expect_contains "forbidden SAN: reason" "$(cat "$T/b")" "csr.san[0]: dns:evil.example is not allowed"
expect_eq "GET is not enrollment" "$(est_req simpleenroll -u "CS-1:$TOK")" 405
expect_eq "no use spent by the refusals" "$(uses_left "$TID")" 1
expect_eq "refusals after the token check were given back" \
	"$(psql -tAc "SELECT count(*) FROM audit WHERE action = 'enrollment_token.refund' AND object_id = '$TID'")" 5

expect_eq "enroll CS-1" "$(enroll "CS-1:$TOK" "$T/dev1.b64")" 200
expect_eq "enroll: content type" "$(header Content-Type)" "application/pkcs7-mime; smime-type=certs-only"
expect_eq "enroll: transfer encoding" "$(header Content-Transfer-Encoding)" base64
base64 -d "$T/b" | openssl pkcs7 -inform DER -print_certs -out "$T/dev1.pem" || fail "certificate does not decode"
expect_eq "one certificate" "$(grep -c 'BEGIN CERTIFICATE' "$T/dev1.pem")" 1
expect_eq "subject from the device record" \
	"$(openssl x509 -in "$T/dev1.pem" -noout -subject -nameopt RFC2253)" "subject=serialNumber=CS-1,CN=CS-1"
expect_contains "SAN from the device record" \
	"$(openssl x509 -in "$T/dev1.pem" -noout -ext subjectAltName)" "URI:urn:uuid:$DEV_1"
expect_eq "the certificate's key is the CSR's" "$(openssl x509 -in "$T/dev1.pem" -noout -pubkey)" \
	"$(openssl pkey -in "$T/dev1.key" -pubout)"
expect_eq "openssl verify against /cacerts" \
	"$(openssl verify -CAfile "$T/root.pem" -untrusted "$T/devices-ca.pem" "$T/dev1.pem")" "$T/dev1.pem: OK"
expect_eq "token used up" "$(uses_left "$TID")" 0
expect_eq "issued by the device" "$(psql -tAc "SELECT actor_kind || ' ' || actor_id FROM audit WHERE action = 'certificate.issue' AND details->>'device_id' = '$DEV_1'")" "device $DEV_1"
expect_eq "token reused" "$(enroll "CS-1:$TOK" "$T/dev1.b64")" 401

# the certificate is good in OCSP
cat "$T/root.pem" "$T/devices-ca.pem" >"$T/cafile.pem"
ocsp_status() {
	openssl ocsp -issuer "$T/devices-ca.pem" -cert "$T/dev1.pem" -url "http://127.0.0.1:$OCSP_PORT/ocsp" \
		-CAfile "$T/cafile.pem" -no_nonce 2>/dev/null | sed -n "s|^$T/dev1.pem: ||p"
}
for _ in $(seq 1 100); do [ "$(ocsp_status)" = good ] && break; sleep 0.1; done
expect_eq "OCSP status" "$(ocsp_status)" good

# --- /simplereenroll with the certificate as TLS client certificate, TLS 1.2 and 1.3
# reenroll CERT KEY CSR-B64 [curl args...]: as $CT (application/pkcs10); prints the status
reenroll() {
	local cert=$1 key=$2 file=$3; shift 3
	est_req simplereenroll --cert "$cert" --key "$key" -H "Content-Type: ${CT:-application/pkcs10}" \
		--data-binary "@$file" "$@"
}
csr re1 "/CN=CS-1/serialNumber=CS-1" -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-addext "subjectAltName=URI:urn:uuid:$DEV_1"
csr re1cn "/CN=CS-1"
expect_eq "reenroll without a client certificate" "$(est_req simplereenroll -H 'Content-Type: application/pkcs10' --data-binary "@$T/re1.b64")" 401
expect_contains "no client certificate: reason" "$(cat "$T/b")" "TLS client certificate"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/fake.key" \
	-out "$T/fake.pem" -subj "/CN=CS-1/serialNumber=CS-1" -days 1 2>/dev/null || fail "fake certificate"
expect_eq "reenroll with a certificate we did not issue" "$(reenroll "$T/fake.pem" "$T/fake.key" "$T/re1.b64")" 401
expect_contains "foreign certificate: reason" "$(cat "$T/b")" "not issued by this server"
expect_eq "reenroll with another subject" "$(reenroll "$T/dev1.pem" "$T/dev1.key" "$T/re1cn.b64")" 400
expect_contains "another subject: reason" "$(cat "$T/b")" "subject must be the subject"
csr re1san "/CN=CS-1/serialNumber=CS-1" -newkey ec -pkeyopt ec_paramgen_curve:P-256
expect_eq "reenroll without the SAN" "$(reenroll "$T/dev1.pem" "$T/dev1.key" "$T/re1san.b64")" 400
expect_contains "no SAN: reason" "$(cat "$T/b")" "subjectAltName must be"
expect_eq "reenroll, wrong content type" "$(CT=text/plain reenroll "$T/dev1.pem" "$T/dev1.key" "$T/re1.b64")" 415
CERT1=$(psql -tAc "SELECT id FROM identities WHERE device_id = '$DEV_1'")
for tls in 1.2 1.3; do
	expect_eq "reenroll CS-1 (TLS $tls)" "$(reenroll "$T/dev1.pem" "$T/dev1.key" "$T/re1.b64" --tlsv$tls --tls-max $tls)" 200
	base64 -d "$T/b" | openssl pkcs7 -inform DER -print_certs -out "$T/re1-$tls.pem" || fail "renewed certificate"
	expect_eq "renewed (TLS $tls): same subject" "$(openssl x509 -in "$T/re1-$tls.pem" -noout -subject -nameopt RFC2253)" "subject=serialNumber=CS-1,CN=CS-1"
	expect_eq "renewed (TLS $tls): the new key" "$(openssl x509 -in "$T/re1-$tls.pem" -noout -pubkey)" "$(openssl pkey -in "$T/re1.key" -pubout)"
	expect_eq "renewed (TLS $tls): verifies" "$(openssl verify -CAfile "$T/root.pem" -untrusted "$T/devices-ca.pem" "$T/re1-$tls.pem")" "$T/re1-$tls.pem: OK"
done
expect_eq "the old certificate stays active" "$(psql -tAc "SELECT status FROM identities WHERE id = '$CERT1'")" active
expect_eq "three certificates of CS-1" "$(psql -tAc "SELECT count(*) FROM identities WHERE device_id = '$DEV_1' AND status = 'active'")" 3
r=$(api "$KEY" POST "/certificates/$CERT1/suspend" '{}')
expect_api "suspend the old certificate" "$r" 200
expect_eq "reenroll with a suspended certificate" "$(reenroll "$T/dev1.pem" "$T/dev1.key" "$T/re1.b64")" 403
expect_contains "suspended: reason" "$(cat "$T/b")" "suspended"
r=$(api "$KEY" POST "/certificates/$CERT1/revoke" '{"reason":"superseded"}')
expect_api "revoke the old certificate" "$r" 200
expect_eq "reenroll with a revoked certificate" "$(reenroll "$T/dev1.pem" "$T/dev1.key" "$T/re1.b64")" 403
expect_contains "revoked: reason" "$(cat "$T/b")" "revoked"

# a profile whose renewed certificates are revoked (on_renewal "revoke")
ROTATING=$(profile_with rotating on_renewal '"revoke"')
DEV_23=$(device_in "$ACME" CS-23)
r=$(api "$KEY" POST "/devices/$DEV_23/enrollment-tokens" "{\"profile\":\"$ROTATING\"}")
csr dev23 "/CN=CS-23"
expect_eq "enroll CS-23 (rotating)" "$(enroll "CS-23:$(field "${r#* }" token)" "$T/dev23.b64")" 200
base64 -d "$T/b" | openssl pkcs7 -inform DER -print_certs -out "$T/dev23.pem" || fail "CS-23 certificate"
OLD23=$(psql -tAc "SELECT id FROM identities WHERE device_id = '$DEV_23'")
csr re23 "/CN=CS-23/serialNumber=CS-23" -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-addext "subjectAltName=URI:urn:uuid:$DEV_23"
expect_eq "reenroll CS-23" "$(reenroll "$T/dev23.pem" "$T/dev23.key" "$T/re23.b64")" 200
expect_eq "the renewed certificate is revoked as superseded" \
	"$(psql -tAc "SELECT i.status || ' ' || c.reason FROM identities i JOIN certificates c ON c.id = i.id WHERE i.id = '$OLD23'")" "revoked superseded"
expect_eq "the renewed certificate cannot renew again" "$(reenroll "$T/dev23.pem" "$T/dev23.key" "$T/re23.b64")" 403

# --- IDevID: the manufacturer certificate as TLS client certificate, no Authorization
# mfr_ca NAME [ISSUER]: a CA certificate $T/NAME.pem with key (self-signed without ISSUER)
mfr_ca() {
	local name=$1 issuer=${2-}
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' >"$T/ca.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$name.key" \
		-subj "/O=Wallbox/CN=$name" -out "$T/$name.csr" 2>/dev/null || fail "CA $name"
	if [ -z "$issuer" ]; then
		openssl x509 -req -in "$T/$name.csr" -key "$T/$name.key" -days 30 -extfile "$T/ca.ext" \
			-out "$T/$name.pem" 2>/dev/null || fail "CA $name"
	else
		openssl x509 -req -in "$T/$name.csr" -CA "$T/$issuer.pem" -CAkey "$T/$issuer.key" \
			-days 30 -extfile "$T/ca.ext" -out "$T/$name.pem" 2>/dev/null || fail "CA $name"
	fi
}
# idevid NAME CA SERIAL [extension lines]: a device certificate $T/NAME.pem with key
idevid() {
	local name=$1 ca=$2 serial=$3
	printf 'basicConstraints=CA:FALSE\n%s\n' "${4-}" >"$T/$name.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$name.key" \
		-subj "/O=Wallbox/CN=Wallbox 22kW/serialNumber=$serial" -out "$T/$name.csr" 2>/dev/null ||
		fail "IDevID $name"
	openssl x509 -req -in "$T/$name.csr" -CA "$T/$ca.pem" -CAkey "$T/$ca.key" -days 10 \
		-extfile "$T/$name.ext" -out "$T/$name.pem" 2>/dev/null || fail "IDevID $name"
}
anchor() { # anchor NAME CA AUTO
	local r
	r=$(api "$KEY" POST /trust-anchors "$(python3 -c 'import json,sys
print(json.dumps({"tenant": sys.argv[1], "name": sys.argv[2], "certificate_pem": open(sys.argv[3]).read(), "auto_register": sys.argv[4] == "true", "profile": "stations"}))' "$ACME" "$1" "$T/$2.pem" "$3")")
	expect_api "trust anchor $1" "$r" 201
}
# idevid_enroll CERT-FILE KEY SERIAL [curl args]: enrolls with a CSR for SERIAL; prints the status
idevid_enroll() {
	local cert=$1 key=$2 serial=$3; shift 3
	csr "id-$serial" "/CN=$serial"
	est_req simpleenroll --cert "$cert" --key "$key" -H 'Content-Type: application/pkcs10' \
		--data-binary "@$T/id-$serial.b64" "$@"
}
mfr_ca mfr-root
mfr_ca mfr-auto
mfr_ca mfr-sub mfr-auto
mfr_ca stranger
anchor wallbox mfr-root false
anchor wallbox-auto mfr-auto true
DEV_5=$(device_in "$ACME" CS-5)
idevid id5 mfr-root CS-5
expect_eq "IDevID of a registered device (TLS 1.2)" "$(idevid_enroll "$T/id5.pem" "$T/id5.key" CS-5 --tlsv1.2 --tls-max 1.2)" 200
base64 -d "$T/b" | openssl pkcs7 -inform DER -print_certs -out "$T/id5-op.pem" || fail "IDevID certificate"
expect_contains "IDevID: SAN of the registered device" "$(openssl x509 -in "$T/id5-op.pem" -noout -ext subjectAltName)" "URI:urn:uuid:$DEV_5"
expect_eq "IDevID: issued under the anchor's profile" "$(psql -tAc "SELECT p.name FROM identities i JOIN profiles p ON p.id = i.profile_id WHERE i.device_id = '$DEV_5'")" stations
idevid id6 mfr-root CS-6
expect_eq "IDevID of an unregistered device, no auto-registration" "$(idevid_enroll "$T/id6.pem" "$T/id6.key" CS-6)" 403
expect_contains "unregistered: reason" "$(cat "$T/b")" "not registered"
idevid id7 mfr-auto CS-7
expect_eq "IDevID registered automatically (TLS 1.3)" "$(idevid_enroll "$T/id7.pem" "$T/id7.key" CS-7 --tlsv1.3)" 200
expect_eq "the device was registered" "$(psql -tAc "SELECT status || ' ' || (attributes->>'registered_by') FROM devices WHERE serial = 'CS-7' AND tenant_id = '$ACME'")" "active est-idevid"
expect_eq "registration audited" "$(psql -tAc "SELECT actor_kind || ' ' || actor_id FROM audit WHERE action = 'device.create' AND details->>'serial' = 'CS-7'")" "system est-idevid"
idevid id8 mfr-sub CS-8
cat "$T/id8.pem" "$T/mfr-sub.pem" >"$T/id8-chain.pem"
expect_eq "IDevID through an intermediate the client sends" "$(idevid_enroll "$T/id8-chain.pem" "$T/id8.key" CS-8)" 200
expect_eq "IDevID without its intermediate" "$(idevid_enroll "$T/id8.pem" "$T/id8.key" CS-8)" 401
idevid id9 stranger CS-9
expect_eq "IDevID of an unknown manufacturer" "$(idevid_enroll "$T/id9.pem" "$T/id9.key" CS-9)" 401
expect_contains "unknown manufacturer: reason" "$(cat "$T/b")" "no trust anchor"
# revocation of manufacturer certificates: the CRL at the distribution point, over http
CRL_PORT=$(free_port)
mkdir -p "$T/crlweb" "$T/mfrdb"
: >"$T/mfrdb/index.txt"
echo 01 >"$T/mfrdb/crlnumber"
printf '[ca]\ndefault_ca = mfr\n[mfr]\ndatabase = %s\ncrlnumber = %s\ncertificate = %s\nprivate_key = %s\ndefault_md = sha256\ndefault_crl_days = 1\n' \
	"$T/mfrdb/index.txt" "$T/mfrdb/crlnumber" "$T/mfr-auto.pem" "$T/mfr-auto.key" >"$T/mfrca.cnf"
# mfr_crl [openssl ca args]: publishes the manufacturer's current CRL (DER) at http://127.0.0.1:$CRL_PORT/auto.crl
mfr_crl() {
	openssl ca -config "$T/mfrca.cnf" -gencrl -out "$T/auto.crl.pem" "$@" 2>/dev/null &&
		openssl crl -in "$T/auto.crl.pem" -outform DER -out "$T/crlweb/auto.crl" || fail "manufacturer CRL"
}
mfr_crl
python3 -m http.server "$CRL_PORT" --bind 127.0.0.1 --directory "$T/crlweb" >/dev/null 2>&1 &
MIDPKI_PIDS="$MIDPKI_PIDS $!"
for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$CRL_PORT/auto.crl" && break; sleep 0.1; done
# a CRL good for 8 s: the server keeps it until then, and fetches the next one after
mfr_crl -crlsec 8
CRL_AT=$(date +%s)
idevid id17 mfr-auto CS-17 "crlDistributionPoints=URI:http://127.0.0.1:$CRL_PORT/auto.crl"
expect_eq "IDevID not on its manufacturer's CRL" "$(idevid_enroll "$T/id17.pem" "$T/id17.key" CS-17)" 200
openssl ca -config "$T/mfrca.cnf" -revoke "$T/id17.pem" -crl_reason keyCompromise 2>/dev/null || fail "revoke id17"
mfr_crl
wait_s=$((CRL_AT + 9 - $(date +%s)))
[ "$wait_s" -gt 0 ] && sleep "$wait_s"
expect_eq "IDevID revoked by its manufacturer (the next CRL, fetched after the first one's nextUpdate)" "$(idevid_enroll "$T/id17.pem" "$T/id17.key" CS-17)" 403
expect_contains "revoked IDevID: reason" "$(cat "$T/b")" "revoked by its manufacturer's CRL"
idevid id10 mfr-auto CS-10 "crlDistributionPoints=URI:http://127.0.0.1:$(free_port)/gone.crl"
expect_eq "IDevID whose CRL cannot be fetched" "$(idevid_enroll "$T/id10.pem" "$T/id10.key" CS-10)" 403
expect_contains "CRL not fetched: reason" "$(cat "$T/b")" "could not be fetched"
# ... or, without a CRL, its OCSP responder (openssl ocsp over the manufacturer's index)
MFR_OCSP=$(free_port)
idevid id18 mfr-auto CS-18 "authorityInfoAccess=OCSP;URI:http://127.0.0.1:$MFR_OCSP/"
idevid id20 mfr-auto CS-20 "authorityInfoAccess=OCSP;URI:http://127.0.0.1:$MFR_OCSP/"
python3 -c 'import datetime, subprocess, sys
out = subprocess.run(["openssl", "x509", "-in", sys.argv[1], "-noout", "-enddate", "-serial", "-subject", "-nameopt", "compat"], capture_output=True, text=True, check=True).stdout.splitlines()
end = datetime.datetime.strptime(out[0].split("=", 1)[1], "%b %d %H:%M:%S %Y %Z")
print("V\t%s\t\t%s\tunknown\t%s" % (end.strftime("%y%m%d%H%M%SZ"), out[1].split("=", 1)[1], out[2].split("=", 1)[1].strip()))' \
	"$T/id18.pem" >>"$T/mfrdb/index.txt" || fail "index entry for id18"
openssl ca -config "$T/mfrca.cnf" -revoke "$T/id20.pem" 2>/dev/null || fail "revoke id20"
openssl ocsp -index "$T/mfrdb/index.txt" -port "$MFR_OCSP" -rsigner "$T/mfr-auto.pem" \
	-rkey "$T/mfr-auto.key" -CA "$T/mfr-auto.pem" -ignore_err >"$T/mfr-ocsp.log" 2>&1 &
MIDPKI_PIDS="$MIDPKI_PIDS $!"
# (it serves one connection at a time: waiting for its log line, not probing the port)
for _ in $(seq 1 50); do grep -q "waiting for OCSP client" "$T/mfr-ocsp.log" && break; sleep 0.1; done
expect_eq "IDevID good at its manufacturer's OCSP responder" "$(idevid_enroll "$T/id18.pem" "$T/id18.key" CS-18)" 200
expect_eq "IDevID revoked at its manufacturer's OCSP responder" "$(idevid_enroll "$T/id20.pem" "$T/id20.key" CS-20)" 403
expect_contains "OCSP revoked: reason" "$(cat "$T/b")" "revoked by its manufacturer's OCSP responder"
idevid id21 mfr-auto CS-21 "authorityInfoAccess=OCSP;URI:http://127.0.0.1:$(free_port)/"
expect_eq "IDevID whose OCSP responder is unreachable" "$(idevid_enroll "$T/id21.pem" "$T/id21.key" CS-21)" 403
expect_contains "OCSP unreachable: reason" "$(cat "$T/b")" "could not be reached"
idevid id22 mfr-auto CS-22 "authorityInfoAccess=OCSP;URI:ldap://ocsp.wallbox.example/"
expect_eq "IDevID with revocation not on http" "$(idevid_enroll "$T/id22.pem" "$T/id22.key" CS-22)" 403
expect_contains "not on http: reason" "$(cat "$T/b")" "cannot be checked"
idevid id19 mfr-root CS-19 "crlDistributionPoints=URI:http://127.0.0.1:$CRL_PORT/auto.crl"
expect_eq "IDevID whose CRL is another CA's" "$(idevid_enroll "$T/id19.pem" "$T/id19.key" CS-19)" 403
expect_contains "another CA's CRL: reason" "$(cat "$T/b")" "does not check out"
expect_eq "no device registered for the refused ones" "$(psql -tAc "SELECT count(*) FROM devices WHERE serial IN ('CS-6', 'CS-9', 'CS-10', 'CS-19', 'CS-20', 'CS-21', 'CS-22')")" 0
r=$(api "$KEY" PATCH "/devices/$DEV_5" '{"status":"suspended"}')
expect_eq "IDevID of a suspended device" "$(idevid_enroll "$T/id5.pem" "$T/id5.key" CS-5)" 403

# --- a temporary pre-enrollment certificate from the admin API, used once as client certificate
DEV_11=$(device_in "$ACME" CS-11)
# pre_cert NAME: a pre-enrollment certificate of CS-11 as $T/NAME.pem with key; its id in PRE
pre_cert() {
	local r
	r=$(issue_cert "$1" "$DEV_11" pre-enrollment "/CN=CS-11")
	expect_api "pre-enrollment certificate $1" "$r" 201
	jget "${r#* }" 'd["certificate_pem"]' >"$T/$1.pem"
	PRE=$(field "${r#* }" id)
}
pre_cert pre1
expect_eq "pre-enrollment certificate on /simplereenroll" "$(reenroll "$T/pre1.pem" "$T/pre1.key" "$T/re1.b64")" 403
expect_contains "pre-enrollment on reenroll: reason" "$(cat "$T/b")" "not a device's operational certificate"
expect_eq "an operational certificate on /simpleenroll" "$(idevid_enroll "$T/re1-1.3.pem" "$T/re1.key" CS-1)" 403
expect_contains "operational on simpleenroll: reason" "$(cat "$T/b")" "renews at /simplereenroll"
expect_eq "enroll with the pre-enrollment certificate" "$(idevid_enroll "$T/pre1.pem" "$T/pre1.key" CS-11)" 200
base64 -d "$T/b" | openssl pkcs7 -inform DER -print_certs -out "$T/pre1-op.pem" || fail "certificate"
expect_eq "operational certificate under [est] profile" "$(psql -tAc "SELECT p.name FROM identities i JOIN profiles p ON p.id = i.profile_id WHERE i.device_id = '$DEV_11' AND i.status = 'active'")" iec62351-device
expect_eq "the pre-enrollment certificate is consumed" "$(psql -tAc "SELECT status || ' ' || c.reason FROM identities i JOIN certificates c ON c.id = i.id WHERE i.id = '$PRE'")" "revoked superseded"
expect_eq "the pre-enrollment certificate a second time" "$(idevid_enroll "$T/pre1.pem" "$T/pre1.key" CS-11)" 403
expect_contains "second use: reason" "$(cat "$T/b")" "used already"
pre_cert pre2
csr badpre "/CN=CS-1"
expect_eq "pre-enrollment with a refused CSR" "$(est_req simpleenroll --cert "$T/pre2.pem" --key "$T/pre2.key" -H 'Content-Type: application/pkcs10' --data-binary "@$T/badpre.b64")" 400
expect_eq "a refused CSR does not consume it" "$(psql -tAc "SELECT status FROM identities WHERE id = '$PRE'")" active
csr pre2op "/CN=CS-11"
PIDS=""
for i in $(seq 1 20); do
	curl -sS --cacert "$I_STATE/trust.pem" -o /dev/null -w '%{http_code}\n' --cert "$T/pre2.pem" \
		--key "$T/pre2.key" -H 'Content-Type: application/pkcs10' --data-binary "@$T/pre2op.b64" \
		"$EST/simpleenroll" >"$T/p$i.code" 2>&1 &
	PIDS="$PIDS $!"
done
wait $PIDS
expect_eq "20 concurrent uses of one pre-enrollment certificate" "$(cat "$T"/p*.code | sort | uniq -c | awk '{ print $2 "x" $1 }' | paste -sd' ' -)" "200x1 403x19"

# --- a profile that needs approval: 202 with Retry-After, then the same request gets the answer
r=$(api "$KEY" POST /profiles "{\"tenant\":\"$ACME\",\"name\":\"gated\",\"body\":$BODY,\"approval_required\":true}")
expect_api "profile with approval" "$r" 201
GATED=$(field "${r#* }" id)
for s in CS-12 CS-13; do
	r=$(api "$KEY" POST /devices "{\"tenant\":\"$ACME\",\"serial\":\"$s\"}")
	eval "DEV_${s#CS-}=$(field "${r#* }" id)"
done
gated_token() {
	local r
	r=$(api "$KEY" POST "/devices/$1/enrollment-tokens" "{\"profile\":\"$GATED\"}")
	field "${r#* }" token
}
TOK=$(gated_token "$DEV_12")
csr dev12 "/CN=CS-12"
expect_eq "enroll under approval" "$(enroll "CS-12:$TOK" "$T/dev12.b64")" 202
expect_eq "approval: Retry-After ([est] retry_after)" "$(header Retry-After)" 1
expect_eq "the same request while pending" "$(enroll "CS-12:$TOK" "$T/dev12.b64")" 202
csr dev12b "/CN=CS-12"
expect_eq "another request with the used token" "$(enroll "CS-12:$TOK" "$T/dev12b.b64")" 401
expect_eq "one pending request" "$(psql -tAc "SELECT count(*) FROM certificate_requests WHERE device_id = '$DEV_12' AND status = 'pending'")" 1
REQ=$(psql -tAc "SELECT id FROM certificate_requests WHERE device_id = '$DEV_12'")
expect_api "approve" "$(api "$KEY" POST "/requests/$REQ/approve" '{}')" 201
expect_eq "the same request once approved" "$(enroll "CS-12:$TOK" "$T/dev12.b64")" 200
base64 -d "$T/b" | openssl pkcs7 -inform DER -print_certs -out "$T/dev12.pem" || fail "approved certificate"
expect_eq "approved certificate: subject" "$(openssl x509 -in "$T/dev12.pem" -noout -subject -nameopt RFC2253)" "subject=serialNumber=CS-12,CN=CS-12"
expect_eq "approved certificate: the CSR's key" "$(openssl x509 -in "$T/dev12.pem" -noout -pubkey)" "$(openssl pkey -in "$T/dev12.key" -pubout)"
TOK=$(gated_token "$DEV_13")
csr dev13 "/CN=CS-13"
expect_eq "enroll under approval (CS-13)" "$(enroll "CS-13:$TOK" "$T/dev13.b64")" 202
REQ=$(psql -tAc "SELECT id FROM certificate_requests WHERE device_id = '$DEV_13'")
expect_api "reject" "$(api "$KEY" POST "/requests/$REQ/reject" '{}')" 200
expect_eq "the same request once rejected" "$(enroll "CS-13:$TOK" "$T/dev13.b64")" 403
expect_contains "rejected: reason" "$(cat "$T/b")" "rejected"
# our client follows the 202 until an operator approves
DEV_15=$(device_in "$ACME" CS-15)
MIDPKI_EST_TOKEN=$(gated_token "$DEV_15") "$MIDPKI_BIN" est enroll --server "https://127.0.0.1:$EST_PORT" \
	--trust "$I_STATE/trust.pem" --serial CS-15 --max-wait 60s --out-key "$T/cs15.key" \
	--out-cert "$T/cs15.pem" 2>"$T/cs15.err" &
CLIENT=$!
for _ in $(seq 1 100); do
	REQ=$(psql -tAc "SELECT id FROM certificate_requests WHERE device_id = '$DEV_15' AND status = 'pending'")
	[ -n "$REQ" ] && break
	sleep 0.1
done
expect_api "approve while the client waits" "$(api "$KEY" POST "/requests/$REQ/approve" '{}')" 201
wait $CLIENT
expect_eq "midpki est enroll after approval: exit code" "$?" 0
expect_eq "the client got the approved certificate" "$(openssl x509 -in "$T/cs15.pem" -noout -pubkey)" \
	"$(openssl pkey -in "$T/cs15.key" -pubout)"

# --- proof-of-possession linking: a profile that requires the TLS channel binding
BOUND=$(profile_with bound channel_binding '"required"')
DEV_14=$(device_in "$ACME" CS-14)
r=$(api "$KEY" POST "/devices/$DEV_14/enrollment-tokens" "{\"profile\":\"$BOUND\",\"uses\":2}")
TOK=$(field "${r#* }" token)
# bound TLS MODE: status line of an enrollment by est_bound.py; the body in $T/b
bound() {
	python3 "$(dirname "$0")/est_bound.py" 127.0.0.1 "$EST_PORT" "$I_STATE/trust.pem" CS-14 \
		"$TOK" "$1" "$2" "$T" >"$T/b" 2>&1
	head -n 1 "$T/b" | cut -d' ' -f2
}
for tls in 1.2 1.3; do
	expect_eq "TLS $tls: no binding in the CSR" "$(bound $tls none)" 400
	expect_contains "TLS $tls: no binding: reason" "$(cat "$T/b")" "csr.challengePassword: must carry the TLS channel binding"
	expect_eq "TLS $tls: a binding of another channel" "$(bound $tls wrong)" 400
	expect_contains "TLS $tls: another channel: reason" "$(cat "$T/b")" "does not match the TLS channel binding"
	expect_eq "TLS $tls: the connection's binding" "$(bound $tls right)" 200
done
expect_eq "both bound enrollments issued" "$(psql -tAc "SELECT count(*) FROM identities WHERE device_id = '$DEV_14'")" 2
# the same with our own client, midpki est enroll --channel-binding
r=$(api "$KEY" POST "/devices/$DEV_14/enrollment-tokens" "{\"profile\":\"$BOUND\",\"uses\":3}")
TOK=$(field "${r#* }" token)
for tls in --tls1.2 ""; do
	MIDPKI_EST_TOKEN=$TOK "$MIDPKI_BIN" est enroll --server "https://127.0.0.1:$EST_PORT" \
		--trust "$I_STATE/trust.pem" --serial CS-14 --channel-binding $tls \
		--out-key "$T/cb.key" --out-cert "$T/cb.pem" 2>"$T/err" ||
		fail "midpki est enroll --channel-binding $tls: $(cat "$T/err")"
	ok "midpki est enroll --channel-binding ${tls:-(TLS 1.3)}"
done
MIDPKI_EST_TOKEN=$TOK "$MIDPKI_BIN" est enroll --server "https://127.0.0.1:$EST_PORT" \
	--trust "$I_STATE/trust.pem" --serial CS-14 --out-key "$T/cb.key" --out-cert "$T/cb.pem" 2>"$T/err"
expect_eq "midpki est enroll without --channel-binding: exit code" "$?" 3
expect_contains "without --channel-binding: the server's reason" "$(cat "$T/err")" "csr.challengePassword"
csr dev14 "/CN=CS-14"
r=$(api "$KEY" POST /certificates "$(python3 -c 'import json,sys
print(json.dumps({"device": sys.argv[1], "profile": "bound", "csr_pem": open(sys.argv[2]).read()}))' "$DEV_14" <(openssl req -in "$T/dev14.der" -inform DER))")
expect_api "the admin API has no channel to bind to" "$r" 422 refused_by_policy csr.challengePassword

# --- /serverkeygen: the key made by the server, returned with the certificate
DEV_16=$(device_in "$ACME" CS-16)
TOK=$(token "$DEV_16" 1)
csr dev16 "/CN=CS-16"
expect_eq "serverkeygen without credentials" "$(est_req serverkeygen -H 'Content-Type: application/pkcs10' --data-binary "@$T/dev16.b64")" 401
expect_eq "serverkeygen" "$(est_req serverkeygen -u "CS-16:$TOK" -H 'Content-Type: application/pkcs10' --data-binary "@$T/dev16.b64")" 200
expect_contains "serverkeygen: multipart" "$(header Content-Type)" "multipart/mixed; boundary=est-"
python3 -c 'import email, sys
ct = sys.argv[1]
msg = email.message_from_bytes(b"Content-Type: " + ct.encode() + b"\r\n\r\n" + open(sys.argv[2], "rb").read())
for part in msg.get_payload():
    name = {"application/pkcs8": "skg.key.der", "application/pkcs7-mime": "skg.p7.der"}[part.get_content_type()]
    open(sys.argv[3] + "/" + name, "wb").write(part.get_payload(decode=True))' \
	"$(header Content-Type)" "$T/b" "$T" || fail "serverkeygen: the answer does not parse"
openssl pkey -inform DER -in "$T/skg.key.der" -out "$T/skg.key" || fail "serverkeygen: the key is not PKCS#8"
openssl pkcs7 -inform DER -in "$T/skg.p7.der" -print_certs -out "$T/skg.pem" || fail "serverkeygen: no certificate"
expect_eq "serverkeygen: the certificate is for the key sent" "$(openssl x509 -in "$T/skg.pem" -noout -pubkey)" \
	"$(openssl pkey -in "$T/skg.key" -pubout)"
[ "$(openssl x509 -in "$T/skg.pem" -noout -pubkey)" = "$(openssl pkey -in "$T/dev16.key" -pubout)" ] &&
	fail "serverkeygen certified the CSR's key"
ok "serverkeygen: not the CSR's key"
expect_contains "serverkeygen: P-256" "$(openssl pkey -in "$T/skg.key" -noout -text)" "prime256v1"
expect_eq "serverkeygen: subject from the device record" \
	"$(openssl x509 -in "$T/skg.pem" -noout -subject -nameopt RFC2253)" "subject=serialNumber=CS-16,CN=CS-16"
TOK=$(gated_token "$DEV_16")
expect_eq "serverkeygen under a profile that needs approval" "$(est_req serverkeygen -u "CS-16:$TOK" -H 'Content-Type: application/pkcs10' --data-binary "@$T/dev16.b64")" 400
expect_contains "serverkeygen with approval: reason" "$(cat "$T/b")" "needs approval"

# --- every base64 style of RFC 8951, with and without Content-Transfer-Encoding, TLS 1.2 and 1.3
TOK=$(token "$DEV_2" 6)
csr dev2 "/CN=CS-2"
n=0
for style in "0 LF" "64 LF" "64 CRLF" "76 LF" "76 CRLF" "1 CRLF"; do
	set -- $style
	python3 -c 'import base64,sys
b = base64.b64encode(open(sys.argv[1], "rb").read()).decode()
w, eol = int(sys.argv[2]), "\r\n" if sys.argv[3] == "CRLF" else "\n"
print(eol.join(b[i:i + w] for i in range(0, len(b), w)) if w else b, end=eol)' \
		"$T/dev2.der" "$1" "$2" >"$T/style.b64"
	n=$((n + 1))
	if [ $((n % 2)) -eq 0 ]; then args=(--tlsv1.2 --tls-max 1.2 -H 'Content-Transfer-Encoding: base64'); else args=(--tlsv1.3); fi
	expect_eq "wrapped at $1 with $2 (${args[0]})" "$(enroll "CS-2:$TOK" "$T/style.b64" "${args[@]}")" 200
done

# --- a device that is not active
TOK=$(token "$DEV_4" 1)
r=$(api "$KEY" PATCH "/devices/$DEV_4" '{"status":"suspended"}')
expect_api "suspend CS-4" "$r" 200
csr dev4 "/CN=CS-4"
expect_eq "suspended device" "$(enroll "CS-4:$TOK" "$T/dev4.b64")" 403
expect_contains "suspended device: reason" "$(cat "$T/b")" "not active"
# an expired token
TOK=$(token "$DEV_4" 1)
psql -tAc "UPDATE enrollment_tokens SET expires_at = now() - interval '1 s' WHERE id = '$(token_id "$TOK")'" >/dev/null
expect_eq "expired token" "$(enroll "CS-4:$TOK" "$T/dev4.b64")" 401
expect_contains "expired token: reason" "$(cat "$T/b")" "expired"

# --- 50 concurrent enrollments with a one-use token: exactly one certificate
TOK=$(token "$DEV_3" 1)
csr dev3 "/CN=CS-3"
PIDS=""
for i in $(seq 1 50); do
	curl -sS --cacert "$I_STATE/trust.pem" -o /dev/null -w '%{http_code}\n' -u "CS-3:$TOK" \
		-H 'Content-Type: application/pkcs10' --data-binary "@$T/dev3.b64" \
		"$EST/simpleenroll" >"$T/c$i.code" 2>&1 &
	PIDS="$PIDS $!"
done
wait $PIDS
expect_eq "50 concurrent: statuses" "$(cat "$T"/c*.code | sort | uniq -c | awk '{ print $2 "x" $1 }' | paste -sd' ' -)" "200x1 401x49"
expect_eq "50 concurrent: one certificate" \
	"$(psql -tAc "SELECT count(*) FROM identities WHERE device_id = '$DEV_3'")" 1
stop_instance

# --- strongSwan's pki --est as an independent client; it reads only unbroken base64
start_instance MIDPKI_EST_BASE64_LINE=0
expect_eq "cacerts with [est] base64_line 0" "$(est_req cacerts)" 200
expect_eq "cacerts: one unbroken line" "$(wc -l <"$T/b") $(base64 -d "$T/b" | openssl pkcs7 -inform DER -print_certs | grep -c BEGIN)" "0 2"
DEV_24=$(device_in "$ACME" CS-24)
csr dev24 "/CN=CS-24"
pki --est --url "https://127.0.0.1:$EST_PORT" --cacert "$I_STATE/trust.pem" --in "$T/dev24.der" \
	--userpass "CS-24:$(token "$DEV_24" 1)" --outform pem >"$T/dev24.pem" 2>"$T/pki.err" ||
	fail "pki --est enroll: $(tail -n 20 "$T/pki.err")"
expect_eq "pki --est: the certificate for its key" "$(openssl x509 -in "$T/dev24.pem" -noout -pubkey)" \
	"$(openssl pkey -in "$T/dev24.key" -pubout)"
expect_eq "pki --est: subject from the device record" \
	"$(openssl x509 -in "$T/dev24.pem" -noout -subject -nameopt RFC2253)" "subject=serialNumber=CS-24,CN=CS-24"
stop_instance
