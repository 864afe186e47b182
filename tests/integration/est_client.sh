#!/bin/bash
# The EST client `midpki est` against the real server: cacerts with --trust and
# bootstrapped by a fingerprint (a wrong one writes nothing), csrattrs, enroll
# with a one-time token (the certificate verifies with openssl against the
# chain it wrote, the new key is 0600 and matches), the spent token refused
# (exit 3 with the server's reason), channel binding on TLS 1.2 and 1.3,
# reenroll with the current certificate (not due: nothing changes; due: key
# and certificate replaced), a server we do not trust (exit 1), a profile
# that needs approval (exit 4 once --max-wait is used up), usage errors (2).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance estc
start_instance
KEY=$(cat "$I_STATE/admin.key")
SERVER="https://127.0.0.1:$EST_PORT"
TRUST="$I_STATE/trust.pem"
est() { "$MIDPKI_BIN" est "$@"; }

r=$(api "$KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
BODY=$(builtin_body iec62351-device)
r=$(api "$KEY" POST /profiles "{\"tenant\":\"$ACME\",\"name\":\"stations\",\"body\":$BODY}")
expect_api "tenant profile" "$r" 201
PROFILE=$(field "${r#* }" id)
r=$(api "$KEY" POST /profiles "{\"tenant\":\"$ACME\",\"name\":\"approved\",\"approval_required\":true,\"body\":$BODY}")
expect_api "profile with approval" "$r" 201
APPROVED=$(field "${r#* }" id)
for s in CS-1 CS-2 CS-3; do
	r=$(api "$KEY" POST /devices "{\"tenant\":\"$ACME\",\"serial\":\"$s\"}")
	expect_api "register $s" "$r" 201 >/dev/null
	eval "DEV_${s#CS-}=$(field "${r#* }" id)"
done
# token DEVICE [PROFILE]: a one-use enrollment token
token() {
	local r
	r=$(api "$KEY" POST "/devices/$1/enrollment-tokens" "{\"profile\":\"${2:-$PROFILE}\",\"uses\":1}")
	expect_api "token for $1" "$r" 201 >/dev/null
	field "${r#* }" token
}

# --- cacerts
est cacerts --server "$SERVER" --trust "$TRUST" --out "$T/ca.pem" || fail "cacerts"
expect_eq "cacerts: two certificates" "$(grep -c 'BEGIN CERTIFICATE' "$T/ca.pem")" 2
FP=$(openssl x509 -in "$TRUST" -noout -fingerprint -sha256 | sed 's/.*=//')
est cacerts --server "$SERVER" --fingerprint "$FP" --out "$T/boot.pem" || fail "bootstrap"
cmp -s "$T/ca.pem" "$T/boot.pem" || fail "bootstrap gave another chain"
ok "cacerts bootstrapped by the root's fingerprint"
BAD_FP=$(echo "$FP" | tr '0123456789ABCDEF' '123456789ABCDEF0')
est cacerts --server "$SERVER" --fingerprint "$BAD_FP" --out "$T/nope.pem" 2>"$T/err"
expect_eq "wrong fingerprint: exit code" "$?" 1
expect_contains "wrong fingerprint: message" "$(cat "$T/err")" "no certificate from the server has the fingerprint"
[ -e "$T/nope.pem" ] && fail "a wrong fingerprint wrote a file"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other.key" \
	-subj "/CN=Other" -out "$T/other.pem" 2>/dev/null
est cacerts --server "$SERVER" --trust "$T/other.pem" 2>"$T/err" >/dev/null
expect_eq "untrusted server: exit code" "$?" 1
expect_contains "untrusted server: message" "$(cat "$T/err")" "server certificate not accepted"

# --- csrattrs
out=$(est csrattrs --server "$SERVER" --trust "$TRUST") || fail "csrattrs"
expect_contains "csrattrs: the key algorithms" "$out" "ecdsa-with-SHA256"
expect_contains "csrattrs: the curves" "$out" "id-ecPublicKey: "

# --- enroll with a token
TOK=$(token "$DEV_1")
MIDPKI_EST_TOKEN=$TOK est enroll --server "$SERVER" --trust "$TRUST" --serial CS-1 \
	--out-key "$T/cs1.key" --out-cert "$T/cs1.pem" --out-chain "$T/cs1-chain.pem" 2>"$T/err" ||
	fail "enroll: $(cat "$T/err")"
expect_eq "enroll: key mode" "$(stat -c %a "$T/cs1.key")" 600
openssl verify -CAfile "$TRUST" -untrusted "$T/cs1-chain.pem" "$T/cs1.pem" >/dev/null ||
	fail "the enrolled certificate does not verify"
ok "the enrolled certificate verifies against the chain"
expect_eq "enroll: the key matches" "$(openssl x509 -in "$T/cs1.pem" -noout -pubkey | sha256sum)" \
	"$(openssl pkey -in "$T/cs1.key" -pubout | sha256sum)"
expect_contains "enroll: names from the device record" \
	"$(openssl x509 -in "$T/cs1.pem" -noout -ext subjectAltName)" "urn:uuid:$DEV_1"
MIDPKI_EST_TOKEN=$TOK est enroll --server "$SERVER" --trust "$TRUST" --serial CS-1 \
	--out-key "$T/again.key" --out-cert "$T/again.pem" 2>"$T/err"
expect_eq "spent token: exit code" "$?" 3
expect_contains "spent token: the server's reason" "$(cat "$T/err")" "simpleenroll refused: HTTP 401"

# --- channel binding: tls-unique on TLS 1.2, tls-exporter on TLS 1.3
for tls in --tls1.2 ""; do
	MIDPKI_EST_TOKEN=$(token "$DEV_2") est enroll --server "$SERVER" --trust "$TRUST" \
		--serial CS-2 --channel-binding $tls --key-type ec-p384 --out-key "$T/cs2.key" \
		--out-cert "$T/cs2.pem" 2>"$T/err" || fail "enroll with channel binding $tls: $(cat "$T/err")"
	ok "enroll with channel binding ${tls:-(TLS 1.3)}"
done
expect_contains "P-384 key" "$(openssl x509 -in "$T/cs2.pem" -noout -text)" "384 bit"

# --- reenroll
cp "$T/cs1.pem" "$T/before.pem"
est reenroll --server "$SERVER" --trust "$TRUST" --cert "$T/cs1.pem" --key "$T/cs1.key" \
	--if-expiring-within 1d 2>"$T/err" || fail "reenroll not due: $(cat "$T/err")"
expect_contains "reenroll: not due" "$(cat "$T/err")" "not renewed"
cmp -s "$T/cs1.pem" "$T/before.pem" || fail "a renewal that was not due changed the certificate"
est reenroll --server "$SERVER" --trust "$TRUST" --cert "$T/cs1.pem" --key "$T/cs1.key" \
	--if-expiring-within 3650d 2>"$T/err" || fail "reenroll: $(cat "$T/err")"
cmp -s "$T/cs1.pem" "$T/before.pem" && fail "reenroll did not replace the certificate"
expect_eq "reenroll: same subject" "$(openssl x509 -in "$T/cs1.pem" -noout -subject)" \
	"$(openssl x509 -in "$T/before.pem" -noout -subject)"
expect_eq "reenroll: the new key matches" "$(openssl x509 -in "$T/cs1.pem" -noout -pubkey | sha256sum)" \
	"$(openssl pkey -in "$T/cs1.key" -pubout | sha256sum)"
[ "$(openssl x509 -in "$T/cs1.pem" -noout -pubkey)" = "$(openssl x509 -in "$T/before.pem" -noout -pubkey)" ] &&
	fail "reenroll kept the old key"
ok "reenroll replaced key and certificate"

# --- approval: 202 Retry-After, pending after --max-wait
MIDPKI_EST_TOKEN=$(token "$DEV_3" "$APPROVED") est enroll --server "$SERVER" --trust "$TRUST" \
	--serial CS-3 --max-wait 1s --out-key "$T/cs3.key" --out-cert "$T/cs3.pem" 2>"$T/err"
expect_eq "approval: exit code" "$?" 4
expect_contains "approval: message" "$(cat "$T/err")" "still pending"

# --- usage
est enroll --server "$SERVER" --serial CS-1 --token x 2>/dev/null
expect_eq "enroll without --out-cert: exit code" "$?" 2
est reenroll --server "$SERVER" --out-cert x 2>/dev/null
expect_eq "reenroll without --cert: exit code" "$?" 2
est cacerts --server "http://127.0.0.1:$EST_PORT" 2>/dev/null
expect_eq "a non-https server: exit code" "$?" 2
echo "tests passed"
