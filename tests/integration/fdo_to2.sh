#!/bin/bash
# FDO owner onboarding (docs/fdo.md, "Owner onboarding"), its first part on
# the FDO listener with the test device in C (tests/integration/fdo_device.c):
# a device made by DI, its voucher extended to the tenant's owner key; in
# TO2.ProveOVHdr the owner proves it holds the voucher (signed by that key,
# the device's nonce, the hash of TO2.HelloDevice) and the device fetches
# each entry and verifies the voucher with its HMAC secret, with ECDH256 and
# ECDH384. Refused with the FDO error message: another key exchange or
# cipher, a GUID we hold no voucher of, a voucher extended to someone else,
# an entry past the last, TO2.GetOVNextEntry without a session, a stored
# voucher whose entry was tampered with.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

fdo_start to2
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
ALICE=$(user_key "$ACME" alice tenant-admin)
fdo_device_profile "$ALICE"
for s in CS-300 CS-301; do
	expect_api "register $s" "$(api "$ALICE" POST /devices "{\"serial\":\"$s\",\"model\":\"Charger-22\"}")" 201
done
expect_api "manufacturer key" \
	"$(api "$ALICE" POST /fdo/keys '{"role":"manufacturer","algorithm":"ec-p256"}')" 201
r=$(api "$ALICE" POST /fdo/keys '{"role":"owner","algorithm":"ec-p256"}')
expect_api "owner key" "$r" 201
OWNER_PEM=$(field "${r#* }" public_key_pem)
G0=$("$FDO_DEVICE" di "$URL" CS-300 Charger-22 "$T/cred0") || fail "DI: $G0"
G1=$("$FDO_DEVICE" di "$URL" CS-301 Charger-22 "$T/cred1") || fail "DI: $G1"

extend() { # extend GUID PEM
	api "$ALICE" POST "/fdo/vouchers/$1/extend" \
		"$(python3 -c 'import json,sys; print(json.dumps({"owner_public_key_pem": sys.argv[1]}))' "$2")"
}
out=$("$FDO_DEVICE" to2 "$T/cred0" "$URL" ECDH256 ok 2>&1)
expect_contains "TO2 of a voucher not extended" "$out" \
	"error 2 (HTTP 403): the voucher of GUID $G0 has not been extended to an owner"
expect_api "extend CS-300's voucher to the tenant's owner key" "$(extend "$G0" "$OWNER_PEM")" 200
openssl ecparam -name prime256v1 -genkey -noout -out "$T/other.key" 2>/dev/null
openssl ec -in "$T/other.key" -pubout -out "$T/other.pem" 2>/dev/null
expect_api "extend CS-301's voucher to someone else" "$(extend "$G1" "$(cat "$T/other.pem")")" 200

expect_eq "TO2 ProveOVHdr, ECDH256" "$("$FDO_DEVICE" to2 "$T/cred0" "$URL" ECDH256 ok)" \
	"ok: the owner proved the voucher of 1 entries"
expect_eq "TO2 ProveOVHdr, ECDH384" "$("$FDO_DEVICE" to2 "$T/cred0" "$URL" ECDH384 ok)" \
	"ok: the owner proved the voucher of 1 entries"
expect_eq "a TO2 session per HelloDevice" "$(psql -Atc "select count(*) from fdo_to2_sessions where guid = '$G0'")" 2
expect_eq "the ephemeral keys are sealed, not in clear" \
	"$(psql -Atc "select count(*) from fdo_to2_sessions where position('\\x3077'::bytea in kex_key_sealed) = 1")" 0

out=$("$FDO_DEVICE" to2 "$T/cred0" "$URL" DHKEXid14 ok 2>&1)
expect_contains "another key exchange" "$out" \
	"error 100 (HTTP 400): key exchange DHKEXid14 is not supported (ECDH256 and ECDH384 are)"
out=$("$FDO_DEVICE" to2 "$T/cred0" "$URL" ECDH256 cipher 2>&1)
expect_contains "another cipher" "$out" \
	"error 100 (HTTP 400): cipher suite 32 is not supported (A128GCM 1 and A256GCM 3 are)"
out=$("$FDO_DEVICE" to2 "$T/cred0" "$URL" ECDH256 guid 2>&1)
expect_contains "a GUID we hold no voucher of" "$out" "error 6 (HTTP 404): this owner holds no voucher of GUID"
out=$("$FDO_DEVICE" to2 "$T/cred1" "$URL" ECDH256 ok 2>&1)
expect_contains "a voucher extended to someone else" "$out" \
	"error 2 (HTTP 403): the voucher of GUID $G1 is extended to an owner key that is not ours"
out=$("$FDO_DEVICE" to2 "$T/cred0" "$URL" ECDH256 entry 2>&1)
expect_contains "an entry past the last" "$out" "error 100 (HTTP 400): OVEntryNum 1: the voucher has 1 entries"
expect_eq "TO2.GetOVNextEntry without a token" "$(fdo_post 62 application/cbor 8100)" "401 255"
expect_eq "TO2.HelloDevice of the wrong shape" "$(fdo_post 60 application/cbor 80)" "400 255"

psql -Atc "update fdo_vouchers set voucher = set_byte(voucher, length(voucher) - 5,
	get_byte(voucher, length(voucher) - 5) # 1) where guid = '$G0'" >/dev/null
out=$("$FDO_DEVICE" to2 "$T/cred0" "$URL" ECDH256 ok 2>&1)
expect_contains "a stored voucher whose entry was tampered with" "$out" \
	"error 2 (HTTP 400): the stored voucher: voucher entry 0: not signed by the manufacturer key"
stop_instance
