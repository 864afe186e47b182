#!/bin/bash
# FDO rendezvous (docs/fdo.md, "Rendezvous") on the FDO listener with the test
# device in C (tests/integration/fdo_device.c): a device made by DI, its
# voucher extended to an owner key held by the test; TO0 registers the owner's
# address signed by that key, TO1 gives it to the device that proves itself
# with its attestation key. Refused with the FDO error message: TO1 before
# TO0 or after the registration expired, a voucher not extended, a wrong
# nonce, a wrong To0d hash, a To1d signed by another key, a replayed
# TO0.OwnerSign or TO1.ProveToRV, an EAT signed by another key or naming
# another GUID, an unsupported signature type, a voucher of no tenant here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

fdo_start rv

r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
ALICE=$(user_key "$ACME" alice tenant-admin)
fdo_device_profile "$ALICE"
expect_api "register the device" \
	"$(api "$ALICE" POST /devices '{"serial":"CS-200","model":"Charger-22"}')" 201
expect_api "manufacturer key" \
	"$(api "$ALICE" POST /fdo/keys '{"role":"manufacturer","algorithm":"ec-p256"}')" 201
GUID=$("$MIDPKI_BIN" fdo device di --server "$URL" --serial CS-200 --device-info Charger-22 --credential "$T/cred") || fail "DI: $GUID"
ok "DI ran: voucher $GUID"

voucher() { # voucher FILE: the stored voucher as CBOR
	admin_curl "$API/fdo/vouchers/$GUID" -H "Authorization: Bearer $ALICE" \
		-H 'Accept: application/cbor' -o "$1"
}
voucher "$T/v0.cbor"

out=$("$FDO_DEVICE" to1 "$T/cred" "$URL" ok 2>&1)
expect_contains "TO1 before any TO0" "$out" "error 6 (HTTP 404): no owner has registered GUID $GUID (TO0), or it expired"

openssl ecparam -name prime256v1 -genkey -noout -out "$T/owner.key" 2>/dev/null
openssl ec -in "$T/owner.key" -pubout -out "$T/owner.pem" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$T/other.key" 2>/dev/null

out=$("$FDO_DEVICE" to0 "$URL" "$T/v0.cbor" "$T/owner.key" owner.example 8043 3600 ok 2>&1)
expect_contains "TO0 of a voucher not extended" "$out" \
	"error 2 (HTTP 403): To0d: the voucher has not been extended to an owner"

r=$(api "$ALICE" POST "/fdo/vouchers/$GUID/extend" \
	"$(python3 -c 'import json,sys; print(json.dumps({"owner_public_key_pem": open(sys.argv[1]).read()}))' "$T/owner.pem")")
expect_api "extend the voucher to the owner" "$r" 200
voucher "$T/v1.cbor"

out=$("$FDO_DEVICE" to0 "$URL" "$T/v1.cbor" "$T/owner.key" owner.example 8043 3600 nonce 2>&1)
expect_contains "TO0 with another nonce" "$out" \
	"error 101 (HTTP 401): To0d: NonceTO0Sign is not the nonce of TO0.HelloAck"
out=$("$FDO_DEVICE" to0 "$URL" "$T/v1.cbor" "$T/owner.key" owner.example 8043 3600 hash 2>&1)
expect_contains "TO0 with a wrong To0d hash" "$out" \
	"error 3 (HTTP 400): To1d: to1dTo0dHash is not the hash of To0d"
out=$("$FDO_DEVICE" to0 "$URL" "$T/v1.cbor" "$T/other.key" owner.example 8043 3600 ok 2>&1)
expect_contains "TO0 signed by a key that is not the owner's" "$out" \
	"error 3 (HTTP 400): To1d is not signed by the voucher's current owner key"
# the last entry's signature altered
python3 - "$T/v1.cbor" "$T/v1-bad.cbor" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[-5] ^= 1
open(sys.argv[2], "wb").write(d)
PY
out=$("$FDO_DEVICE" to0 "$URL" "$T/v1-bad.cbor" "$T/owner.key" owner.example 8043 3600 ok 2>&1)
expect_contains "TO0 of a tampered voucher" "$out" "error 3 (HTTP 400): To0d: voucher entry 0"
expect_eq "nothing registered yet" "$(psql -Atc "select count(*) from fdo_rv_blobs")" 0

expect_eq "TO0" "$("$FDO_DEVICE" to0 "$URL" "$T/v1.cbor" "$T/owner.key" owner.example 8043 3600 ok)" \
	"accepted for 3600 s"
expect_eq "registered for the GUID" \
	"$(psql -Atc "select tenant_id, expires_at > now() + interval '3500 s' from fdo_rv_blobs where guid = '$GUID'")" \
	"$ACME|t"
out=$("$FDO_DEVICE" to0 "$URL" "$T/v1.cbor" "$T/owner.key" owner.example 8043 3600 replay 2>&1)
expect_contains "TO0.OwnerSign replayed" "$out" "error 101 (HTTP 401): no TO0 session of this token (or it expired)"
expect_eq "TO0 again, asking for more than 30 days" \
	"$("$FDO_DEVICE" to0 "$URL" "$T/v1.cbor" "$T/owner.key" owner.example 8044 99999999 ok)" \
	"accepted for 2592000 s"
expect_eq "the later registration replaced the earlier" \
	"$(psql -Atc "select count(*) from fdo_rv_blobs")" 1

expect_eq "TO1" "$("$FDO_DEVICE" to1 "$T/cred" "$URL" ok)" "owner: owner.example:8044 protocol 3"
out=$("$FDO_DEVICE" to1 "$T/cred" "$URL" key 2>&1)
expect_contains "TO1 signed by another key" "$out" \
	"error 101 (HTTP 401): the EAT is not signed by the device's attestation key"
out=$("$FDO_DEVICE" to1 "$T/cred" "$URL" guid 2>&1)
expect_contains "TO1 naming another GUID" "$out" \
	"error 101 (HTTP 401): EAT: the UEID is not the GUID of TO1.HelloRV"
out=$("$FDO_DEVICE" to1 "$T/cred" "$URL" replay 2>&1)
expect_contains "TO1.ProveToRV replayed" "$out" "error 101 (HTTP 401): no TO1 session of this token (or it expired)"
G=$(printf '%s' "$GUID" | tr -d -)
expect_eq "TO1.HelloRV with RS256" "$(fdo_post 30 application/cbor "8250${G}8239010040")" "400 255"
expect_contains "TO1.HelloRV with RS256: the reason" "$(tr -c '[:print:]' ' ' <"$T/answer.bin")" \
	"eASigInfo: signature type -257 is not supported (ES256 -7 and ES384 -35 are)"
expect_eq "TO1.HelloRV of the wrong shape" "$(fdo_post 30 application/cbor 80)" "400 255"
expect_eq "TO0.Hello of the wrong shape" "$(fdo_post 20 application/cbor 8100)" "400 255"
expect_eq "TO0.OwnerSign without a token" "$(fdo_post 22 application/cbor 80)" "401 255"
expect_eq "TO1.ProveToRV without a token" "$(fdo_post 32 application/cbor 80)" "401 255"

expect_eq "audit: fdo_rv.register in the tenant's log" \
	"$(psql -Atc "select count(*) from audit where action = 'fdo_rv.register' and object_id = '$GUID' and tenant_id = '$ACME' and actor_kind = 'system'")" 3
expect_eq "no TO0 or TO1 session left in force" \
	"$(psql -Atc "select count(*) from fdo_rv_sessions")" 0

psql -Atc "update fdo_rv_blobs set expires_at = now() - interval '1 s'" >/dev/null
out=$("$FDO_DEVICE" to1 "$T/cred" "$URL" ok 2>&1)
expect_contains "TO1 after the registration expired" "$out" "error 6 (HTTP 404): no owner has registered GUID"

# a voucher whose manufacturer key and GUID are no tenant's
psql -Atc "update fdo_keys set role = 'owner' where role = 'manufacturer'; delete from fdo_vouchers" >/dev/null
out=$("$FDO_DEVICE" to0 "$URL" "$T/v1.cbor" "$T/owner.key" owner.example 8043 3600 ok 2>&1)
expect_contains "TO0 of a voucher of no tenant here" "$out" \
	"error 2 (HTTP 403): this rendezvous server serves the devices of its tenants only"
stop_instance
