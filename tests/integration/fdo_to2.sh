#!/bin/bash
# FDO owner onboarding (docs/fdo.md, "Owner onboarding") on the FDO listener
# with the test device in C (tests/integration/fdo_device.c): a device made by
# DI, its voucher extended to the tenant's owner key; in TO2.ProveOVHdr the
# owner proves it holds the voucher (signed by that key, the device's nonce,
# the hash of TO2.HelloDevice) and the device fetches each entry and verifies
# the voucher with its HMAC secret, with ECDH256 and ECDH384; then the device
# proves itself, the session is encrypted, the credential replaced (the
# stored voucher has the new GUID and verifies with the device's secret) and
# the device gets the EST server, the trust anchor and an enrollment token.
# Refused with the FDO error message: another key exchange or cipher, a GUID
# we hold no voucher of, a voucher extended to someone else, an entry past
# the last, TO2.GetOVNextEntry without a session, a stored voucher whose
# entry was tampered with, TO2.ProveDevice signed by another key, no devmod,
# a replayed TO2.Done.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

fdo_start to2
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
ALICE=$(user_key "$ACME" alice tenant-admin)
fdo_device_profile "$ALICE"
fdo_device_profile "$ALICE" iec62351-device
for s in CS-300 CS-301; do
	expect_api "register $s" "$(api "$ALICE" POST /devices "{\"serial\":\"$s\",\"model\":\"Charger-22\"}")" 201
done
expect_api "manufacturer key" \
	"$(api "$ALICE" POST /fdo/keys '{"role":"manufacturer","algorithm":"ec-p256"}')" 201
r=$(api "$ALICE" POST /fdo/keys '{"role":"owner","algorithm":"ec-p256"}')
expect_api "owner key" "$r" 201
OWNER_PEM=$(field "${r#* }" public_key_pem)
G0=$("$MIDPKI_BIN" fdo device di --server "$URL" --serial CS-300 --device-info Charger-22 --credential "$T/cred0") || fail "DI: $G0"
G1=$("$MIDPKI_BIN" fdo device di --server "$URL" --serial CS-301 --device-info Charger-22 --credential "$T/cred1") || fail "DI: $G1"

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

flip() { # flip GUID: alters (or restores) a byte of the last entry's signature
	psql -Atc "update fdo_vouchers set voucher = set_byte(voucher, length(voucher) - 5,
		get_byte(voucher, length(voucher) - 5) # 1) where guid = '$1'" >/dev/null
}
flip "$G0"
out=$("$FDO_DEVICE" to2 "$T/cred0" "$URL" ECDH256 ok 2>&1)
expect_contains "a stored voucher whose entry was tampered with" "$out" \
	"error 2 (HTTP 400): the stored voucher: voucher entry 0: not signed by the manufacturer key"
flip "$G0"

# the rest of TO2
out=$("$FDO_DEVICE" to2 "$T/cred0" "$URL" ECDH256 attest 2>&1)
expect_contains "TO2.ProveDevice signed by another key" "$out" \
	"error 101 (HTTP 401): TO2.ProveDevice is not signed by the device's attestation key"
out=$("$FDO_DEVICE" to2 "$T/cred0" "$URL" ECDH256 nodevmod 2>&1)
expect_contains "no devmod ServiceInfo" "$out" "error 100 (HTTP 400): the device sent no devmod ServiceInfo"
expect_eq "no enrollment token yet" "$(psql -Atc "select count(*) from enrollment_tokens")" 0
out=$("$FDO_DEVICE" to2 "$T/cred0" "$URL" ECDH256 replay 2>&1)
expect_contains "TO2 onboarding: the owner's ServiceInfo, EST server" "$out" \
	"midpki:est_url: https://127.0.0.1:8443"
expect_contains "TO2 onboarding: trust anchor" "$out" "midpki:trust_anchor: -----BEGIN CERTIFICATE-----"
expect_contains "TO2 onboarding: enrollment token" "$out" "midpki:enrollment_token: mpe_"
expect_contains "TO2 onboarding: done" "$out" "onboarded: GUID "
expect_contains "TO2.Done replayed" "$out" "error 101 (HTTP 401): no TO2 session of this token (or it expired)"
NEW=$(printf '%s\n' "$out" | sed -n 's/^onboarded: GUID //p')
[ -n "$NEW" ] && [ "$NEW" != "$G0" ] || fail "no new GUID: $out"
expect_eq "the device carries the new GUID" \
	"$(psql -Atc "select fdo_guid from devices where serial = 'CS-300'")" "$NEW"
expect_api "no voucher of the old GUID" "$(api "$ALICE" GET "/fdo/vouchers/$G0")" 404
r=$(api "$ALICE" GET "/fdo/vouchers/$NEW")
expect_api "the replacement voucher" "$r" 200
expect_eq "replacement: no entries" "$(field "${r#* }" entries)" 0
admin_curl "$API/fdo/vouchers/$NEW" -H "Authorization: Bearer $ALICE" -H 'Accept: application/cbor' \
	-o "$T/new.cbor"
expect_eq "the device verifies the replacement voucher with its HMAC secret" \
	"$("$FDO_DEVICE" check "$T/cred0" "$T/new.cbor")" "ok: 0 entries, DeviceInfo Charger-22"
expect_eq "its manufacturer key is the owner key" \
	"$(psql -Atc "select v.owner_key_sha256 = f.public_key_sha256 from fdo_vouchers v, fdo_keys f where v.guid = '$NEW' and f.role = 'owner'")" t
expect_eq "one enrollment token for the device" \
	"$(psql -Atc "select count(*) from enrollment_tokens t join devices d on d.id = t.device_id where d.serial = 'CS-300'")" 1
expect_eq "audit: fdo_voucher.replace by the device" \
	"$(psql -Atc "select actor_kind || ' ' || (details->>'previous_guid') from audit where action = 'fdo_voucher.replace' and object_id = '$NEW'")" \
	"device $G0"
out=$("$FDO_DEVICE" to2 "$T/cred0" "$URL" ECDH256 ok 2>&1)
expect_contains "TO2 again: the replacement is not extended yet" "$out" \
	"error 2 (HTTP 403): the voucher of GUID $NEW has not been extended to an owner"
stop_instance
