#!/bin/bash
# SSH CA end to end with real OpenSSH: user certificates from the admin API
# (a technician for itself, an operator for a technician; principals from the
# user's sites), the tenant's user CA made on first use and published at
# /ssh/cas/{id}/public-key, and a throwaway sshd on a loopback high port
# trusting it (TrustedUserCAKeys, AuthorizedPrincipalsFile of a station at
# site-a, RevokedKeys from the CA's KRL, a host certificate for the station's
# device record) with ssh as the client: the right site logs in and the key id
# is in sshd's log, another site, an expired certificate, a revoked one and a
# wrong source address are refused, force-command is enforced; the client
# trusts the station through @cert-authority with strict host key checking,
# and not under another name. Then refusals, roles, reads, audit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"
. "$(dirname "$0")/ssh_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance ssh
start_instance
ADMIN_KEY=$(cat "$I_STATE/admin.key")

r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"globex"}'); GLOBEX=$(field "${r#* }" id)
ALICE=$(user_key "$ACME" alice tenant-admin)
OLGA=$(user_key "$ACME" olga operator)
GUS=$(user_key "$GLOBEX" gus operator)

# tech NAME SITES-JSON: a technician of acme with those sites; sets TECH_ID and TECH_KEY
tech() {
	local r
	r=$(api "$ALICE" POST /users "{\"name\":\"$1\",\"roles\":[\"technician\"],\"attributes\":{\"sites\":$2}}")
	expect_api "create technician $1" "$r" 201 >/dev/null
	TECH_ID=$(field "${r#* }" id)
	r=$(api "$ALICE" POST "/users/$TECH_ID/api-keys" '{}')
	TECH_KEY=$(field "${r#* }" key)
}
tech tara '["site-a", "site-c"]'; TARA=$TECH_KEY; TARA_ID=$TECH_ID
tech ben '["site-b"]'; BEN=$TECH_KEY; BEN_ID=$TECH_ID

mkdir -p "$T/keys"
for k in tara ben; do ssh-keygen -q -t ed25519 -N '' -C "$k@laptop" -f "$T/keys/$k"; done
ssh-keygen -q -t ecdsa -b 256 -N '' -f "$T/keys/tara-ec"
ssh-keygen -q -t rsa -b 2048 -N '' -f "$T/keys/weak"
pub() { python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read().strip()))' "$T/keys/$1.pub"; }

# issue KEY WHO BODY-EXTRA: POST /ssh/user-certificates with WHO's public key
issue() { api "$1" POST /ssh/user-certificates "{\"public_key\":$(pub "$2")${3:+,$3}}"; }
# save NAME "STATUS BODY": writes the certificate line as $T/keys/NAME-cert.pub
save() { field "${2#* }" certificate >"$T/keys/$1-cert.pub"; }

r=$(issue "$TARA" tara)
expect_api "a technician's certificate for itself" "$r" 201
save tara "$r"
expect_eq "principals from the user's sites and name" "$(jget "${r#* }" 'd["principals"]')" \
	'["tech:site-a", "tech:site-c", "user:tara"]'
expect_eq "owner" "$(field "${r#* }" user_id)" "$TARA_ID"
expect_eq "tenant" "$(field "${r#* }" tenant)" "$ACME"
expect_eq "valid 8 hours (5 minutes backdated)" "$(jget "${r#* }" \
	'int((__import__("datetime").datetime.fromisoformat(d["valid_before"].replace("Z","+00:00")) - __import__("datetime").datetime.fromisoformat(d["valid_after"].replace("Z","+00:00"))).total_seconds())')" 29100
TARA_CERT=$(field "${r#* }" id)
TARA_SERIAL=$(field "${r#* }" serial)
CA_ID=$(field "${r#* }" ca_id)
listing=$(ssh-keygen -L -f "$T/keys/tara-cert.pub") || fail "ssh-keygen -L refused the certificate"
expect_contains "ssh-keygen: key id" "$listing" "Key ID: \"user=tara tenant=acme serial=$TARA_SERIAL id=$TARA_CERT profile=ssh-technician\""
expect_contains "ssh-keygen: extension" "$listing" "permit-pty"

r=$(api "$OLGA" GET /ssh/cas)
expect_api "list SSH CAs" "$r" 200
expect_eq "the user CA made on first use" "$(jget "${r#* }" '[(c["name"], c["kind"], c["keys"][0]["algorithm"]) for c in d["items"]]')" \
	'[["user", "user", "ed25519"]]'
code=$(admin_curl "$API/ssh/cas/$CA_ID/public-key" -H "Authorization: Bearer $TARA" -o "$T/user_ca.pub" -w '%{http_code}')
expect_eq "public key (technician)" "$code" 200
expect_contains "TrustedUserCAKeys line" "$(cat "$T/user_ca.pub")" "ssh-ed25519 AAAA"
expect_contains "TrustedUserCAKeys comment" "$(cat "$T/user_ca.pub")" " midpki:acme/user"

# krl FILE: the user CA's KRL as the API serves it (to a technician)
krl() {
	local code
	code=$(admin_curl "$API/ssh/cas/$CA_ID/krl" -H "Authorization: Bearer $TARA" -o "$1.new" -w '%{http_code}')
	expect_eq "KRL" "$code" 200
	mv "$1.new" "$1"
}

# a station of site-a
LOGIN=$(id -un)
SSH_PORT=$(free_port)
mkdir -p "$T/sshd"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd/host_ed25519"
r=$(api "$OLGA" POST /devices '{"serial":"CS-0001","model":"wallbox-22","attributes":{"site":"site-a"}}')
expect_api "the station's device record" "$r" 201
STATION=$(field "${r#* }" id)
r=$(api "$OLGA" POST /ssh/host-certificates "{\"device\":\"$STATION\",\"public_key\":$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read().strip()))' "$T/sshd/host_ed25519.pub")}")
expect_api "a host certificate for the station" "$r" 201
expect_eq "host principals from the device record, in lower case" "$(jget "${r#* }" 'd["principals"]')" "[\"cs-0001\", \"$STATION\"]"
field "${r#* }" certificate >"$T/sshd/host_ed25519-cert.pub"
HOST_CA=$(field "${r#* }" ca_id)
code=$(admin_curl "$API/ssh/cas/$HOST_CA/public-key" -H "Authorization: Bearer $TARA" -o "$T/known_hosts" -w '%{http_code}')
expect_eq "the host CA's @cert-authority line" "$(cut -c1-30 "$T/known_hosts")" "@cert-authority * ssh-ed25519 "
r=$(api "$TARA" POST /ssh/host-certificates "{\"device\":\"$STATION\",\"public_key\":$(pub tara)}")
expect_api "a technician does not issue host certificates" "$r" 403 forbidden
echo "tech:site-a" >"$T/sshd/principals"
krl "$T/sshd/revoked.krl"
cat >"$T/sshd/sshd_config" <<EOF
ListenAddress 127.0.0.1:$SSH_PORT
HostKey $T/sshd/host_ed25519
HostCertificate $T/sshd/host_ed25519-cert.pub
PidFile $T/sshd/sshd.pid
TrustedUserCAKeys $T/user_ca.pub
AuthorizedPrincipalsFile $T/sshd/principals
RevokedKeys $T/sshd/revoked.krl
AuthorizedKeysFile none
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
LogLevel VERBOSE
EOF
sshd_start "$T/sshd/sshd_config" "$T/sshd.log" "$SSH_PORT"

# login KEY [CERT]: runs `echo hello` on the station with the key and its certificate
login() {
	ssh -F /dev/null -p "$SSH_PORT" -i "$T/keys/$1" -o CertificateFile="$T/keys/${2:-$1}-cert.pub" \
		-o IdentitiesOnly=yes -o BatchMode=yes -o PreferredAuthentications=publickey \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o ConnectTimeout=10 "$LOGIN@127.0.0.1" 'echo hello' 2>>"$T/ssh-client.log"
}

expect_eq "tara (site-a) logs in" "$(login tara)" hello

# as_host ALIAS: logs in checking the station's host certificate for the name ALIAS
as_host() {
	ssh -F /dev/null -p "$SSH_PORT" -i "$T/keys/tara" -o CertificateFile="$T/keys/tara-cert.pub" \
		-o IdentitiesOnly=yes -o BatchMode=yes -o PreferredAuthentications=publickey \
		-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$T/known_hosts" \
		-o GlobalKnownHostsFile=/dev/null -o HostKeyAlias="$1" -o ConnectTimeout=10 \
		"$LOGIN@127.0.0.1" 'echo hello' 2>>"$T/ssh-host.log"
}
expect_eq "the station is trusted as CS-0001 through @cert-authority" "$(as_host CS-0001)" hello
as_host CS-0002 >/dev/null && fail "the station was trusted under another name"
ok "the station is not trusted as CS-0002"
expect_contains "ssh: why" "$(cat "$T/ssh-host.log")" "Certificate invalid: name is not a listed principal"
expect_contains "sshd logs the key id" "$(cat "$T/sshd.log")" "ID user=tara tenant=acme serial=$TARA_SERIAL"

r=$(issue "$BEN" ben)
expect_api "ben's certificate" "$r" 201
save ben "$r"
expect_eq "ben's principals" "$(jget "${r#* }" 'd["principals"]')" '["tech:site-b", "user:ben"]'
login ben >/dev/null && fail "ben (site-b) logged in at a site-a station"
ok "ben (site-b) refused at a site-a station"
expect_contains "sshd: why ben was refused" "$(cat "$T/sshd.log")" \
	"Certificate does not contain an authorized principal"

# an operator issues for a technician, with a subset of its principals
r=$(api "$OLGA" POST /ssh/user-certificates "{\"user\":\"$TARA_ID\",\"public_key\":$(pub tara-ec),\"principals\":[\"tech:site-a\"],\"ttl\":\"1h\"}")
expect_api "an operator issues for a technician" "$r" 201
save tara-ec "$r"
expect_eq "the subset" "$(jget "${r#* }" 'd["principals"]')" '["tech:site-a"]'
expect_eq "tara's ECDSA key logs in" "$(login tara-ec)" hello
TARA_EC=$(field "${r#* }" id)

# revocation: the KRL that sshd reads lists the certificate
r=$(api "$TARA" POST "/ssh/certificates/$TARA_EC/revoke" '{}')
expect_api "a technician does not revoke" "$r" 403 forbidden
r=$(api "$OLGA" POST "/ssh/certificates/$TARA_EC/revoke" '{}')
expect_api "an operator revokes" "$r" 200
expect_eq "revoked" "$(field "${r#* }" status)" revoked
r=$(api "$OLGA" POST "/ssh/certificates/$TARA_EC/revoke" '{}')
expect_api "revoked twice" "$r" 409 conflict
krl "$T/sshd/revoked.krl"
expect_contains "ssh-keygen -Q: revoked" \
	"$(ssh-keygen -Q -f "$T/sshd/revoked.krl" "$T/keys/tara-ec-cert.pub" 2>&1)" ": REVOKED"
expect_contains "ssh-keygen -Q: another certificate" \
	"$(ssh-keygen -Q -f "$T/sshd/revoked.krl" "$T/keys/tara-cert.pub" 2>&1)" ": ok"
login tara-ec >/dev/null && fail "a revoked certificate logged in"
ok "a revoked certificate is refused"
expect_contains "sshd: why" "$(cat "$T/sshd.log")" "revoked by file"
expect_eq "tara's other certificate still logs in" "$(login tara)" hello

# profiles of acme: a short one, a forced command, a source address
profile() { # profile NAME BODY
	local r
	r=$(api "$ALICE" POST /profiles "{\"name\":\"$1\",\"kind\":\"ssh-user\",\"body\":$2}")
	expect_api "profile $1" "$r" 201 >/dev/null
}
profile short '{"roles":["technician"],"ttl":{"max":"2s"},"backdate":"0s","principals":["tech:{site}"]}'
profile diag '{"roles":["technician"],"ttl":{"max":"1h"},"principals":["tech:{site}"],"critical_options":{"force-command":"echo forced"}}'
profile office '{"roles":["technician"],"ttl":{"max":"1h"},"principals":["tech:{site}"],"critical_options":{"source-address":"10.9.9.9/32"}}'
profile local '{"roles":["technician"],"ttl":{"max":"1h"},"principals":["tech:{site}"],"critical_options":{"source-address":"127.0.0.1/32"}}'

r=$(issue "$TARA" tara '"profile":"short"'); save short "$r"
expect_api "a 2-second certificate" "$r" 201
sleep 3
login tara short >/dev/null && fail "an expired certificate logged in"
ok "an expired certificate is refused"
expect_contains "sshd: why" "$(cat "$T/sshd.log")" "Certificate invalid: expired"
LATER=$(python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
r=$(issue "$TARA" tara "\"valid_after\":\"$LATER\"")
expect_api "a technician does not choose when its certificate starts" "$r" 403 forbidden valid_after
r=$(api "$OLGA" POST /ssh/user-certificates "{\"user\":\"$TARA_ID\",\"public_key\":$(pub tara),\"valid_after\":\"$LATER\",\"ttl\":\"1h\"}")
expect_api "an operator issues a certificate that starts in an hour" "$r" 201
save later "$r"
expect_eq "valid_after as asked" "$(field "${r#* }" valid_after)" "$LATER"
login tara later >/dev/null && fail "a certificate not yet valid logged in"
ok "a certificate not yet valid is refused"
expect_contains "sshd: why" "$(cat "$T/sshd.log")" "Certificate invalid: not yet valid"
r=$(issue "$TARA" tara '"profile":"diag"'); save diag "$r"
expect_eq "force-command is enforced" "$(login tara diag)" forced
r=$(issue "$TARA" tara '"profile":"office"'); save office "$r"
login tara office >/dev/null && fail "a certificate for 10.9.9.9/32 logged in from 127.0.0.1"
ok "source-address is enforced"
expect_contains "sshd: why" "$(cat "$T/sshd.log")" "not from a permitted source address"
r=$(issue "$TARA" tara '"profile":"local"'); save local "$r"
expect_eq "from the allowed source address" "$(login tara local)" hello

# refusals
r=$(issue "$TARA" tara '"ttl":"13h"')
expect_api "TTL above the profile" "$r" 422 refused_by_policy ttl
r=$(issue "$TARA" tara '"principals":["tech:site-b"]')
expect_api "a principal the user does not have" "$r" 422 refused_by_policy principals
r=$(issue "$TARA" weak)
expect_api "RSA below 3072 bits" "$r" 400 invalid public_key
r=$(api "$TARA" POST /ssh/user-certificates '{"public_key":"ssh-ed25519 AAAA@@@"}')
expect_api "malformed public key" "$r" 400 invalid public_key
r=$(api "$TARA" POST /ssh/user-certificates '{"public_key":"ssh-dss AAAAB3NzaC1kc3M="}')
expect_api "unsupported key type" "$r" 400 invalid public_key
r=$(issue "$TARA" tara "\"user\":\"$BEN_ID\"")
expect_api "a technician for another user" "$r" 403 forbidden user
r=$(issue "$OLGA" tara)
expect_api "an operator without the technician role for itself" "$r" 422 refused_by_policy user
r=$(issue "$GUS" tara "\"user\":\"$TARA_ID\"")
expect_api "another tenant's user" "$r" 404 not_found user
r=$(issue "$TARA" tara '"profile":"nope"')
expect_api "unknown profile" "$r" 404 not_found profile
r=$(issue "$TARA" tara '"ttl":"8x"')
expect_api "malformed ttl" "$r" 400
r=$(api "$TARA" POST /ssh/cas '{"name":"x","kind":"user"}')
expect_api "technicians do not create CAs" "$r" 403 forbidden

# CAs
r=$(api "$ALICE" POST /ssh/cas '{"name":"hosts","kind":"host","algorithm":"ec-p384"}')
expect_api "create a host CA" "$r" 201
HOSTS=$(field "${r#* }" id)
code=$(admin_curl "$API/ssh/cas/$HOSTS/public-key" -H "Authorization: Bearer $OLGA" -o "$T/hosts.pub" -w '%{http_code}')
expect_eq "host CA line" "$(cut -c1-42 "$T/hosts.pub")" "@cert-authority * ecdsa-sha2-nistp384 AAAA"
r=$(api "$ALICE" POST /ssh/cas '{"name":"hosts","kind":"host"}')
expect_api "CA name taken" "$r" 409 conflict name
r=$(api "$ALICE" POST /ssh/cas '{"name":"old","kind":"user","algorithm":"rsa-2048"}')
expect_api "RSA below 3072 for a CA" "$r" 400 invalid algorithm
r=$(api "$ALICE" POST /ssh/cas '{"name":"x","kind":"device"}')
expect_api "unknown CA kind" "$r" 400 invalid kind
r=$(api "$GUS" GET "/ssh/cas/$HOSTS")
expect_api "another tenant's CA" "$r" 404 not_found
r=$(api "$OLGA" GET "/ssh/cas/$HOSTS")
expect_api "show a CA" "$r" 200

# reads
r=$(api "$OLGA" GET "/ssh/certificates?user=$TARA_ID")
expect_api "list tara's certificates" "$r" 200
expect_eq "tara's certificates" "$(jget "${r#* }" 'len(d["items"])')" 7
r=$(api "$OLGA" GET "/ssh/certificates?user=$TARA_ID&status=expired")
expect_eq "tara's expired certificate" "$(jget "${r#* }" 'len(d["items"])')" 1
r=$(api "$OLGA" GET "/ssh/certificates?status=revoked")
expect_eq "the revoked certificate" "$(jget "${r#* }" '[c["id"] for c in d["items"]]')" "[\"$TARA_EC\"]"
r=$(api "$BEN" GET /ssh/certificates)
expect_eq "a technician sees its own" "$(jget "${r#* }" '[c["user_id"] for c in d["items"]]')" "[\"$BEN_ID\"]"
r=$(api "$BEN" GET "/ssh/certificates?user=$TARA_ID")
expect_api "a technician listing another's" "$r" 403 forbidden user
r=$(api "$BEN" GET "/ssh/certificates/$TARA_CERT")
expect_api "a technician reading another's" "$r" 404 not_found
r=$(api "$TARA" GET "/ssh/certificates/$TARA_CERT")
expect_api "a technician reading its own" "$r" 200
expect_eq "serial" "$(field "${r#* }" serial)" "$TARA_SERIAL"
r=$(api "$GUS" GET "/ssh/certificates/$TARA_CERT")
expect_api "another tenant's certificate" "$r" 404 not_found
r=$(api "$OLGA" GET "/ssh/certificates?status=valid")
expect_api "unknown status filter" "$r" 400 invalid_value status

# a suspended technician loses its certificates
r=$(api "$ALICE" PATCH "/users/$BEN_ID" '{"status":"suspended"}')
expect_api "suspend ben" "$r" 200
r=$(api "$OLGA" GET "/ssh/certificates?user=$BEN_ID")
expect_eq "ben's certificate revoked with him" "$(jget "${r#* }" '[c["status"] for c in d["items"]]')" '["revoked"]'
krl "$T/ben.krl"
expect_contains "the KRL lists it" "$(ssh-keygen -Q -f "$T/ben.krl" "$T/keys/ben-cert.pub" 2>&1)" ": REVOKED"

# audit
expect_eq "audit: ssh_certificate.issue" \
	"$(psql -tAc "SELECT count(*) FROM audit WHERE action = 'ssh_certificate.issue' AND tenant_id = '$ACME'")" 9
expect_eq "audit: ssh_ca.create" \
	"$(psql -tAc "SELECT count(*) FROM audit WHERE action = 'ssh_ca.create' AND tenant_id = '$ACME'")" 3
expect_eq "audit: ssh_certificate.revoke" \
	"$(psql -tAc "SELECT count(*) FROM audit WHERE action = 'ssh_certificate.revoke' AND object_id = '$TARA_EC'")" 1
expect_eq "audit of tara's certificate names its serial" \
	"$(psql -tAc "SELECT details->>'serial' FROM audit WHERE action = 'ssh_certificate.issue' AND object_id = '$TARA_CERT'")" \
	"$TARA_SERIAL"
# revocation by key id and by public key: the KRL carries both and sshd refuses
for k in tara-k lost; do ssh-keygen -q -t ed25519 -N '' -f "$T/keys/$k"; done
r=$(issue "$TARA" tara-k); save tara-k "$r"
KID=$(field "${r#* }" key_id)
TARA_K=$(field "${r#* }" id)
r=$(issue "$TARA" lost); save lost "$r"
LOST=$(field "${r#* }" id)
expect_eq "tara-k logs in" "$(login tara-k)" hello
expect_eq "lost logs in" "$(login lost)" hello
kid_json=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$KID")
r=$(api "$TARA" POST "/ssh/cas/$CA_ID/revocations" "{\"key_id\":$kid_json}")
expect_api "a technician does not revoke by key id" "$r" 403 forbidden
r=$(api "$GUS" POST "/ssh/cas/$CA_ID/revocations" "{\"key_id\":$kid_json}")
expect_api "another tenant's CA" "$r" 404 not_found
r=$(api "$OLGA" POST "/ssh/cas/$CA_ID/revocations" "{\"key_id\":$kid_json,\"public_key\":$(pub lost)}")
expect_api "both a key id and a public key" "$r" 400 invalid key_id
r=$(api "$OLGA" POST "/ssh/cas/$CA_ID/revocations" '{}')
expect_api "neither" "$r" 400 invalid key_id
r=$(api "$OLGA" POST "/ssh/cas/$CA_ID/revocations" '{"public_key":"ssh-ed25519 AAAA@@@"}')
expect_api "a malformed public key" "$r" 400 invalid public_key
r=$(api "$OLGA" POST "/ssh/cas/$CA_ID/revocations" "{\"key_id\":$kid_json}")
expect_api "an operator revokes by key id" "$r" 201
expect_eq "the certificate with that key id" "$(jget "${r#* }" 'd["certificates"]')" "[\"$TARA_K\"]"
r=$(api "$OLGA" POST "/ssh/cas/$CA_ID/revocations" "{\"key_id\":$kid_json}")
expect_api "the same key id twice" "$r" 409 conflict key_id
r=$(api "$OLGA" POST "/ssh/cas/$CA_ID/revocations" "{\"public_key\":$(pub lost)}")
expect_api "an operator revokes a public key" "$r" 201
expect_eq "the certificate for that key" "$(jget "${r#* }" 'd["certificates"]')" "[\"$LOST\"]"
expect_eq "its fingerprint" "$(field "${r#* }" fingerprint)" \
	"$(ssh-keygen -l -f "$T/keys/lost.pub" | cut -d' ' -f2)"
r=$(api "$OLGA" GET "/ssh/cas/$CA_ID/revocations")
expect_api "list revocations" "$r" 200
expect_eq "both revocations" "$(jget "${r#* }" 'sorted("k" if c["key_id"] else "p" for c in d["items"])')" '["k", "p"]'
r=$(api "$TARA" GET "/ssh/cas/$CA_ID/revocations")
expect_api "a technician does not list revocations" "$r" 403 forbidden
r=$(api "$OLGA" GET "/ssh/certificates/$TARA_K")
expect_eq "revoked by key id" "$(field "${r#* }" status)" revoked
krl "$T/sshd/revoked.krl"
expect_contains "ssh-keygen -Q: the key id" \
	"$(ssh-keygen -Q -f "$T/sshd/revoked.krl" "$T/keys/tara-k-cert.pub" 2>&1)" ": REVOKED"
expect_contains "ssh-keygen -Q: the public key" \
	"$(ssh-keygen -Q -f "$T/sshd/revoked.krl" "$T/keys/lost.pub" 2>&1)" ": REVOKED"
expect_contains "ssh-keygen -Q: another key" \
	"$(ssh-keygen -Q -f "$T/sshd/revoked.krl" "$T/keys/tara.pub" 2>&1)" ": ok"
login tara-k >/dev/null && fail "a certificate whose key id is revoked logged in"
ok "a certificate whose key id is revoked is refused"
login lost >/dev/null && fail "a certificate for a revoked key logged in"
ok "a certificate for a revoked public key is refused"
expect_eq "tara's other certificate still logs in" "$(login tara)" hello
# the same KRL for devices on the OCSP listener, without a credential
OCSP_URL=http://127.0.0.1:$OCSP_PORT
code=$(curl -s -D "$T/krl.hdr" -o "$T/ocsp.krl" -w '%{http_code}' "$OCSP_URL/ssh/krl/$CA_ID")
expect_eq "KRL on the OCSP listener" "$code" 200
cmp -s "$T/ocsp.krl" "$T/sshd/revoked.krl" || fail "the OCSP listener's KRL differs from the admin API's"
ok "the same bytes as the admin API's KRL"
etag=$(tr -d '\r' <"$T/krl.hdr" | sed -n 's/^ETag: //Ip')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$OCSP_URL/ssh/krl/$CA_ID")
expect_eq "unchanged: 304" "$code" 304
code=$(curl -s -o "$T/krl.json" -w '%{http_code}' "$OCSP_URL/ssh/krl/00000000-0000-0000-0000-000000000000")
expect_eq "an unknown SSH CA" "$code" 404
code=$(curl -s -o "$T/krl.json" -w '%{http_code}' "$OCSP_URL/ssh/krl/nope")
expect_eq "a malformed SSH CA id" "$code" 404
expect_contains "where KRLs are" "$(cat "$T/krl.json")" "/ssh/krl/<ssh ca id>"
r=$(api "$OLGA" POST "/ssh/certificates/$TARA_CERT/revoke" '{}')
expect_api "revoke tara's first certificate" "$r" 200
code=$(curl -s -o "$T/ocsp.krl" -w '%{http_code}' -H "If-None-Match: $etag" "$OCSP_URL/ssh/krl/$CA_ID")
expect_eq "changed: 200" "$code" 200
expect_contains "ssh-keygen -Q: revoked in the OCSP listener's KRL" \
	"$(ssh-keygen -Q -f "$T/ocsp.krl" "$T/keys/tara-cert.pub" 2>&1)" ": REVOKED"
expect_eq "audit: ssh_revocation.create" \
	"$(psql -tAc "SELECT count(*) FROM audit WHERE action = 'ssh_revocation.create' AND tenant_id = '$ACME'")" 2
# key rotation: a new key is published beside the old one and signs; the old one retires
OLD_KEY=$(jget "$(api "$OLGA" GET "/ssh/cas/$CA_ID" | cut -d' ' -f2-)" 'd["keys"][0]["key_id"]')
r=$(api "$OLGA" POST "/ssh/cas/$CA_ID/keys" '{"algorithm":"ec-p256"}')
expect_api "an operator does not rotate keys" "$r" 403 forbidden
r=$(api "$ALICE" POST "/ssh/cas/$CA_ID/keys" '{"algorithm":"dsa"}')
expect_api "an unknown algorithm" "$r" 400 invalid algorithm
r=$(api "$ALICE" POST "/ssh/cas/$CA_ID/keys" '{"algorithm":"ec-p256"}')
expect_api "a tenant admin adds a key" "$r" 201
expect_eq "two keys, the new one first" "$(jget "${r#* }" '[(k["algorithm"], k["status"]) for k in d["keys"]]')" \
	'[["ec-p256", "active"], ["ed25519", "active"]]'
NEW_KEY=$(jget "${r#* }" 'd["keys"][0]["key_id"]')
code=$(admin_curl "$API/ssh/cas/$CA_ID/public-key" -H "Authorization: Bearer $TARA" -o "$T/user_ca.pub" -w '%{http_code}')
expect_eq "both keys published" "$(cut -d' ' -f1 "$T/user_ca.pub" | tr '\n' ' ')" "ecdsa-sha2-nistp256 ssh-ed25519 "
r=$(issue "$TARA" tara); save tara-new "$r"
expect_eq "the new key signs" "$(field "${r#* }" ca_key_id)" "$NEW_KEY"
expect_contains "ssh-keygen: signed by ECDSA" "$(ssh-keygen -L -f "$T/keys/tara-new-cert.pub")" "Signing CA: ECDSA"
expect_eq "a certificate of the new key logs in" "$(login tara tara-new)" hello
expect_eq "one of the old key still logs in" "$(login tara local)" hello
r=$(api "$ALICE" POST "/ssh/cas/$CA_ID/keys/$OLD_KEY/retire" '{}')
expect_api "retire the old key" "$r" 200
expect_eq "retired" "$(jget "${r#* }" '[k["status"] for k in d["keys"]]')" '["active", "retired"]'
code=$(admin_curl "$API/ssh/cas/$CA_ID/public-key" -H "Authorization: Bearer $TARA" -o "$T/user_ca.pub" -w '%{http_code}')
expect_eq "only the new key published" "$(cut -d' ' -f1 "$T/user_ca.pub" | tr '\n' ' ')" "ecdsa-sha2-nistp256 "
login tara local >/dev/null && fail "a certificate of a retired key logged in"
ok "a certificate of a retired key is refused once servers drop the key"
expect_eq "the new key's still logs in" "$(login tara tara-new)" hello
r=$(api "$ALICE" POST "/ssh/cas/$CA_ID/keys/$OLD_KEY/retire" '{}')
expect_api "retired twice" "$r" 409 conflict key
r=$(api "$ALICE" POST "/ssh/cas/$CA_ID/keys/$NEW_KEY/retire" '{}')
expect_api "the last active key" "$r" 409 conflict key
GINA=$(user_key "$GLOBEX" gina tenant-admin)
r=$(api "$GINA" POST "/ssh/cas/$CA_ID/keys" '{}')
expect_api "another tenant's CA" "$r" 404 not_found
expect_eq "audit: ssh_ca.add_key, ssh_ca.retire_key" \
	"$(psql -tAc "SELECT string_agg(action, ',' ORDER BY id) FROM audit WHERE object_id = '$CA_ID' AND action LIKE 'ssh_ca.%_key'")" \
	"ssh_ca.add_key,ssh_ca.retire_key"
echo "api_ssh: all passed"
