#!/bin/bash
# Admin API certificates with the real server and openssl: every built-in
# profile issues a certificate that openssl verifies against the default
# hierarchy, with exactly the profile's extensions; profile violations are
# refused with the exact status, code and field; revoke / suspend / resume,
# a second revocation, two concurrent revocations; lists and filters; the
# approval flow; tenant isolation.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance certs
start_instance
ADMIN_KEY=$(cat "$I_STATE/admin.key")

r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"globex"}'); GLOBEX=$(field "${r#* }" id)
OLGA=$(user_key "$ACME" olga operator)
OSCAR=$(user_key "$ACME" oscar operator)
AUDREY=$(user_key "$ACME" audrey auditor)
ALICE=$(user_key "$ACME" alice tenant-admin)
GUS=$(user_key "$GLOBEX" gus tenant-admin)
r=$(api "$OLGA" POST /devices '{"serial":"SN-0001","model":"EVC-22"}')
expect_api "register device" "$r" 201
DEV=$(field "${r#* }" id)
r=$(api "$GUS" POST /devices '{"serial":"G-1"}'); GDEV=$(field "${r#* }" id)

# the default hierarchy: trust.pem is the root
cp "$I_STATE/trust.pem" "$T/root.pem"
expect_eq "trust.pem is a self-signed root" \
	"$(openssl x509 -in "$T/root.pem" -noout -subject -nameopt RFC2253)" "subject=CN=MIDPKI Root CA,O=MIDPKI"

# csr NAME SUBJECT [openssl req args...]: $T/NAME.csr (and .key), EC P-256 unless told
csr() {
	local name=$1 subj=$2; shift 2
	local key=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
	[ $# -gt 0 ] && [ "$1" = --key ] && { key=($2); shift 2; }
	openssl req -new "${key[@]}" -nodes -keyout "$T/$name.key" -out "$T/$name.csr" \
		-subj "$subj" "$@" 2>/dev/null || fail "csr $name"
}
# issue_body DEVICE PROFILE CSR-FILE [EXTRA-JSON]: the body of POST /certificates
issue_body() {
	python3 -c 'import json,sys
b={"device":sys.argv[1],"profile":sys.argv[2],"csr_pem":open(sys.argv[3]).read()}
b.update(json.loads(sys.argv[4]))
print(json.dumps(b))' "$1" "$2" "$3" "${4-{\}}"
}
# extensions PEM-FILE: the names of the certificate's extensions, sorted, comma-separated
extensions() {
	openssl x509 -in "$1" -noout -text | python3 -c 'import sys
names, inside = [], False
for line in sys.stdin:
    indent = len(line) - len(line.lstrip(" "))
    if line.strip() == "X509v3 extensions:":
        inside = True
    elif inside and indent < 12:
        break
    elif inside and indent == 12:
        names.append(line.strip().split(":")[0])
print(",".join(sorted(names)))'
}
# ext_value PEM-FILE NAME: the text of one extension
ext_value() {
	openssl x509 -in "$1" -noout -text | awk -v n="$2" '
		index($0, "            " n ":") == 1 { on = 1; next }
		on && /^                / { sub(/^ +/, ""); print; next }
		{ on = 0 }'
}

# each built-in profile issues a certificate that openssl accepts, with exactly its extensions
COMMON="Authority Information Access,X509v3 Authority Key Identifier,X509v3 Basic Constraints,X509v3 Extended Key Usage,X509v3 Key Usage,X509v3 Subject Key Identifier"
WITH_CRL="X509v3 CRL Distribution Points,X509v3 Freshest CRL"
declare -A SUBJ=([iec62351-device]="/CN=SN-0001" [tls-server]="/CN=gw.acme.example"
	[tls-client]="/O=Acme/CN=client-1" [ocsp-signer]="/O=Acme/CN=Acme OCSP"
	[pre-enrollment]="/CN=SN-0001" [short-lived-device]="/CN=SN-0001")
declare -A EXTS=(
	[iec62351-device]="$COMMON,$WITH_CRL,X509v3 Subject Alternative Name"
	[tls-server]="$COMMON,$WITH_CRL,X509v3 Subject Alternative Name"
	[tls-client]="$COMMON,$WITH_CRL"
	[ocsp-signer]="$COMMON,OCSP No Check"
	[pre-enrollment]="$COMMON,$WITH_CRL,X509v3 Subject Alternative Name"
	[short-lived-device]="$COMMON,X509v3 No Revocation Available,X509v3 Subject Alternative Name")
declare -A EKU=([iec62351-device]="TLS Web Server Authentication, TLS Web Client Authentication"
	[tls-server]="TLS Web Server Authentication" [tls-client]="TLS Web Client Authentication"
	[ocsp-signer]="OCSP Signing" [pre-enrollment]="TLS Web Client Authentication"
	[short-lived-device]="TLS Web Server Authentication, TLS Web Client Authentication")
sorted() { echo "$1" | tr , '\n' | sort | paste -sd, -; }
for p in iec62351-device tls-server tls-client ocsp-signer pre-enrollment short-lived-device; do
	extra=()
	[ "$p" = tls-server ] && extra=(-addext "subjectAltName=DNS:gw.acme.example")
	csr "$p" "${SUBJ[$p]}" "${extra[@]}"
	r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" "$p" "$T/$p.csr")")
	expect_api "issue under $p ($r)" "$r" 201
	b=${r#* }
	jget "$b" 'd["certificate_pem"]' >"$T/$p.pem"
	jget "$b" 'd["chain_pem"]' >"$T/$p.chain.pem"
	expect_eq "$p: chain is the devices CA" \
		"$(openssl x509 -in "$T/$p.chain.pem" -noout -subject -nameopt RFC2253)" \
		"subject=CN=MIDPKI Devices CA,O=MIDPKI"
	expect_eq "$p: openssl verify" \
		"$(openssl verify -CAfile "$T/root.pem" -untrusted "$T/$p.chain.pem" "$T/$p.pem" 2>&1)" \
		"$T/$p.pem: OK"
	expect_eq "$p: extensions" "$(extensions "$T/$p.pem")" "$(sorted "${EXTS[$p]}")"
	expect_eq "$p: extended key usage" "$(ext_value "$T/$p.pem" "X509v3 Extended Key Usage")" \
		"${EKU[$p]}"
	expect_eq "$p: basic constraints" "$(ext_value "$T/$p.pem" "X509v3 Basic Constraints")" \
		"CA:FALSE"
	expect_eq "$p: serial" "$(jget "$b" 'd["serial"]')" \
		"$(openssl x509 -in "$T/$p.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)"
	expect_eq "$p: status" "$(jget "$b" 'd["status"]')" active
	expect_eq "$p: device" "$(jget "$b" 'd["device_id"]')" "$DEV"
	expect_eq "$p: tenant" "$(jget "$b" 'd["tenant"]')" "$ACME"
	expect_eq "$p: not_after" "$(jget "$b" 'd["not_after"]')" \
		"$(date -u -d "$(openssl x509 -in "$T/$p.pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)"
	[ "$(openssl x509 -in "$T/$p.pem" -noout -serial | cut -d= -f2 | wc -c)" -ge 33 ] ||
		fail "$p: serial shorter than 128 bits"
	eval "ID_${p//-/_}=$(jget "$b" 'd["id"]')"
done
expect_eq "device certificate subject" \
	"$(openssl x509 -in "$T/iec62351-device.pem" -noout -subject -nameopt RFC2253)" \
	"subject=serialNumber=SN-0001,CN=SN-0001"
expect_eq "device certificate SAN" \
	"$(ext_value "$T/iec62351-device.pem" "X509v3 Subject Alternative Name")" "URI:urn:uuid:$DEV"
expect_eq "tls-server SAN" "$(ext_value "$T/tls-server.pem" "X509v3 Subject Alternative Name")" \
	"DNS:gw.acme.example"
expect_contains "CRL distribution point" "$(ext_value "$T/iec62351-device.pem" "X509v3 CRL Distribution Points")" \
	"/crl/"
expect_contains "OCSP URL" "$(ext_value "$T/iec62351-device.pem" "Authority Information Access")" \
	"OCSP - URI:http"
ID=$ID_iec62351_device

# violations: exact status, code and field
csr long "/CN=SN-0001"
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" iec62351-device "$T/long.csr" '{"validity":"900d"}')")
expect_api "validity beyond the profile's maximum" "$r" 422 refused_by_policy validity
csr ed "/CN=SN-0001" --key "-newkey ed25519"
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" iec62351-device "$T/ed.csr")")
expect_api "Ed25519 key under a profile without it" "$r" 422 refused_by_policy csr.key
csr p521 "/CN=SN-0001" --key "-newkey ec -pkeyopt ec_paramgen_curve:P-521"
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" iec62351-device "$T/p521.csr")")
expect_api "EC P-521 key" "$r" 422 refused_by_policy csr.key
csr rsa1024 "/CN=SN-0001" --key "-newkey rsa:1024"
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" iec62351-device "$T/rsa1024.csr")")
expect_api "RSA 1024" "$r" 422 refused_by_policy csr.key
csr rsa2048 "/CN=SN-0001" --key "-newkey rsa:2048"
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" iec62351-device "$T/rsa2048.csr")")
expect_api "RSA 2048 is accepted" "$r" 201
csr ipsan "/O=Acme/CN=client-2" -addext "subjectAltName=IP:10.0.0.1"
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" tls-client "$T/ipsan.csr")")
expect_api "SAN type the profile does not allow" "$r" 422 refused_by_policy "csr.san[0]"
csr dnssan "/CN=SN-0001" -addext "subjectAltName=DNS:evil.example"
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" iec62351-device "$T/dnssan.csr")")
expect_api "SAN not allowed by the device profile" "$r" 422 refused_by_policy "csr.san[0]"
csr catrue "/CN=gw2.acme.example" -addext "basicConstraints=critical,CA:TRUE"
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" tls-server "$T/catrue.csr")")
expect_api "CA:TRUE asked" "$r" 422 refused_by_policy csr.extensions.basicConstraints
csr ou "/OU=Ops/CN=SN-0001"
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" iec62351-device "$T/ou.csr")")
expect_api "subject attribute the profile does not allow" "$r" 422 refused_by_policy csr.subject.OU
r=$(api "$OLGA" POST /certificates "{\"device\":\"$DEV\",\"profile\":\"tls-client\",\"csr_pem\":\"-----BEGIN CERTIFICATE REQUEST-----\\nAAAA\\n-----END CERTIFICATE REQUEST-----\\n\"}")
expect_api "a CSR that does not parse" "$r" 400 invalid csr
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" no-such-profile "$T/long.csr")")
expect_api "unknown profile" "$r" 404 not_found profile
r=$(api "$OLGA" POST /certificates "$(issue_body "$GDEV" tls-client "$T/tls-client.csr")")
expect_api "another tenant's device" "$r" 404 not_found device
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" tls-client "$T/tls-client.csr" '{"validity":"forever"}')")
expect_api "validity that is no duration" "$r" 400 out_of_range validity
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" tls-client "$T/tls-client.csr" '{"colour":"red"}')")
expect_api "unknown member" "$r" 400 unknown_field colour
r=$(api "$AUDREY" POST /certificates "$(issue_body "$DEV" tls-client "$T/tls-client.csr")")
expect_api "auditors do not issue" "$r" 403 forbidden

# reading
r=$(api "$AUDREY" GET "/certificates/$ID")
expect_api "show certificate (auditor)" "$r" 200
b=${r#* }
expect_eq "show: PEM" "$(jget "$b" 'd["certificate_pem"]')" "$(cat "$T/iec62351-device.pem")"
expect_eq "show: profile" "$(jget "$b" 'd["profile"]')" iec62351-device
r=$(api "$GUS" GET "/certificates/$ID")
expect_api "another tenant's certificate" "$r" 404 not_found
r=$(api "$GUS" POST "/certificates/$ID/revoke" '{"reason":"keyCompromise"}')
expect_api "another tenant's certificate: revoke" "$r" 404 not_found
r=$(api "$OLGA" GET "/certificates?device=$DEV&limit=1000")
expect_api "list by device" "$r" 200
expect_eq "list by device: count" "$(jget "${r#* }" 'len(d["items"])')" 7
expect_eq "list items carry no PEM" "$(jget "${r#* }" 'any("certificate_pem" in i for i in d["items"])')" false
r=$(api "$OLGA" GET "/certificates?serial=$(openssl x509 -in "$T/tls-server.pem" -noout -serial | cut -d= -f2)")
expect_eq "list by serial" "$(jget "${r#* }" '[i["profile"] for i in d["items"]]')" '["tls-server"]'
r=$(api "$OLGA" GET "/certificates?expiring_within=2d")
expect_eq "expiring within 2 days: the short-lived one" \
	"$(jget "${r#* }" '[i["profile"] for i in d["items"]]')" '["short-lived-device"]'
r=$(api "$OLGA" GET "/certificates?expiring_within=31d")
expect_eq "expiring within 31 days" \
	"$(jget "${r#* }" 'sorted(i["profile"] for i in d["items"])')" '["ocsp-signer", "pre-enrollment", "short-lived-device"]'
r=$(api "$OLGA" GET "/certificates?expiring_before=2000-01-01T00:00:00Z")
expect_eq "expiring before 2000" "$(jget "${r#* }" 'len(d["items"])')" 0
r=$(api "$OLGA" GET "/certificates?expiring_before=2000-01-01T00:00:00Z&expiring_within=1d")
expect_api "expiring_before with expiring_within" "$r" 400 invalid_value expiring_within
r=$(api "$OLGA" GET "/certificates?expiring_before=yesterday")
expect_api "expiring_before that is no time" "$r" 400 invalid_value expiring_before
r=$(api "$OLGA" GET "/certificates?status=lost")
expect_api "unknown status filter" "$r" 400 invalid_value status
r=$(api "$OLGA" GET "/certificates?device=nope")
expect_api "device filter that is no UUID" "$r" 400 invalid_uuid device
r=$(api "$OLGA" GET "/certificates?serial=xyz")
expect_api "serial filter that is no hex" "$r" 400 invalid_value serial
r=$(api "$GUS" GET "/certificates")
expect_eq "another tenant lists none of ours" "$(jget "${r#* }" 'len(d["items"])')" 0
r=$(api "$OLGA" GET "/certificates?limit=2")
expect_eq "paging: first page" "$(jget "${r#* }" 'len(d["items"])')" 2
CUR=$(jget "${r#* }" 'd["next_cursor"]')
r=$(api "$OLGA" GET "/certificates?limit=1000&cursor=$CUR")
expect_eq "paging: the rest" "$(jget "${r#* }" 'len(d["items"])')" 5

# suspend, resume, revoke
CERT=$ID_tls_client
r=$(api "$OLGA" POST "/certificates/$CERT/suspend" '{}')
expect_api "suspend" "$r" 200
expect_eq "suspended: status" "$(jget "${r#* }" 'd["status"]')" suspended
expect_eq "suspended: reason" "$(jget "${r#* }" 'd["reason"]')" certificateHold
r=$(api "$OLGA" POST "/certificates/$CERT/suspend" '{}')
expect_api "suspend a held certificate" "$r" 409 conflict status
r=$(api "$OLGA" GET "/certificates?status=suspended")
expect_eq "list suspended" "$(jget "${r#* }" '[i["id"] for i in d["items"]]')" "[\"$CERT\"]"
r=$(api "$OSCAR" POST "/certificates/$CERT/resume" '{}')
expect_api "resume" "$r" 200
expect_eq "resumed: status" "$(jget "${r#* }" 'd["status"]')" active
expect_eq "resumed: no reason" "$(jget "${r#* }" 'd["reason"]')" null
r=$(api "$OLGA" POST "/certificates/$CERT/resume" '{}')
expect_api "resume an active certificate" "$r" 409 conflict status
r=$(api "$OLGA" POST "/certificates/$CERT/revoke" '{"reason":"certificateHold"}')
expect_api "revoke with certificateHold" "$r" 400 invalid_value reason
r=$(api "$OLGA" POST "/certificates/$CERT/revoke" '{"reason":"stolen"}')
expect_api "revoke with an unknown reason" "$r" 400 invalid_value reason
r=$(api "$OLGA" POST "/certificates/$CERT/revoke" '{}')
expect_api "revoke without reason" "$r" 400 missing_field reason
r=$(api "$OLGA" POST "/certificates/$CERT/revoke" '{"reason":"keyCompromise","invalidity_date":"2999-01-01T00:00:00Z"}')
expect_api "invalidity date in the future" "$r" 400 out_of_range invalidity_date
r=$(api "$AUDREY" POST "/certificates/$CERT/revoke" '{"reason":"keyCompromise"}')
expect_api "auditors do not revoke" "$r" 403 forbidden
r=$(api "$OLGA" POST "/certificates/$CERT/revoke" '{"reason":"keyCompromise","invalidity_date":"2024-05-01T10:00:00Z"}')
expect_api "revoke" "$r" 200
expect_eq "revoked: status" "$(jget "${r#* }" 'd["status"]')" revoked
expect_eq "revoked: reason" "$(jget "${r#* }" 'd["reason"]')" keyCompromise
expect_eq "revoked: invalidity date" "$(jget "${r#* }" 'd["invalidity_date"][:19]')" 2024-05-01T10:00:00
r=$(api "$OLGA" POST "/certificates/$CERT/revoke" '{"reason":"superseded"}')
expect_api "second revocation" "$r" 409 conflict status
r=$(api "$OLGA" POST "/certificates/$CERT/resume" '{}')
expect_api "resume a revoked certificate" "$r" 409 conflict status
r=$(api "$OLGA" GET "/certificates/$CERT")
expect_eq "still revoked for keyCompromise" "$(jget "${r#* }" 'd["status"] + " " + d["reason"]')" "revoked keyCompromise"
# a held certificate may be revoked
r=$(api "$OLGA" POST "/certificates/$ID_pre_enrollment/suspend" '{}')
expect_api "suspend before revoking" "$r" 200
r=$(api "$OLGA" POST "/certificates/$ID_pre_enrollment/revoke" '{"reason":"cessationOfOperation"}')
expect_api "revoke a held certificate" "$r" 200
expect_eq "held then revoked" "$(jget "${r#* }" 'd["status"] + " " + d["reason"]')" "revoked cessationOfOperation"
audits() { psql -tAc "SELECT count(*) FROM audit WHERE action = '$1' AND object_id = '$2'"; }
expect_eq "audit: one suspend" "$(audits certificate.suspend "$CERT")" 1
expect_eq "audit: one resume" "$(audits certificate.resume "$CERT")" 1
expect_eq "audit: one revoke" "$(audits certificate.revoke "$CERT")" 1

# two concurrent revocations of one certificate: one wins, one sees it revoked
CERT=$ID_tls_server
PIDS=""
for i in 1 2; do
	admin_curl "$API/certificates/$CERT/revoke" -X POST -o "$T/rev$i.json" -w '%{http_code}' \
		-H "Authorization: Bearer $OLGA" -H 'Content-Type: application/json' \
		--data-binary "{\"reason\":\"$([ $i = 1 ] && echo superseded || echo keyCompromise)\"}" >"$T/rev$i.code" &
	PIDS="$PIDS $!"
done
wait $PIDS
expect_eq "concurrent revocations: statuses" "$(sort "$T/rev1.code" "$T/rev2.code" | paste -sd' ' -)" "200 409"
WIN=$(python3 -c 'import json,sys
for i in (1, 2):
    if open(sys.argv[1] + "/rev%d.code" % i).read() == "200":
        print(json.load(open(sys.argv[1] + "/rev%d.json" % i))["reason"])' "$T")
r=$(api "$OLGA" GET "/certificates/$CERT")
expect_eq "concurrent revocations: the winner's reason is kept" \
	"$(jget "${r#* }" 'd["status"] + " " + d["reason"]')" "revoked $WIN"
expect_eq "concurrent revocations: one audit entry" "$(audits certificate.revoke "$CERT")" 1
expect_eq "concurrent revocations: one row" \
	"$(psql -tAc "SELECT count(*) FROM certificates WHERE id = '$CERT' AND reason = '$WIN'")" 1

# approval: 202 with a pending request, the requester cannot approve, another operator can
r=$(api "$ALICE" GET "/profiles?kind=x509&limit=1000")
BODY=$(jget "${r#* }" 'json.dumps([p["body"] for p in d["items"] if p["name"] == "iec62351-device"][0])')
r=$(api "$ALICE" POST /profiles "{\"name\":\"gated\",\"body\":$BODY,\"approval_required\":true}")
expect_api "profile with approval" "$r" 201
csr gated "/CN=SN-0001"
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" gated "$T/gated.csr")")
expect_api "issue under an approval profile" "$r" 202
REQ=$(jget "${r#* }" 'd["request"]["id"]')
expect_eq "pending request" "$(jget "${r#* }" 'd["request"]["status"]')" pending
r=$(api "$AUDREY" GET "/requests?status=pending")
expect_eq "auditor lists the pending request" "$(jget "${r#* }" '[i["id"] for i in d["items"]]')" "[\"$REQ\"]"
r=$(api "$OLGA" POST "/requests/$REQ/approve" '{}')
expect_api "the requester approves" "$r" 403 forbidden
r=$(api "$GUS" POST "/requests/$REQ/approve" '{}')
expect_api "another tenant approves" "$r" 404 not_found
r=$(api "$OSCAR" POST "/requests/$REQ/approve" '{}')
expect_api "another operator approves" "$r" 201
jget "${r#* }" 'd["certificate_pem"]' >"$T/gated.pem"
jget "${r#* }" 'd["chain_pem"]' >"$T/gated.chain.pem"
expect_eq "approved certificate verifies" \
	"$(openssl verify -CAfile "$T/root.pem" -untrusted "$T/gated.chain.pem" "$T/gated.pem" 2>&1)" \
	"$T/gated.pem: OK"
r=$(api "$OSCAR" POST "/requests/$REQ/approve" '{}')
expect_api "approve twice" "$r" 409 conflict
r=$(api "$OLGA" GET "/requests/$REQ")
expect_eq "approved request" "$(jget "${r#* }" 'd["status"]')" approved
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" gated "$T/gated.csr")")
REQ2=$(jget "${r#* }" 'd["request"]["id"]')
r=$(api "$OLGA" POST "/requests/$REQ2/reject" '{}')
expect_api "the requester rejects" "$r" 403 forbidden
r=$(api "$OSCAR" POST "/requests/$REQ2/reject" '{}')
expect_api "another operator rejects" "$r" 200
expect_eq "rejected request" "$(jget "${r#* }" 'd["status"]')" rejected
r=$(api "$OSCAR" POST "/requests/$REQ2/approve" '{}')
expect_api "approve a rejected request" "$r" 409 conflict
r=$(api "$OLGA" GET "/requests?status=maybe")
expect_api "unknown request status filter" "$r" 400 invalid_value status

# the profile is now in use: it cannot be deleted
r=$(api "$ALICE" DELETE "/profiles/$(jget "$(api "$ALICE" GET "/profiles?limit=1000" | cut -d' ' -f2-)" '[p["id"] for p in d["items"] if p["name"] == "gated"][0]')")
expect_api "delete a profile in use" "$r" 409 conflict

# a suspended device cannot get a certificate
r=$(api "$OLGA" PATCH "/devices/$DEV" '{"status":"suspended"}')
expect_api "suspend the device" "$r" 200
r=$(api "$OLGA" POST /certificates "$(issue_body "$DEV" tls-client "$T/tls-client.csr")")
expect_api "issue for a suspended device" "$r" 409 conflict device
stop_instance
