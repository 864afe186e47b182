#!/bin/bash
# FDO Device Initialize (docs/fdo.md) on the FDO listener with a test device
# in C (tests/integration/fdo_device.c): the device's attestation
# certificate issued under the manufacturer tenant's fdo-device profile, the
# voucher built with its manufacturer key and stored as the device's; the
# device verifies the stored voucher fully with its own HMAC secret, before
# and after the voucher is extended to an owner. Refused with the FDO error
# message: an unregistered serial, a device initialized already, a replayed
# DI.SetHMAC, a body that is not CBOR, a message type DI does not take.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

fdo_start di

out=$("$MIDPKI_BIN" fdo device di --server "$URL" --serial CS-100 --device-info Charger-22 --credential "$T/cred" 2>&1)
expect_contains "DI before the tenant exists" "$out" "error 500"

r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
ALICE=$(user_key "$ACME" alice tenant-admin)
fdo_device_profile "$ALICE"
expect_api "register the device" \
	"$(api "$ALICE" POST /devices '{"serial":"CS-100","model":"Charger-22"}')" 201

out=$("$MIDPKI_BIN" fdo device di --server "$URL" --serial CS-100 --device-info Charger-22 --credential "$T/cred" 2>&1)
expect_contains "DI without a manufacturer key" "$out" "error 6 (HTTP 404): the manufacturer has no SECP256R1 key"
expect_eq "the failed DI left no voucher" "$(psql -Atc "select count(*) from fdo_vouchers")" 0
expect_api "manufacturer key" \
	"$(api "$ALICE" POST /fdo/keys '{"role":"manufacturer","algorithm":"ec-p256"}')" 201
expect_eq "the device got no GUID from the failed DI" \
	"$(psql -Atc "select fdo_guid is null from devices where serial = 'CS-100'")" t

GUID=$("$MIDPKI_BIN" fdo device di --server "$URL" --serial CS-100 --device-info Charger-22 --credential "$T/cred") || fail "DI: $GUID"
ok "DI ran: voucher $GUID"
expect_eq "the credential is the device's only" "$(stat -c %a "$T/cred")" 600
r=$(api "$ALICE" GET "/fdo/vouchers/$GUID")
expect_api "the voucher is stored" "$r" 200
expect_eq "origin" "$(field "${r#* }" origin)" manufactured
expect_eq "serial" "$(field "${r#* }" serial)" CS-100
expect_eq "device info" "$(field "${r#* }" device_info)" Charger-22
expect_eq "entries" "$(field "${r#* }" entries)" 0
expect_eq "the device carries the GUID" \
	"$(psql -Atc "select fdo_guid from devices where serial = 'CS-100'")" "$GUID"
expect_eq "its attestation certificate under fdo-device" \
	"$(psql -Atc "select count(*) from certificates c join identities i on i.id = c.id join devices d on d.id = i.device_id join profiles p on p.id = i.profile_id where d.serial = 'CS-100' and p.name = 'fdo-device'")" 1
admin_curl "$API/fdo/vouchers/$GUID" -H "Authorization: Bearer $ALICE" -H 'Accept: application/cbor' \
	-o "$T/v0.cbor"
expect_eq "the device verifies the voucher with its HMAC secret" \
	"$("$FDO_DEVICE" check "$T/cred" "$T/v0.cbor")" "ok: 0 entries, DeviceInfo Charger-22"

# the device certificate in the voucher chains to the platform root
python3 - "$T/v0.cbor" "$T" <<'PY'
import sys, base64
d = open(sys.argv[1], "rb").read()
def head(i):
    ib = d[i]; ai = ib & 31; i += 1
    if ai < 24: return ib >> 5, ai, i
    n = {24: 1, 25: 2, 26: 4, 27: 8}[ai]
    return ib >> 5, int.from_bytes(d[i:i + n], "big"), i + n
def skip(i):
    mt, v, i = head(i)
    if mt in (2, 3): return i + v
    if mt == 4:
        for _ in range(v): i = skip(i)
    if mt == 5:
        for _ in range(2 * v): i = skip(i)
    if mt == 6: i = skip(i)
    return i
i = head(0)[2]
for _ in range(3): i = skip(i)
mt, n, i = head(i)
pems = []
for k in range(n):
    mt, v, i = head(i)
    der = d[i:i + v]; i += v
    pems.append("-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der).decode() + "-----END CERTIFICATE-----\n")
open(sys.argv[2] + "/leaf.pem", "w").write(pems[0])
open(sys.argv[2] + "/chain.pem", "w").write("".join(pems[1:]))
PY
expect_eq "openssl verifies the device certificate" \
	"$(openssl verify -CAfile "$I_STATE/trust.pem" -untrusted "$T/chain.pem" "$T/leaf.pem" 2>&1)" \
	"$T/leaf.pem: OK"

# refusals, each an FDO error message
out=$("$FDO_DEVICE" again "$T/cred" "$URL" 2>&1)
expect_contains "DI.SetHMAC replayed" "$out" \
	"error 101 (HTTP 401): no Device Initialize session of this token (or it expired)"
out=$("$MIDPKI_BIN" fdo device di --server "$URL" --serial CS-100 --device-info Charger-22 --credential "$T/cred2" 2>&1)
expect_contains "a device initialized already" "$out" "error 101 (HTTP 409): the device has been initialized already"
"$MIDPKI_BIN" fdo device di --server "$URL" --serial CS-404 --credential "$T/cred3" >/dev/null 2>&1
expect_eq "a refusal exits 3" "$?" 3
"$MIDPKI_BIN" fdo device di --server "$URL" --serial CS-404 >/dev/null 2>&1
expect_eq "no --credential: usage, exit 2" "$?" 2
out=$("$MIDPKI_BIN" fdo device di --server "$URL" --serial CS-404 --device-info Charger-22 --credential "$T/cred3" 2>&1)
expect_contains "an unregistered serial" "$out" \
	"error 6 (HTTP 404): no device of this serial number is registered with the manufacturer"
expect_eq "not CBOR" "$(fdo_post 10 application/json 7b7d)" "415 255"
expect_eq "a message this server does not take" "$(fdo_post 72 application/cbor 80)" "404 255"
expect_eq "DI.AppStart of the wrong shape" "$(fdo_post 10 application/cbor 80)" "400 255"
expect_eq "DI.SetHMAC without a token" "$(fdo_post 12 application/cbor 818205420000)" "401 255"

# extended to an owner, the voucher still verifies for the device
expect_api "owner key" "$(api "$ALICE" POST /fdo/keys '{"role":"owner","algorithm":"ec-p256"}')" 201
openssl ecparam -name prime256v1 -genkey -noout -out "$T/owner.key" 2>/dev/null
openssl ec -in "$T/owner.key" -pubout -out "$T/owner.pem" 2>/dev/null
r=$(api "$ALICE" POST "/fdo/vouchers/$GUID/extend" \
	"$(python3 -c 'import json,sys; print(json.dumps({"owner_public_key_pem": open(sys.argv[1]).read()}))' "$T/owner.pem")")
expect_api "extend the manufactured voucher" "$r" 200
admin_curl "$API/fdo/vouchers/$GUID" -H "Authorization: Bearer $ALICE" -H 'Accept: application/cbor' \
	-o "$T/v1.cbor"
expect_eq "the device verifies the extended voucher" \
	"$("$FDO_DEVICE" check "$T/cred" "$T/v1.cbor")" "ok: 1 entries, DeviceInfo Charger-22"

expect_eq "audit: fdo_voucher.manufacture by the device" \
	"$(psql -Atc "select actor_kind from audit where action = 'fdo_voucher.manufacture' and object_id = '$GUID'")" device
expect_eq "no DI session left" "$(psql -Atc "select count(*) from fdo_di_sessions")" 0
stop_instance
