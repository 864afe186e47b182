#!/bin/bash
# OCSP for an isolated network, with the real CLI and `openssl ocsp` as the
# client: `midpki ocsp export` on the central platform writes a bundle of the
# devices CA; `midpki serve --ocsp-bundle` with no database configured serves
# it: good, revoked with its reason, unknown serial and unknown issuer
# refused (unauthorized), a nonce not echoed, GET and POST, the CRL and the CA
# certificate over HTTP. A newer bundle moved onto the file (after a
# suspension) is served without a restart; a tampered one is refused and
# changes nothing; a bundle that does not verify stops the start.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance central
start_instance
KEY=$(cat "$I_STATE/admin.key")
CENTRAL_ENV=$I_ENV

r=$(api "$KEY" POST /tenants '{"name":"plant"}'); PLANT=$(field "${r#* }" id)
# issue NAME: registers device NAME and issues its certificate to $T/NAME.pem; prints its id
issue() {
	local r dev
	r=$(api "$KEY" POST /devices "{\"tenant\":\"$PLANT\",\"serial\":\"$1\"}")
	expect_api "register $1" "$r" 201 >&2
	dev=$(field "${r#* }" id)
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
		-out "$T/$1.csr" -subj "/CN=$1" 2>/dev/null || fail "csr $1"
	r=$(api "$KEY" POST /certificates "$(python3 -c 'import json,sys
print(json.dumps({"device": sys.argv[1], "profile": "iec62351-device", "csr_pem": open(sys.argv[2]).read()}))' "$dev" "$T/$1.csr")")
	expect_api "issue $1" "$r" 201 >&2
	jget "${r#* }" 'd["certificate_pem"]' >"$T/$1.pem"
	jget "${r#* }" 'd["chain_pem"]' >"$T/chain.pem"
	field "${r#* }" id
}
GOOD=$(issue RELAY-1)
BAD=$(issue RELAY-2)
openssl x509 -in "$T/chain.pem" -out "$T/issuer.pem" || fail "issuer certificate"
cat "$I_STATE/trust.pem" "$T/chain.pem" >"$T/cafile.pem"
CA=$(psql -tAc "SELECT ca_id FROM certificates WHERE id = '$GOOD'")
r=$(api "$KEY" POST "/certificates/$BAD/revoke" '{"reason":"keyCompromise"}')
expect_api "revoke RELAY-2" "$r" 200
# the delta CRL lists a revocation within about a second
for i in $(seq 100); do
	curl -sf -o "$T/central.crl" "http://127.0.0.1:$OCSP_PORT/crl/$CA-delta.crl" &&
		openssl crl -inform DER -in "$T/central.crl" -noout -text | grep -q 'Key Compromise' &&
		break
	sleep 0.1
done

# export: usage errors, an unknown CA, then the devices CA
"$MIDPKI_BIN" ocsp export --ca devices >/dev/null 2>"$T/err"
expect_eq "export without --out: exit code" "$?" 2
env $CENTRAL_ENV "$MIDPKI_BIN" ocsp export --ca nope --out "$T/x.bundle" >/dev/null 2>"$T/err"
expect_eq "export of an unknown CA: exit code" "$?" 1
expect_contains "export of an unknown CA: message" "$(cat "$T/err")" "no CA 'nope'"
mkdir -p "$T/site"
cp "$I_STATE/trust.pem" "$T/site/trust.pem"
out=$(env $CENTRAL_ENV "$MIDPKI_BIN" ocsp export --ca devices --out "$T/site/ocsp.bundle") ||
	fail "export: $out"
expect_contains "export: summary" "$out" "wrote $T/site/ocsp.bundle: 1 CAs,"

# the isolated responder: no database, only the OCSP listener
SITE_PORT=$(free_port)
SITE_URL="http://127.0.0.1:$SITE_PORT"
start_site() {
	env -u MIDPKI_DATABASE_URL MIDPKI_STATE_DIR="$T/site" MIDPKI_HTTP_WORKERS=2 \
		MIDPKI_OCSP_LISTEN="127.0.0.1:$SITE_PORT" "$MIDPKI_BIN" serve \
		--ocsp-bundle "$T/site/ocsp.bundle" >>"$T/site.log" 2>&1 &
	SITE_PID=$!
	MIDPKI_PIDS="$MIDPKI_PIDS $SITE_PID"
	for i in $(seq 100); do
		curl -sf -o /dev/null "$SITE_URL/ca/$CA.crt" && return 0
		kill -0 "$SITE_PID" 2>/dev/null || fail "the bundle responder exited: $(tail -5 "$T/site.log")"
		sleep 0.1
	done
	fail "the bundle responder did not start"
}
start_site
[ -e "$T/site/pg" ] && fail "the bundle responder started a database"
ok "no database in bundle mode"

# status NAME [openssl ocsp args...]: the status line of NAME.pem, the response verified
status() {
	local name=$1; shift
	openssl ocsp -issuer "$T/issuer.pem" -cert "$T/$name.pem" -url "$SITE_URL/ocsp" \
		-CAfile "$T/cafile.pem" -resp_text "$@" >"$T/ocsp.out" 2>"$T/ocsp.err" ||
		{ cat "$T/ocsp.out" "$T/ocsp.err" >&2; return 1; }
	grep -q '^Response verify OK' "$T/ocsp.err" || { cat "$T/ocsp.err" >&2; return 1; }
	sed -n "s|^$T/$name.pem: ||p" "$T/ocsp.out"
}
expect_eq "RELAY-1 from the bundle" "$(status RELAY-1 -no_nonce)" good
expect_eq "RELAY-2 from the bundle" "$(status RELAY-2 -no_nonce)" revoked
expect_contains "RELAY-2: reason" "$(cat "$T/ocsp.out")" "Reason: keyCompromise"
expect_eq "with a nonce" "$(status RELAY-1)" good
expect_contains "the nonce is not echoed" "$(cat "$T/ocsp.err")" "WARNING: no nonce in response"
openssl ocsp -issuer "$T/issuer.pem" -serial 0x7a7a7a7a -url "$SITE_URL" -no_nonce \
	>"$T/ocsp.out" 2>&1
expect_contains "a serial the bundle lacks" "$(cat "$T/ocsp.out")" "unauthorized (6)"
openssl ocsp -issuer "$I_STATE/trust.pem" -cert "$T/RELAY-1.pem" -url "$SITE_URL" -no_nonce \
	>"$T/ocsp.out" 2>&1
expect_contains "an issuer the bundle lacks" "$(cat "$T/ocsp.out")" "unauthorized (6)"
openssl ocsp -issuer "$T/issuer.pem" -cert "$T/RELAY-1.pem" -no_nonce -reqout "$T/req.der" \
	>/dev/null 2>&1 || fail "reqout"
curl -sf -D "$T/get.hdr" -o "$T/get.der" "$SITE_URL/$(base64 -w0 "$T/req.der")" || fail "GET"
expect_eq "GET answer" "$(openssl ocsp -respin "$T/get.der" -issuer "$T/issuer.pem" \
	-cert "$T/RELAY-1.pem" -CAfile "$T/cafile.pem" 2>/dev/null | sed -n "s|^$T/RELAY-1.pem: ||p")" good
expect_contains "GET: caching headers" "$(tr -d '\r' <"$T/get.hdr")" "Cache-Control: max-age="
curl -sf -o "$T/site.crl" "$SITE_URL/crl/$CA.crl" || fail "CRL from the bundle"
openssl crl -inform DER -in "$T/site.crl" -CAfile "$T/cafile.pem" -noout 2>&1 | grep -q 'verify OK' ||
	fail "the bundle's CRL does not verify"
curl -sf -o "$T/site-delta.crl" "$SITE_URL/crl/$CA-delta.crl" || fail "delta CRL from the bundle"
expect_contains "the bundle's delta CRL lists RELAY-2" \
	"$(openssl crl -inform DER -in "$T/site-delta.crl" -noout -text)" "Key Compromise"
code=$(curl -s -o "$T/krl.json" -w '%{http_code}' "$SITE_URL/ssh/krl/$CA")
expect_eq "no SSH KRL without a database" "$code" 404
expect_contains "why" "$(cat "$T/krl.json")" "SSH KRLs are served only by a listener with a database"

# a tampered bundle written over the file is refused and changes nothing
python3 - "$T/site/ocsp.bundle" "$T/tampered" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 1
open(sys.argv[2], "wb").write(b)
EOF
cp "$T/tampered" "$T/site/ocsp.bundle"
for i in $(seq 50); do grep -q refused "$T/site.log" && break; sleep 0.1; done
expect_contains "a tampered bundle is refused" "$(cat "$T/site.log")" "OCSP bundle $T/site/ocsp.bundle refused"
expect_eq "RELAY-2 after the tampered bundle" "$(status RELAY-2 -no_nonce)" revoked

# a suspension on the central platform reaches the site with the next bundle
r=$(api "$KEY" POST "/certificates/$GOOD/suspend" '{}')
expect_api "suspend RELAY-1" "$r" 200
sleep 1
out=$(env $CENTRAL_ENV "$MIDPKI_BIN" ocsp export --tenant "$(psql -tAc "SELECT t.name FROM tenants t JOIN cas c ON c.tenant_id = t.id WHERE c.id = '$CA'")" \
	--ca devices --out "$T/next.bundle") || fail "second export: $out"
mv "$T/next.bundle" "$T/site/ocsp.bundle"
got=""
for i in $(seq 50); do
	got=$(status RELAY-1 -no_nonce) && [ "$got" = revoked ] && break
	sleep 0.1
done
expect_eq "RELAY-1 after the newer bundle, without a restart" "$got" revoked
expect_contains "RELAY-1: on hold" "$(cat "$T/ocsp.out")" "Reason: certificateHold"

# a bundle that does not verify stops the start with the reason
kill -TERM "$SITE_PID"; wait "$SITE_PID"
expect_eq "bundle responder exit code after SIGTERM" "$?" 0
MIDPKI_PIDS=$(echo "$MIDPKI_PIDS" | sed "s/ $SITE_PID\b//")
cp "$T/tampered" "$T/site/ocsp.bundle"
env -u MIDPKI_DATABASE_URL MIDPKI_STATE_DIR="$T/site" MIDPKI_OCSP_LISTEN="127.0.0.1:$SITE_PORT" \
	"$MIDPKI_BIN" serve --ocsp-bundle "$T/site/ocsp.bundle" >"$T/bad.log" 2>&1
expect_eq "start with a tampered bundle: exit code" "$?" 1
expect_contains "start with a tampered bundle: reason" "$(cat "$T/bad.log")" "OCSP bundle $T/site/ocsp.bundle refused: "
echo "tests passed"
