#!/bin/bash
# /serverkeygen with the key encrypted to the client (RFC 7030 4.4.1.2,
# 4.4.2): a CSR with AsymmetricDecryptKeyIdentifier naming the TLS client
# certificate's subjectKeyIdentifier gets the key as CMS EnvelopedData
# (application/pkcs7-mime; smime-type=server-generated-key) that `openssl cms
# -decrypt` opens with the client's key (EC and RSA), holding an
# AsymmetricKeyPackage of the key the certificate is for; refused (400, the
# token not spent) without a client certificate, with another identifier,
# for DecryptKeyIdentifier, or both; `midpki est serverkeygen` with and
# without --encrypt-key writes key, certificate and chain, and carries the
# channel binding a profile requires with --channel-binding.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance estk
start_instance
KEY=$(cat "$I_STATE/admin.key")
SERVER="https://127.0.0.1:$EST_PORT"

r=$(api "$KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
r=$(api "$KEY" POST /profiles "{\"tenant\":\"$ACME\",\"name\":\"stations\",\"body\":$(builtin_body iec62351-device)}")
expect_api "profile" "$r" 201
PROFILE=$(field "${r#* }" id)
token() {
	local r
	r=$(api "$KEY" POST "/devices/$1/enrollment-tokens" "{\"profile\":\"$PROFILE\",\"uses\":1}")
	expect_api "token for $1" "$r" 201 >/dev/null
	field "${r#* }" token
}
uses_left() { psql -tAc "SELECT sum(uses_left) FROM enrollment_tokens WHERE device_id = '$1'"; }
# csr NAME ATTR-OID HEX...: a CSR (base64 in $T/NAME.b64) with one OCTET STRING attribute per OID and value
csr() {
	python3 - "$@" <<'PY' >"$T/$1.b64" || fail "csr $1"
import base64, sys
from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier
from cryptography.x509.name import _ASN1Type
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
b = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
args = sys.argv[2:]
for oid, value in zip(args[::2], args[1::2]):
    b = b.add_attribute(ObjectIdentifier(oid), bytes.fromhex(value), _tag=_ASN1Type.OctetString)
der = b.sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256()).public_bytes(serialization.Encoding.DER)
print(base64.encodebytes(der).decode(), end="")
PY
}
# part N OUT: the base64 content of part N (1, 2) of the last answer, decoded into OUT; prints its Content-Type
part() {
	python3 - "$T/h" "$T/b" "$1" "$2" <<'PY'
import base64, re, sys
head = open(sys.argv[1]).read()
ctype = re.search(r'(?im)^content-type:\s*(.*?)\r?$', head).group(1)
boundary = re.search(r'boundary="?([^";]+)', ctype).group(1)
parts = open(sys.argv[2], 'rb').read().split(b'--' + boundary.encode())[1:-1]
hdr, body = re.split(rb'\r?\n\r?\n', parts[int(sys.argv[3]) - 1].lstrip(b'\r\n'), maxsplit=1)
open(sys.argv[4], 'wb').write(base64.b64decode(b''.join(body.split())))
print(re.search(rb'(?im)^content-type:\s*(.*?)\r?$', hdr).group(1).decode())
PY
}
keygen() {
	curl -sS --cacert "$I_STATE/trust.pem" -D "$T/h" -o "$T/b" -w '%{http_code}' \
		-H 'Content-Type: application/pkcs10' "$@" "$SERVER/.well-known/est/serverkeygen"
}
# the client's own certificates, with a subjectKeyIdentifier (openssl req -x509 adds one)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/client.key" \
	-subj "/CN=installer" -days 1 -out "$T/client.pem" 2>/dev/null || fail "client certificate"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/rsa.key" -subj "/CN=installer-rsa" -days 1 \
	-out "$T/rsa.pem" 2>/dev/null || fail "RSA client certificate"
openssl req -x509 -newkey ed25519 -nodes -keyout "$T/ed.key" -subj "/CN=installer-ed" -days 1 \
	-out "$T/ed.pem" 2>/dev/null || fail "Ed25519 client certificate"
ski() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' :'; }
ASYM=1.2.840.113549.1.9.16.2.54
SYM=1.2.840.113549.1.9.16.2.37

# --- EC and RSA recipients, opened with openssl cms -decrypt
n=0
for who in client rsa; do
	n=$((n + 1))
	DEV=$(device_in "$ACME" "CS-$n")
	csr "k$n" $ASYM "$(ski "$T/$who.pem")"
	expect_eq "serverkeygen encrypted to $who" "$(keygen -u "CS-$n:$(token "$DEV")" --cert "$T/$who.pem" \
		--key "$T/$who.key" --data-binary "@$T/k$n.b64")" 200
	expect_eq "$who: key part type" "$(part 1 "$T/k$n.p7")" "application/pkcs7-mime; smime-type=server-generated-key"
	expect_eq "$who: certificate part type" "$(part 2 "$T/k$n.certs")" "application/pkcs7-mime; smime-type=certs-only"
	expect_contains "$who: EnvelopedData" "$(openssl asn1parse -inform DER -in "$T/k$n.p7" | head -n 3)" pkcs7-envelopedData
	expect_contains "$who: of a key package" "$(openssl asn1parse -inform DER -in "$T/k$n.p7")" 2.16.840.1.101.2.1.2.78.5
	openssl cms -decrypt -inform DER -in "$T/k$n.p7" -recip "$T/$who.pem" -inkey "$T/$who.key" -binary \
		-out "$T/k$n.pkg" 2>"$T/err" || fail "$who: openssl cms -decrypt: $(cat "$T/err")"
	# AsymmetricKeyPackage: SEQUENCE OF OneAsymmetricKey, here exactly one
	python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); h=2 if d[1]<0x80 else 2+(d[1]&0x7f); assert d[0]==0x30; open(sys.argv[2],"wb").write(d[h:])' \
		"$T/k$n.pkg" "$T/k$n.p8" || fail "$who: not a key package"
	openssl pkey -inform DER -in "$T/k$n.p8" -pubout -out "$T/k$n.pub" 2>/dev/null || fail "$who: no PKCS#8 key inside"
	openssl pkcs7 -inform DER -in "$T/k$n.certs" -print_certs | openssl x509 -pubkey -noout >"$T/k$n.certpub"
	expect_eq "$who: the certificate is for the decrypted key" "$(cat "$T/k$n.pub")" "$(cat "$T/k$n.certpub")"
	expect_eq "$who: a different key from the client's" \
		"$(cmp -s "$T/k$n.pub" <(openssl pkey -in "$T/$who.key" -pubout) && echo same || echo different)" different
	openssl cms -decrypt -inform DER -in "$T/k$n.p7" -recip "$T/ed.pem" -inkey "$T/ed.key" -binary \
		-out /dev/null 2>/dev/null && fail "$who: another key opened the envelope"
	ok "$who: no other key opens it"
done

# --- refusals: the token is not spent
DEV=$(device_in "$ACME" CS-9)
TOK=$(token "$DEV")
csr no-cert $ASYM "$(ski "$T/client.pem")"
expect_eq "no client certificate" "$(keygen -u "CS-9:$TOK" --data-binary "@$T/no-cert.b64")" 400
expect_contains "no client certificate: reason" "$(cat "$T/b")" "csr.AsymmetricDecryptKeyIdentifier: must be the subjectKeyIdentifier of the TLS client certificate"
csr other $ASYM 0102030405
expect_eq "another identifier" "$(keygen -u "CS-9:$TOK" --cert "$T/client.pem" --key "$T/client.key" --data-binary "@$T/other.b64")" 400
csr ed $ASYM "$(ski "$T/ed.pem")"
expect_eq "an Ed25519 recipient" "$(keygen -u "CS-9:$TOK" --cert "$T/ed.pem" --key "$T/ed.key" --data-binary "@$T/ed.b64")" 400
expect_contains "Ed25519: reason" "$(cat "$T/b")" "must be RSA or EC"
csr sym $SYM 0a0b0c
expect_eq "DecryptKeyIdentifier" "$(keygen -u "CS-9:$TOK" --data-binary "@$T/sym.b64")" 400
expect_contains "DecryptKeyIdentifier: reason" "$(cat "$T/b")" "shares no symmetric key"
csr both $SYM 0a0b0c $ASYM "$(ski "$T/client.pem")"
expect_eq "both attributes" "$(keygen -u "CS-9:$TOK" --cert "$T/client.pem" --key "$T/client.key" --data-binary "@$T/both.b64")" 400
csr empty $ASYM ""
expect_eq "an empty identifier" "$(keygen -u "CS-9:$TOK" --cert "$T/client.pem" --key "$T/client.key" --data-binary "@$T/empty.b64")" 400
expect_eq "refusals spent no use of the token" "$(uses_left "$DEV")" 1
expect_eq "no certificate came of them" "$(psql -tAc "SELECT count(*) FROM identities WHERE device_id = '$DEV'")" 0

# --- the project's client
est() { "$MIDPKI_BIN" est "$@"; }
DEV=$(device_in "$ACME" CS-10)
MIDPKI_EST_TOKEN=$(token "$DEV") est serverkeygen --server "$SERVER" --trust "$I_STATE/trust.pem" \
	--serial CS-10 --cert "$T/client.pem" --key "$T/client.key" --encrypt-key --out-key "$T/c10.key" \
	--out-cert "$T/c10.pem" --out-chain "$T/c10-chain.pem" 2>"$T/err" ||
	fail "midpki est serverkeygen --encrypt-key: $(cat "$T/err")"
expect_eq "client: key matches the certificate" "$(openssl pkey -in "$T/c10.key" -pubout)" \
	"$(openssl x509 -in "$T/c10.pem" -pubkey -noout)"
expect_eq "client: key mode 0600" "$(stat -c %a "$T/c10.key")" 600
expect_eq "client: certificate verifies with the chain" \
	"$(openssl verify -CAfile "$T/c10-chain.pem" "$T/c10.pem" 2>&1)" "$T/c10.pem: OK"
DEV=$(device_in "$ACME" CS-11)
MIDPKI_EST_TOKEN=$(token "$DEV") est serverkeygen --server "$SERVER" --trust "$I_STATE/trust.pem" \
	--serial CS-11 --out-key "$T/c11.key" --out-cert "$T/c11.pem" 2>"$T/err" ||
	fail "midpki est serverkeygen: $(cat "$T/err")"
expect_eq "client, key in TLS only: key matches" "$(openssl pkey -in "$T/c11.key" -pubout)" \
	"$(openssl x509 -in "$T/c11.pem" -pubkey -noout)"
est serverkeygen --server "$SERVER" --trust "$I_STATE/trust.pem" --serial CS-11 --token x \
	--encrypt-key --out-key "$T/x.key" --out-cert "$T/x.pem" 2>/dev/null
expect_eq "client: --encrypt-key without --cert" "$?" 2
# a profile that links the request to the TLS channel: --channel-binding (TLS 1.2 and 1.3)
BOUND_BODY=$(builtin_body iec62351-device | python3 -c 'import json,sys; b=json.load(sys.stdin); b["channel_binding"]="required"; print(json.dumps(b))')
r=$(api "$KEY" POST /profiles "{\"tenant\":\"$ACME\",\"name\":\"bound\",\"body\":$BOUND_BODY}")
expect_api "profile with channel binding" "$r" 201
PROFILE=$(field "${r#* }" id)
n=12
for tls in "" --tls1.2; do
	DEV=$(device_in "$ACME" "CS-$n")
	MIDPKI_EST_TOKEN=$(token "$DEV") est serverkeygen --server "$SERVER" --trust "$I_STATE/trust.pem" \
		--serial "CS-$n" --channel-binding $tls --out-key "$T/c$n.key" --out-cert "$T/c$n.pem" 2>"$T/err" ||
		fail "midpki est serverkeygen --channel-binding $tls: $(cat "$T/err")"
	ok "client: serverkeygen with the channel binding ${tls:-(TLS 1.3)}"
	n=$((n + 1))
done
DEV=$(device_in "$ACME" "CS-$n")
MIDPKI_EST_TOKEN=$(token "$DEV") est serverkeygen --server "$SERVER" --trust "$I_STATE/trust.pem" \
	--serial "CS-$n" --out-key "$T/x.key" --out-cert "$T/x.pem" 2>"$T/err"
expect_eq "client: serverkeygen without the channel binding the profile requires" "$?" 3
expect_contains "client: channel binding reason" "$(cat "$T/err")" "challengePassword"
MIDPKI_EST_TOKEN=spent est serverkeygen --server "$SERVER" --trust "$I_STATE/trust.pem" \
	--serial CS-11 --out-key "$T/x.key" --out-cert "$T/x.pem" 2>"$T/err"
expect_eq "client: a refused request" "$?" 3
expect_contains "client: the server's reason" "$(cat "$T/err")" "HTTP 401"
stop_instance
