#!/bin/bash
# FDO from the factory to an operational certificate (docs/fdo.md, "The device
# client"): `midpki fdo device di`, the voucher extended to the tenant's owner
# key, TO0 by the owner (the test device, signing with that key), then
# `midpki fdo device onboard`: TO1 with the rendezvous server of the
# credential, TO2 with the owner it names, the credential replaced, and the
# EST enrollment with the owner's ServiceInfo; the certificate in DIR verifies
# with the chain and OCSP says good. Onboarding again with the old credential,
# or with the new one before any TO0, is refused (exit 3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance onboard
start_instance MIDPKI_FDO_MANUFACTURER_TENANT=acme MIDPKI_FDO_RENDEZVOUS_PORT="$FDO_PORT" \
	MIDPKI_FDO_EST_URL="https://127.0.0.1:$EST_PORT"
ADMIN_KEY=$(cat "$I_STATE/admin.key")
URL="http://127.0.0.1:$FDO_PORT"

r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
ALICE=$(user_key "$ACME" alice tenant-admin)
fdo_device_profile "$ALICE"
fdo_device_profile "$ALICE" iec62351-device
expect_api "register CS-400" \
	"$(api "$ALICE" POST /devices '{"serial":"CS-400","model":"Charger-22"}')" 201
expect_api "manufacturer key" \
	"$(api "$ALICE" POST /fdo/keys '{"role":"manufacturer","algorithm":"ec-p256"}')" 201
openssl ecparam -name prime256v1 -genkey -noout -out "$T/owner.key" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$T/owner.key" -out "$T/owner.p8" 2>/dev/null
openssl ec -in "$T/owner.key" -pubout -out "$T/owner.pem" 2>/dev/null
r=$(api "$ALICE" POST /fdo/keys \
	"$(python3 -c 'import json,sys; print(json.dumps({"role": "owner", "private_key_pem": open(sys.argv[1]).read()}))' "$T/owner.p8")")
expect_api "the tenant's owner key, imported" "$r" 201
OWNER_KEY=$(field "${r#* }" id)
r=$(api "$ALICE" POST /fdo/keys '{"role":"owner","algorithm":"ec-p384"}')
expect_api "an owner key of P-384" "$r" 201
OWNER_P384=$(field "${r#* }" id)
expect_api "register CS-401" "$(api "$ALICE" POST /devices '{"serial":"CS-401"}')" 201
expect_api "register CS-402" "$(api "$ALICE" POST /devices '{"serial":"CS-402"}')" 201

G0=$("$MIDPKI_BIN" fdo device di --server "$URL" --serial CS-400 --device-info Charger-22 \
	--credential "$T/cred") || fail "DI: $G0"
cp "$T/cred" "$T/cred.old"
expect_api "extend the voucher to the owner key" "$(api "$ALICE" POST "/fdo/vouchers/$G0/extend" \
	"$(python3 -c 'import json,sys; print(json.dumps({"owner_public_key_pem": open(sys.argv[1]).read()}))' "$T/owner.pem")")" 200
admin_curl "$API/fdo/vouchers/$G0" -H "Authorization: Bearer $ALICE" -H 'Accept: application/cbor' \
	-o "$T/v.cbor"
expect_eq "TO0: the owner is at the FDO listener" \
	"$("$FDO_DEVICE" to0 "$URL" "$T/v.cbor" "$T/owner.key" 127.0.0.1 "$FDO_PORT" 3600 ok)" \
	"accepted for 3600 s"

"$MIDPKI_BIN" fdo device onboard --credential "$T/cred" --out "$T/dev" >"$T/out" 2>"$T/err"
expect_eq "onboard: exit 0" "$?" 0
NEW=$(cat "$T/out")
[ -n "$NEW" ] && [ "$NEW" != "$G0" ] || fail "onboard printed no new GUID: $(cat "$T/out" "$T/err")"
expect_eq "the device carries the new GUID" \
	"$(psql -Atc "select fdo_guid from devices where serial = 'CS-400'")" "$NEW"
expect_eq "the credential file is the new one" \
	"$("$FDO_DEVICE" to2 "$T/cred" "$URL" ECDH256 ok 2>&1)" \
	"error 2 (HTTP 403): the voucher of GUID $NEW has not been extended to an owner"
expect_eq "the credential stays 0600" "$(stat -c %a "$T/cred")" 600
expect_eq "the key is 0600" "$(stat -c %a "$T/dev/key.pem")" 600
[ -e "$T/dev/enrollment-token" ] && fail "the spent enrollment token was left in DIR"
openssl verify -CAfile "$T/dev/trust.pem" -untrusted "$T/dev/chain.pem" "$T/dev/cert.pem" \
	>/dev/null || fail "the certificate does not verify with the chain"
ok "openssl verify: the certificate verifies with the chain"
expect_eq "the certificate is the device's" \
	"$(openssl x509 -in "$T/dev/cert.pem" -noout -subject -nameopt RFC2253)" "subject=serialNumber=CS-400,CN=CS-400"
SER=$(openssl x509 -in "$T/dev/cert.pem" -noout -serial | sed 's/^serial=//' | tr A-F a-f)
expect_eq "issued to the device record" "$(psql -Atc "select d.serial from certificates c
	join identities i on i.id = c.id join devices d on d.id = i.device_id
	where encode(c.serial, 'hex') = '$SER'")" CS-400
openssl x509 -in "$T/dev/chain.pem" -out "$T/issuer.pem" || fail "issuer certificate"
cat "$T/dev/trust.pem" "$T/dev/chain.pem" >"$T/cafile.pem"
got=""
for i in $(seq 100); do
	got=$(openssl ocsp -issuer "$T/issuer.pem" -cert "$T/dev/cert.pem" \
		-url "http://127.0.0.1:$OCSP_PORT/ocsp" -CAfile "$T/cafile.pem" -no_nonce 2>/dev/null |
		sed -n "s|^$T/dev/cert.pem: ||p")
	[ "$got" = good ] && break
	sleep 0.1
done
expect_eq "openssl ocsp: good" "$got" good

"$MIDPKI_BIN" fdo device onboard --credential "$T/cred.old" --out "$T/dev2" >"$T/out" 2>"$T/err"
expect_eq "onboard again with the old credential: exit 3" "$?" 3
expect_contains "refused by the owner" "$(cat "$T/err")" \
	"error 6 (HTTP 404): this owner holds no voucher of GUID $G0"
"$MIDPKI_BIN" fdo device onboard --credential "$T/cred" --out "$T/dev2" >"$T/out" 2>"$T/err"
expect_eq "onboard with the new credential before TO0: exit 3" "$?" 3
expect_contains "refused by the rendezvous server" "$(cat "$T/err")" \
	"error 6 (HTTP 404): no owner has registered GUID $NEW (TO0), or it expired"
"$MIDPKI_BIN" fdo device onboard --credential "$T/cred" >/dev/null 2>&1
expect_eq "onboard without --out: exit 2" "$?" 2
stop_instance

# The tenant is the owner too ([fdo] owner_key): DI.Done leaves the voucher
# extended to the owner key and registered, and the device onboards at once.
# An owner_key of no owner key, or of a key of another type than the
# manufacturer key, fails DI.SetHMAC and leaves no voucher; DI may run again.
NOKEY=00000000-0000-4000-8000-000000000000
for bad in "$NOKEY|[fdo] owner_key names no FDO owner key of the manufacturer tenant" \
	"$OWNER_P384|next owner key: not of the manufacturer key's type and size"; do
	start_instance MIDPKI_FDO_MANUFACTURER_TENANT=acme MIDPKI_FDO_RENDEZVOUS_PORT="$FDO_PORT" \
		MIDPKI_FDO_EST_URL="https://127.0.0.1:$EST_PORT" MIDPKI_FDO_OWNER_KEY="${bad%%|*}"
	"$MIDPKI_BIN" fdo device di --server "$URL" --serial CS-402 --device-info Charger-22 \
		--credential "$T/cred402" >/dev/null 2>"$T/err"
	expect_eq "DI with owner_key ${bad%%|*}: exit 3" "$?" 3
	expect_contains "refused, saying why" "$(cat "$T/err")" "error 500 (HTTP 500): ${bad#*|}"
	expect_eq "and no voucher stored" \
		"$(psql -Atc "select count(*) from fdo_vouchers v join devices d on d.id = v.device_id
		where d.serial = 'CS-402'")" 0
	stop_instance
done
start_instance MIDPKI_FDO_MANUFACTURER_TENANT=acme MIDPKI_FDO_RENDEZVOUS_PORT="$FDO_PORT" \
	MIDPKI_FDO_EST_URL="https://127.0.0.1:$EST_PORT" MIDPKI_FDO_OWNER_KEY="$OWNER_KEY" \
	MIDPKI_FDO_OWNER_PORT="$FDO_PORT" MIDPKI_FDO_OWNER_WAIT=2h
G1=$("$MIDPKI_BIN" fdo device di --server "$URL" --serial CS-401 --device-info Charger-22 \
	--credential "$T/cred401") || fail "DI: $G1"
expect_eq "the voucher is extended to the owner key" \
	"$(psql -Atc "select v.entries, v.owner_key_sha256 = k.public_key_sha256 from fdo_vouchers v,
	fdo_keys k where v.guid = '$G1' and k.id = '$OWNER_KEY'")" "1|t"
expect_eq "registered with the rendezvous server for owner_wait" \
	"$(psql -Atc "select tenant_id = '$ACME', expires_at - now() between '1h59m' and '2h'
	from fdo_rv_blobs where guid = '$G1'")" "t|t"
expect_eq "audited: manufacture, extend (by the device), register (by the owner key)" \
	"$(psql -Atc "select action || ' ' || actor_kind from audit where object_id = '$G1'
	and action like 'fdo_%' order by id")" "fdo_voucher.manufacture device
fdo_voucher.extend device
fdo_rv.register system"
"$MIDPKI_BIN" fdo device di --server "$URL" --serial CS-402 --device-info Charger-22 \
	--credential "$T/cred402" >/dev/null || fail "DI again of CS-402 after a refused one"
expect_eq "CS-402: DI again, its voucher extended" \
	"$(psql -Atc "select v.entries from fdo_vouchers v join devices d on d.id = v.device_id
	where d.serial = 'CS-402'")" 1
"$MIDPKI_BIN" fdo device onboard --credential "$T/cred401" --out "$T/dev401" >"$T/out" 2>"$T/err"
expect_eq "onboard at once, with no extend and no TO0: exit 0" "$?" 0
expect_eq "the device carries the new GUID" \
	"$(psql -Atc "select fdo_guid from devices where serial = 'CS-401'")" "$(cat "$T/out")"
openssl verify -CAfile "$T/dev401/trust.pem" -untrusted "$T/dev401/chain.pem" \
	"$T/dev401/cert.pem" >/dev/null || fail "the certificate of CS-401 does not verify"
ok "openssl verify: the certificate of CS-401 verifies with the chain"
stop_instance

# The FDO listener over TLS: the voucher's rendezvous address and the owner's
# address say https, and the device speaks it for DI, TO1 and TO2.
start_instance MIDPKI_FDO_MANUFACTURER_TENANT=acme MIDPKI_FDO_RENDEZVOUS_PORT="$FDO_PORT" \
	MIDPKI_FDO_EST_URL="https://127.0.0.1:$EST_PORT" MIDPKI_FDO_OWNER_KEY="$OWNER_KEY" \
	MIDPKI_FDO_OWNER_PORT="$FDO_PORT" MIDPKI_FDO_TLS=true MIDPKI_FDO_RENDEZVOUS_PROTOCOL=https
expect_api "register CS-403" "$(api "$ALICE" POST /devices '{"serial":"CS-403"}')" 201
"$MIDPKI_BIN" fdo device di --server "http://127.0.0.1:$FDO_PORT" --serial CS-403 \
	--credential "$T/cred403" >/dev/null 2>"$T/err"
expect_eq "DI in plain HTTP against the TLS listener: refused" "$?" 1
G3=$("$MIDPKI_BIN" fdo device di --server "https://127.0.0.1:$FDO_PORT" --serial CS-403 \
	--credential "$T/cred403") || fail "DI over https: $G3"
"$MIDPKI_BIN" fdo device onboard --credential "$T/cred403" --out "$T/dev403" >"$T/out" 2>"$T/err"
expect_eq "onboard over https (TO1, TO2): exit 0" "$?" 0
expect_eq "CS-403 carries the new GUID" \
	"$(psql -Atc "select fdo_guid from devices where serial = 'CS-403'")" "$(cat "$T/out")"
openssl verify -CAfile "$T/dev403/trust.pem" -untrusted "$T/dev403/chain.pem" \
	"$T/dev403/cert.pem" >/dev/null || fail "the certificate of CS-403 does not verify"
ok "openssl verify: the certificate of CS-403 (onboarded over https) verifies with the chain"
stop_instance
