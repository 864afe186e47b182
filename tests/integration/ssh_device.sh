#!/bin/bash
# Devices and the SSH CA: a device authenticated by its operational X.509
# certificate (mutual TLS on the admin listener) gets an SSH host certificate
# named by its device record, through the API and through `midpki ssh
# host-cert` (asked for only when due or for another key); what its
# certificate must be (ours, active, operational; an API key instead is 403);
# `midpki ssh krl-sync` from the OCSP listener (written only when changed; a
# refusal leaves the file alone). Then `ssh` trusts a throwaway sshd with the
# certificate the client wrote through @cert-authority with strict host key
# checking, and not under another name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"
. "$(dirname "$0")/ssh_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance sshdev
start_instance
ADMIN_KEY=$(cat "$I_STATE/admin.key")
TRUST="$I_STATE/trust.pem"
SERVER="https://127.0.0.1:$ADMIN_PORT"

r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
OLGA=$(user_key "$ACME" olga operator)
r=$(api "$OLGA" POST /devices '{"serial":"CS-0001","model":"wallbox-22","attributes":{"site":"site-a"}}')
expect_api "the station's device record" "$r" 201
DEV=$(field "${r#* }" id)

# cert NAME PROFILE: an X.509 certificate of the station under PROFILE, $T/NAME.pem and .key
cert() {
	local r
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
		-out "$T/$1.csr" -subj /CN=CS-0001 2>/dev/null || fail "csr $1"
	r=$(api "$OLGA" POST /certificates "$(python3 -c 'import json,sys
print(json.dumps({"device":sys.argv[1],"profile":sys.argv[2],"csr_pem":open(sys.argv[3]).read()}))' \
		"$DEV" "$2" "$T/$1.csr")")
	expect_api "certificate $1" "$r" 201 >/dev/null
	jget "${r#* }" 'd["certificate_pem"]' >"$T/$1.pem"
	CERT_ID=$(field "${r#* }" id)
}
cert op iec62351-device; OP_CERT=$CERT_ID
cert pre pre-enrollment

ssh-keygen -q -t ed25519 -N '' -f "$T/host_ed25519"
ssh-keygen -q -t ecdsa -b 256 -N '' -f "$T/host_ecdsa"
pubjson() { python3 -c 'import json,sys; print(json.dumps({"public_key": open(sys.argv[1]).read().strip(), **json.loads(sys.argv[2])}))' "$1" "${2-{\}}"; }

# dev_post CERT BODY: POST /ssh/device-host-certificates with the TLS client certificate CERT
dev_post() {
	local code
	code=$(admin_curl "$API/ssh/device-host-certificates" --cert "$T/$1.pem" --key "$T/$1.key" \
		-H 'Content-Type: application/json' --data-binary "$2" -o "$T/body" -w '%{http_code}')
	echo "$code $(cat "$T/body")"
}

r=$(dev_post op "$(pubjson "$T/host_ed25519.pub")")
expect_api "the station certifies its own host key" "$r" 201
expect_eq "principals from its device record" "$(jget "${r#* }" 'd["principals"]')" "[\"cs-0001\", \"$DEV\"]"
expect_eq "kind" "$(field "${r#* }" kind)" host
expect_eq "for the device" "$(field "${r#* }" device_id)" "$DEV"
HOST_CA=$(field "${r#* }" ca_id)
FIRST=$(field "${r#* }" id)
expect_eq "audited as the device" "$(psql -tAc "SELECT actor_kind || ' ' || actor_id FROM audit WHERE action = 'ssh_certificate.issue' AND object_id = '$FIRST'")" "device $DEV"

r=$(dev_post op "$(pubjson "$T/host_ed25519.pub" '{"ttl":"91d"}')")
expect_api "TTL above the profile" "$r" 422 refused_by_policy ttl
r=$(dev_post op "$(pubjson "$T/host_ed25519.pub" '{"profile":"ssh-device-host"}')")
expect_api "a device does not choose the profile" "$r" 400
r=$(dev_post op '{"public_key":"ssh-ed25519 AAAA@@@"}')
expect_api "a malformed host key" "$r" 400 invalid public_key
r=$(dev_post pre "$(pubjson "$T/host_ed25519.pub")")
expect_api "a pre-enrollment certificate" "$r" 403 forbidden
expect_contains "why" "$r" "not a device's operational certificate"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other.key" \
	-out "$T/other.pem" -subj /CN=CS-0001 -days 1 2>/dev/null
r=$(dev_post other "$(pubjson "$T/host_ed25519.pub")")
expect_api "a certificate we did not issue" "$r" 401 unauthenticated
expect_contains "why" "$r" "not issued by this server"
r=$(api "" POST /ssh/device-host-certificates "$(pubjson "$T/host_ed25519.pub")")
expect_api "no credential" "$r" 401 unauthenticated
r=$(api "$OLGA" POST /ssh/device-host-certificates "$(pubjson "$T/host_ed25519.pub")")
expect_api "an operator's API key" "$r" 403 forbidden

# midpki ssh host-cert
hostcert() {
	"$MIDPKI_BIN" ssh host-cert --server "$SERVER" --trust "$TRUST" --cert "$T/op.pem" \
		--key "$T/op.key" --out "$T/host-cert.pub" "$@"
}
out=$(hostcert --host-key "$T/host_ed25519.pub") || fail "host-cert: $out"
expect_contains "host-cert: what it wrote" "$out" "wrote $T/host-cert.pub: serial "
expect_contains "host-cert: principals" "$out" "principals cs-0001,$DEV"
listing=$(ssh-keygen -L -f "$T/host-cert.pub") || fail "ssh-keygen -L refused the certificate"
expect_contains "ssh-keygen: a host certificate" "$listing" "ssh-ed25519-cert-v01@openssh.com host certificate"
expect_contains "ssh-keygen: its key id names the device" "$listing" "Key ID: \"device=CS-0001 tenant=acme serial="
expect_eq "the file's mode" "$(stat -c %a "$T/host-cert.pub")" 644
[ -e "$T/host-cert.pub.tmp" ] && fail "host-cert left its temporary file"
cp "$T/host-cert.pub" "$T/first-cert.pub"
out=$(hostcert --host-key "$T/host_ed25519.pub") || fail "host-cert again: $out"
expect_contains "not due: not renewed" "$out" "is valid until"
cmp -s "$T/host-cert.pub" "$T/first-cert.pub" || fail "a certificate that was not due was replaced"
ok "the file is left alone"
out=$(hostcert --host-key "$T/host_ed25519.pub" --renew-within 31d --ttl 2d) || fail "host-cert due: $out"
expect_contains "due within 31 days: renewed" "$out" "wrote $T/host-cert.pub"
cmp -s "$T/host-cert.pub" "$T/first-cert.pub" && fail "a certificate that was due was not replaced"
ok "a due certificate is replaced"
expect_eq "the TTL asked for, 5 minutes backdated" "$(ssh-keygen -L -f "$T/host-cert.pub" | python3 -c 'import sys, datetime
for line in sys.stdin:
    if line.strip().startswith("Valid: from "):
        a, b = line.split()[2], line.split()[4]
        f = datetime.datetime.fromisoformat
        print(int((f(b) - f(a)).total_seconds()))')" $((2 * 86400 + 300))
out=$(hostcert --host-key "$T/host_ecdsa.pub") || fail "host-cert, new key: $out"
expect_contains "another host key: renewed" "$out" "wrote $T/host-cert.pub"
expect_contains "for the ECDSA key" "$(ssh-keygen -L -f "$T/host-cert.pub")" "ecdsa-sha2-nistp256-cert-v01@openssh.com host certificate"
out=$(hostcert --host-key "$T/host_ed25519.pub" --renew-within 1d)
cp "$T/host-cert.pub" "$T/before-suspend.pub"
r=$(api "$OLGA" POST "/certificates/$OP_CERT/suspend" '{}')
expect_api "suspend the station's certificate" "$r" 200
hostcert --host-key "$T/host_ed25519.pub" --renew-within 60d >/dev/null 2>"$T/err"
expect_eq "a suspended certificate: exit code" "$?" 3
expect_contains "host-cert: why" "$(cat "$T/err")" "HTTP 403: the client certificate is suspended"
cmp -s "$T/host-cert.pub" "$T/before-suspend.pub" || fail "a refusal changed the file"
ok "a refusal leaves the file alone"
r=$(api "$OLGA" POST "/certificates/$OP_CERT/resume" '{}')
expect_api "resume it" "$r" 200
"$MIDPKI_BIN" ssh host-cert --server "$SERVER" --out "$T/x" >/dev/null 2>&1
expect_eq "host-cert without its options: exit code" "$?" 2
expect_contains "host-cert --help" "$("$MIDPKI_BIN" ssh host-cert --help)" "usage: midpki ssh host-cert|krl-sync"
"$MIDPKI_BIN" ssh host-cert --server "$SERVER" --trust "$TRUST" --cert "$T/op.pem" --key "$T/op.key" \
	--host-key "$T/op.pem" --out "$T/x" >/dev/null 2>"$T/err"
expect_eq "a host key file that is not one: exit code" "$?" 1
expect_contains "why" "$(cat "$T/err")" "$T/op.pem: "

# midpki ssh krl-sync from the OCSP listener
KRL_URL="http://127.0.0.1:$OCSP_PORT/ssh/krl/$HOST_CA"
krlsync() { "$MIDPKI_BIN" ssh krl-sync --url "$KRL_URL" --out "$T/revoked.krl" "$@"; }
out=$(krlsync) || fail "krl-sync: $out"
expect_contains "krl-sync: first" "$out" "wrote $T/revoked.krl: "
expect_contains "ssh-keygen -Q: not revoked" "$(ssh-keygen -Q -f "$T/revoked.krl" "$T/host-cert.pub" 2>&1)" ": ok"
out=$(krlsync) || fail "krl-sync again: $out"
expect_contains "krl-sync: unchanged" "$out" "$T/revoked.krl is current"
SERIAL=$(ssh-keygen -L -f "$T/host-cert.pub" | sed -n 's/^ *Serial: //p')
r=$(api "$OLGA" GET "/ssh/certificates?device=$DEV")
CUR_ID=$(jget "${r#* }" "[c['id'] for c in d['items'] if c['serial'] == '$SERIAL'][0]")
r=$(api "$OLGA" POST "/ssh/certificates/$CUR_ID/revoke" '{}')
expect_api "revoke the station's newest host certificate" "$r" 200
out=$(krlsync) || fail "krl-sync after a revocation: $out"
expect_contains "krl-sync: changed" "$out" "wrote $T/revoked.krl: "
expect_contains "ssh-keygen -Q: revoked" "$(ssh-keygen -Q -f "$T/revoked.krl" "$T/host-cert.pub" 2>&1)" ": REVOKED"
cp "$T/revoked.krl" "$T/kept.krl"
"$MIDPKI_BIN" ssh krl-sync --url "http://127.0.0.1:$OCSP_PORT/ssh/krl/00000000-0000-0000-0000-000000000000" \
	--out "$T/revoked.krl" >/dev/null 2>"$T/err"
expect_eq "krl-sync of an unknown CA: exit code" "$?" 3
expect_contains "why" "$(cat "$T/err")" "HTTP 404: no such SSH CA"
"$MIDPKI_BIN" ssh krl-sync --url "http://127.0.0.1:$OCSP_PORT/crl/nope" --out "$T/revoked.krl" >/dev/null 2>&1
cmp -s "$T/revoked.krl" "$T/kept.krl" || fail "a refused krl-sync changed the file"
ok "a refused krl-sync leaves the file alone"
out=$("$MIDPKI_BIN" ssh krl-sync --url "$SERVER/api/v1/ssh/cas/$HOST_CA/krl" --trust "$TRUST" \
	--out "$T/y.krl" 2>&1)
expect_eq "krl-sync from the admin API without a key: exit code" "$?" 3
expect_contains "why" "$out" "HTTP 401"

# the station presents the certificate host-cert wrote; ssh trusts it by the host CA
out=$(hostcert --host-key "$T/host_ed25519.pub" --renew-within 60d) || fail "host-cert: $out"
code=$(admin_curl "$API/ssh/cas/$HOST_CA/public-key" -H "Authorization: Bearer $OLGA" -o "$T/known_hosts" -w '%{http_code}')
expect_eq "the host CA's line" "$code" 200
ssh-keygen -q -t ed25519 -N '' -f "$T/client"
cp "$T/client.pub" "$T/authorized_keys"
SSH_PORT=$(free_port)
cat >"$T/sshd_config" <<EOF
ListenAddress 127.0.0.1:$SSH_PORT
HostKey $T/host_ed25519
HostCertificate $T/host-cert.pub
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
EOF
sshd_start "$T/sshd_config" "$T/sshd.log" "$SSH_PORT"
as_host() {
	ssh -F /dev/null -p "$SSH_PORT" -i "$T/client" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$T/known_hosts" \
		-o GlobalKnownHostsFile=/dev/null -o HostKeyAlias="$1" -o ConnectTimeout=10 \
		"$(id -un)@127.0.0.1" 'echo hello' 2>>"$T/ssh.log"
}
expect_eq "the station is trusted as cs-0001" "$(as_host cs-0001)" hello
expect_eq "and under its device id" "$(as_host "$DEV")" hello
as_host cs-0002 >/dev/null && fail "the station was trusted under another name"
ok "the station is not trusted as cs-0002"
expect_contains "ssh: why" "$(cat "$T/ssh.log")" "Certificate invalid: name is not a listed principal"
echo "ssh_device: all passed"
