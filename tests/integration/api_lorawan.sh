#!/bin/bash
# Admin API for LoRaWAN: devices get root keys (imported or generated) that are
# stored sealed and never returned, peers get a token shown once and a KEK
# stored sealed; refusals name the field, tenants are isolated, every change
# is audited, and a device's joins are listed newest first.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance lorawan
start_instance
ADMIN_KEY=$(cat "$I_STATE/admin.key")

r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"globex"}'); GLOBEX=$(field "${r#* }" id)
ALICE_KEY=$(user_key "$ACME" alice tenant-admin)
OLGA_KEY=$(user_key "$ACME" olga operator)
AUDREY_KEY=$(user_key "$ACME" audrey auditor)
GUS_KEY=$(user_key "$GLOBEX" gus tenant-admin)
device() { # device KEY SERIAL: prints the new device's id
	local r
	r=$(api "$1" POST /devices "{\"serial\":\"$2\"}")
	expect_api "create device $2" "$r" 201 >/dev/null
	field "${r#* }" id
}
S1=$(device "$ALICE_KEY" sensor-1)
S2=$(device "$ALICE_KEY" sensor-2)
S3=$(device "$ALICE_KEY" sensor-3)
psql -qc "update devices set dev_eui = '00000000000000aa' where id = '$S3'"
S4=$(device "$ALICE_KEY" sensor-4)
G1=$(device "$GUS_KEY" g-1)

# a 1.0.2 device with a generated AppKey
r=$(api "$OLGA_KEY" POST /lorawan/devices "{\"device\":\"$S1\",\"dev_eui\":\"70B3D57ED0000001\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.0.2\"}")
expect_api "operator registers a 1.0.2 device" "$r" 201
b=${r#* }
L1=$(field "$b" id)
expect_eq "dev_eui in lower case" "$(field "$b" dev_eui)" 70b3d57ed0000001
expect_eq "join_eui" "$(field "$b" join_eui)" 70b3d57ed0000000
expect_eq "members" "$(jget "$b" 'sorted(d)')" \
	'["created_at", "dev_eui", "device_id", "home_net_id", "home_ns_id", "id", "join_eui", "join_nonce", "mac_version", "status", "tenant", "updated_at"]'
expect_eq "device, tenant, status, join_nonce" \
	"$(jget "$b" '[d["device_id"], d["tenant"], d["status"], d["join_nonce"]]')" "[\"$S1\", \"$ACME\", \"active\", 0]"
expect_eq "the engine device took the DevEUI" \
	"$(psql -Atc "select dev_eui from devices where id = '$S1'")" 70b3d57ed0000001
expect_eq "sealed root keys: nonce, 32 bytes, tag" \
	"$(psql -Atc "select octet_length(root_keys) from lorawan_devices where id = '$L1'")" 60

# a 1.1 device with imported keys: never stored or audited in clear
NWK=000102030405060708090A0B0C0D0E0F
APP=F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF
r=$(api "$ALICE_KEY" POST /lorawan/devices "{\"device\":\"$S2\",\"dev_eui\":\"70b3d57ed0000002\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.1\",\"nwk_key\":\"$NWK\",\"app_key\":\"$APP\"}")
expect_api "register a 1.1 device with its keys" "$r" 201
L2=$(field "${r#* }" id)
expect_eq "no key in the response" "$(jget "${r#* }" '[k for k in d if "key" in k]')" "[]"
expect_eq "neither key in the sealed bytes" "$(psql -Atc "select position(decode('$NWK', 'hex') in root_keys)
	+ position(decode('$APP', 'hex') in root_keys) from lorawan_devices where id = '$L2'")" 0
expect_eq "audited" "$(psql -Atc "select details->>'keys', details->>'mac_version', details->>'dev_eui', object_id
	from audit where action = 'lorawan_device.create' and object_id = '$L2'")" "imported|1.1|70b3d57ed0000002|$L2"
expect_eq "audit entries hold no key" "$(psql -Atc "select count(*) from audit where details::text ilike '%${NWK:8:12}%'
	or details::text ilike '%${APP:8:12}%'")" 0
expect_eq "generated keys audited as such" \
	"$(psql -Atc "select details->>'keys' from audit where object_id = '$L1'")" generated
r=$(api "$AUDREY_KEY" GET "/lorawan/devices/$L2")
expect_api "auditor reads a device" "$r" 200
expect_eq "GET shows no key" "$(jget "${r#* }" '[k for k in d if "key" in k]')" "[]"

# refusals
reg() { api "$ALICE_KEY" POST /lorawan/devices "$1"; }
expect_api "NwkKey for 1.0.x" "$(reg "{\"device\":\"$S4\",\"dev_eui\":\"70b3d57ed0000004\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.0.4\",\"nwk_key\":\"$NWK\"}")" 400 invalid_value nwk_key
expect_api "1.1 with one key" "$(reg "{\"device\":\"$S4\",\"dev_eui\":\"70b3d57ed0000004\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.1\",\"nwk_key\":\"$NWK\"}")" 400 missing_field app_key
expect_api "short DevEUI" "$(reg "{\"device\":\"$S4\",\"dev_eui\":\"70b3d57ed00004\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.0.4\"}")" 400 invalid_value dev_eui
expect_api "DevEUI not hex" "$(reg "{\"device\":\"$S4\",\"dev_eui\":\"70b3d57ed000000g\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.0.4\"}")" 400 invalid_value dev_eui
expect_api "AppKey of 15 bytes" "$(reg "{\"device\":\"$S4\",\"dev_eui\":\"70b3d57ed0000004\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.0.4\",\"app_key\":\"${APP:2}\"}")" 400 invalid_value app_key
expect_api "JoinEUI missing" "$(reg "{\"device\":\"$S4\",\"dev_eui\":\"70b3d57ed0000004\",\"mac_version\":\"1.0.4\"}")" 400 missing_field join_eui
expect_api "unknown MAC version" "$(reg "{\"device\":\"$S4\",\"dev_eui\":\"70b3d57ed0000004\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.2\"}")" 400 invalid_value mac_version
expect_api "unknown field" "$(reg "{\"device\":\"$S4\",\"dev_eui\":\"70b3d57ed0000004\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.0.4\",\"nwkkey\":\"x\"}")" 400 unknown_field nwkkey
expect_api "device of another tenant" "$(reg "{\"device\":\"$G1\",\"dev_eui\":\"70b3d57ed0000004\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.0.4\"}")" 404 not_found device
expect_api "device already has keys" "$(reg "{\"device\":\"$S1\",\"dev_eui\":\"70b3d57ed0000001\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.0.4\"}")" 409 conflict dev_eui
expect_api "DevEUI of another device" "$(reg "{\"device\":\"$S4\",\"dev_eui\":\"70b3d57ed0000001\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.0.4\"}")" 409 conflict dev_eui
expect_api "device with another DevEUI" "$(reg "{\"device\":\"$S3\",\"dev_eui\":\"70b3d57ed0000003\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.0.4\"}")" 409 conflict dev_eui
expect_eq "nothing left behind by refusals" "$(psql -Atc "select count(*) from lorawan_devices")" 2
expect_eq "sensor-4 has no DevEUI" "$(psql -Atc "select dev_eui is null from devices where id = '$S4'")" t
r=$(reg "{\"device\":\"$S3\",\"dev_eui\":\"00000000000000AA\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.0.3\"}")
expect_api "device with the same DevEUI" "$r" 201
expect_api "auditor may not register" "$(api "$AUDREY_KEY" POST /lorawan/devices "{\"device\":\"$S4\",\"dev_eui\":\"70b3d57ed0000004\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.0.4\"}")" 403 forbidden

# reads and tenant isolation
r=$(api "$ALICE_KEY" GET "/lorawan/devices?limit=2")
expect_api "list" "$r" 200
expect_eq "first page" "$(jget "${r#* }" 'len(d["items"])')" 2
r=$(api "$ALICE_KEY" GET "/lorawan/devices?limit=2&cursor=$(field "${r#* }" next_cursor)")
expect_eq "second page" "$(jget "${r#* }" '[len(d["items"]), d["next_cursor"]]')" '[1, null]'
expect_eq "globex sees none" "$(jget "$(api "$GUS_KEY" GET /lorawan/devices | cut -d' ' -f2-)" 'len(d["items"])')" 0
expect_api "globex: acme's device" "$(api "$GUS_KEY" GET "/lorawan/devices/$L1")" 404 not_found
expect_api "not a uuid" "$(api "$ALICE_KEY" GET /lorawan/devices/nope)" 400 invalid_uuid

# status and DevNonce reset
expect_api "status other than active/inactive" "$(api "$OLGA_KEY" PATCH "/lorawan/devices/$L1" '{"status":"suspended"}')" 400 invalid_value status
expect_api "status missing" "$(api "$OLGA_KEY" PATCH "/lorawan/devices/$L1" '{}')" 400 missing_field status
expect_api "auditor may not deactivate" "$(api "$AUDREY_KEY" PATCH "/lorawan/devices/$L1" '{"status":"inactive"}')" 403 forbidden
expect_api "globex may not deactivate acme's" "$(api "$GUS_KEY" PATCH "/lorawan/devices/$L1" '{"status":"inactive"}')" 404 not_found
r=$(api "$OLGA_KEY" PATCH "/lorawan/devices/$L1" '{"status":"inactive"}')
expect_api "operator deactivates" "$r" 200
expect_eq "inactive" "$(field "${r#* }" status)" inactive
expect_api "the same status again" "$(api "$OLGA_KEY" PATCH "/lorawan/devices/$L1" '{"status":"inactive"}')" 200
expect_eq "one status entry" "$(psql -Atc "select count(*) from audit where action = 'lorawan_device.status' and object_id = '$L1'")" 1
api "$OLGA_KEY" PATCH "/lorawan/devices/$L1" '{"status":"active"}' >/dev/null

# the home network server by configuration
expect_eq "no home network configured" "$(jget "$(api "$ALICE_KEY" GET "/lorawan/devices/$L1" | cut -d' ' -f2-)" '[d["home_net_id"], d["home_ns_id"]]')" '[null, null]'
r=$(api "$OLGA_KEY" PATCH "/lorawan/devices/$L1" '{"home_net_id":"00ABCD","home_ns_id":"ns-1.example:443"}')
expect_api "configure the home network" "$r" 200
expect_eq "home network shown" "$(jget "${r#* }" '[d["home_net_id"], d["home_ns_id"], d["status"]]')" '["00abcd", "ns-1.example:443", "active"]'
expect_eq "home network audited" "$(psql -Atc "select details->>'home_net_id', details->>'home_ns_id' from audit
	where action = 'lorawan_device.home' and object_id = '$L1'")" "00abcd|ns-1.example:443"
r=$(api "$OLGA_KEY" PATCH "/lorawan/devices/$L1" '{"status":"inactive","home_net_id":null}')
expect_eq "status and home network in one PATCH" "$(jget "${r#* }" '[d["status"], d["home_net_id"], d["home_ns_id"]]')" '["inactive", null, null]'
api "$OLGA_KEY" PATCH "/lorawan/devices/$L1" '{"status":"active"}' >/dev/null
expect_api "NSID without NetID" "$(api "$OLGA_KEY" PATCH "/lorawan/devices/$L1" '{"home_ns_id":"ns-1"}')" 400 missing_field home_net_id
expect_api "NetID of 4 digits" "$(api "$OLGA_KEY" PATCH "/lorawan/devices/$L1" '{"home_net_id":"abcd"}')" 400 invalid_value home_net_id
expect_api "NSID with a space" "$(api "$OLGA_KEY" PATCH "/lorawan/devices/$L1" '{"home_net_id":"00abcd","home_ns_id":"ns 1"}')" 400 invalid_value home_ns_id
r=$(reg "{\"device\":\"$S4\",\"dev_eui\":\"70b3d57ed0000004\",\"join_eui\":\"70b3d57ed0000000\",\"mac_version\":\"1.0.4\",\"home_net_id\":\"000042\"}")
expect_api "register with a home network" "$r" 201
expect_eq "registered home network" "$(jget "${r#* }" '[d["home_net_id"], d["home_ns_id"]]')" '["000042", null]'
expect_eq "home network in the create audit" "$(psql -Atc "select details->>'home_net_id' from audit
	where action = 'lorawan_device.create' and object_id = '$(field "${r#* }" id)'")" 000042
psql -qc "update lorawan_devices set dev_nonce_last = 77 where id = '$L2'"
r=$(api "$OLGA_KEY" POST "/lorawan/devices/$L2/reset-dev-nonces" '{}')
expect_api "reset DevNonces" "$r" 200
expect_eq "DevNonce state cleared" "$(psql -Atc "select dev_nonce_last is null and dev_nonces_used is null from lorawan_devices where id = '$L2'")" t
expect_api "reset with a body member" "$(api "$OLGA_KEY" POST "/lorawan/devices/$L2/reset-dev-nonces" '{"all":true}')" 400 unknown_field all
expect_api "auditor may not reset" "$(api "$AUDREY_KEY" POST "/lorawan/devices/$L2/reset-dev-nonces" '{}')" 403 forbidden

# new root keys
before=$(psql -Atc "select encode(root_keys, 'hex') from lorawan_devices where id = '$L2'")
expect_api "rotate: NwkKey alone for 1.1" "$(api "$OLGA_KEY" POST "/lorawan/devices/$L2/rotate-keys" "{\"nwk_key\":\"$NWK\"}")" 400 missing_field app_key
expect_api "rotate: NwkKey for 1.0.x" "$(api "$OLGA_KEY" POST "/lorawan/devices/$L1/rotate-keys" "{\"nwk_key\":\"$NWK\",\"app_key\":\"$APP\"}")" 400 invalid_value nwk_key
expect_api "rotate: auditor" "$(api "$AUDREY_KEY" POST "/lorawan/devices/$L2/rotate-keys" '{}')" 403 forbidden
expect_api "rotate: another tenant's device" "$(api "$GUS_KEY" POST "/lorawan/devices/$L2/rotate-keys" '{}')" 404 not_found
r=$(api "$OLGA_KEY" POST "/lorawan/devices/$L2/rotate-keys" "{\"nwk_key\":\"$APP\",\"app_key\":\"$NWK\"}")
expect_api "rotate a 1.1 device's keys" "$r" 200
expect_eq "rotate: no key in the response" "$(jget "${r#* }" '[k for k in d if "key" in k]')" "[]"
expect_eq "rotate: sealed anew" "$(psql -Atc "select encode(root_keys, 'hex') <> '$before', octet_length(root_keys)
	from lorawan_devices where id = '$L2'")" "t|60"
expect_eq "rotate: audited" "$(psql -Atc "select details->>'keys' from audit where action = 'lorawan_device.rotate_keys' and object_id = '$L2'")" imported
expect_api "rotate a 1.0.2 device, key generated" "$(api "$OLGA_KEY" POST "/lorawan/devices/$L1/rotate-keys" '{}')" 200
expect_eq "audit entries still hold no key" "$(psql -Atc "select count(*) from audit where details::text ilike '%${NWK:8:12}%'
	or details::text ilike '%${APP:8:12}%'")" 0

# joins, newest first, paged
expect_eq "no joins yet" "$(jget "$(api "$ALICE_KEY" GET "/lorawan/devices/$L1/joins" | cut -d' ' -f2-)" 'd')" \
	'{"items": [], "next_cursor": null}'
psql -qc "insert into lorawan_joins (tenant_id, lorawan_device_id, dev_nonce, join_nonce, result,
	session_key_id, app_s_key) values
	('$ACME', '$L1', 10, 1, 'Success', decode(md5('a'), 'hex'), decode(repeat('00', 44), 'hex')),
	('$ACME', '$L1', 10, null, 'JoinReqFailed', null, null),
	('$ACME', '$L1', 11, 2, 'Success', decode(md5('b'), 'hex'), decode(repeat('00', 44), 'hex'))"
r=$(api "$AUDREY_KEY" GET "/lorawan/devices/$L1/joins?limit=2")
expect_api "joins" "$r" 200
expect_eq "newest first" "$(jget "${r#* }" '[(j["dev_nonce"], j["join_nonce"], j["result"]) for j in d["items"]]')" \
	'[[11, 2, "Success"], [10, null, "JoinReqFailed"]]'
r=$(api "$AUDREY_KEY" GET "/lorawan/devices/$L1/joins?limit=2&cursor=$(field "${r#* }" next_cursor)")
expect_eq "then the oldest" "$(jget "${r#* }" '[(j["dev_nonce"], j["join_nonce"]) for j in d["items"]]')" '[[10, 1]]'
expect_api "joins: bad cursor" "$(api "$ALICE_KEY" GET "/lorawan/devices/$L1/joins?cursor=bm9wZQ")" 400 invalid_cursor cursor
expect_api "joins of another tenant's device" "$(api "$GUS_KEY" GET "/lorawan/devices/$L1/joins")" 404 not_found

# peers: a network server with a token and a KEK, an application server over mTLS
KEK=00112233445566778899AABBCCDDEEFF
r=$(api "$ALICE_KEY" POST /lorawan/peers "{\"kind\":\"ns\",\"net_id\":\"00001A\",\"kek_label\":\"ns-kek\",\"kek\":\"$KEK\",\"auth\":\"token\"}")
expect_api "register a network server" "$r" 201
b=${r#* }
P1=$(field "$b" id)
TOKEN=$(field "$b" token)
expect_eq "token format" "$(echo "$TOKEN" | sed -E 's/^mpj_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/ok/')" ok
expect_eq "peer fields" "$(jget "$b" '[d["kind"], d["net_id"], d["as_id"], d["kek_label"], d["auth"], d["tenant"]]')" \
	"[\"ns\", \"00001a\", null, \"ns-kek\", \"token\", \"$ACME\"]"
expect_eq "only the token's hash is stored" \
	"$(psql -Atc "select encode(token_hash, 'hex') = encode(sha256('$TOKEN'::bytea), 'hex') from lorawan_peers where id = '$P1'")" t
expect_eq "KEK sealed" "$(psql -Atc "select octet_length(kek), position(decode('$KEK', 'hex') in kek) from lorawan_peers where id = '$P1'")" "44|0"
r=$(api "$AUDREY_KEY" GET "/lorawan/peers/$P1")
expect_api "read a peer" "$r" 200
expect_eq "no token or KEK when read" "$(jget "${r#* }" '"token" in d or "kek" in d')" false
expect_eq "peer audited without secrets" "$(psql -Atc "select details->>'kek_label', details->>'net_id', details ? 'kek', details ? 'token'
	from audit where action = 'lorawan_peer.create' and object_id = '$P1'")" "ns-kek|00001a|f|f"
# client certificates of peers authenticated by mTLS: self-signed, pinned by their SHA-256
for c in as1 as2 ns3; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$c" -days 2 \
		-keyout "$T/$c.key" -out "$T/$c.pem" 2>/dev/null || fail "openssl req for $c"
done
pem() { python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
sha256() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
r=$(api "$ALICE_KEY" POST /lorawan/peers "{\"kind\":\"as\",\"as_id\":\"app-1\",\"auth\":\"mtls\",\"client_certificate_pem\":$(pem "$T/as1.pem")}")
expect_api "register an application server" "$r" 201
expect_eq "no token for mtls" "$(field "${r#* }" token)" null
expect_eq "the certificate's SHA-256 pinned" "$(field "${r#* }" cert_sha256)" "$(sha256 "$T/as1.pem")"
expect_eq "certificate audited by its SHA-256" "$(psql -Atc "select details->>'cert_sha256' from audit
	where action = 'lorawan_peer.create' and object_id = '$(field "${r#* }" id)'")" "$(sha256 "$T/as1.pem")"
expect_eq "a token peer has no certificate" "$(jget "$(api "$AUDREY_KEY" GET "/lorawan/peers/$P1" | cut -d' ' -f2-)" 'd["cert_sha256"]')" null
peer() { api "$ALICE_KEY" POST /lorawan/peers "$1"; }
expect_api "mtls without a certificate" "$(peer '{"kind":"as","as_id":"app-2","auth":"mtls"}')" 400 missing_field client_certificate_pem
expect_api "a token peer with a certificate" "$(peer "{\"kind\":\"as\",\"as_id\":\"app-2\",\"auth\":\"token\",\"client_certificate_pem\":$(pem "$T/as2.pem")}")" 400 invalid_value client_certificate_pem
expect_api "a key instead of a certificate" "$(peer "{\"kind\":\"as\",\"as_id\":\"app-2\",\"auth\":\"mtls\",\"client_certificate_pem\":$(pem "$T/as2.key")}")" 400 invalid_value client_certificate_pem
expect_api "garbage in a certificate block" "$(peer '{"kind":"as","as_id":"app-2","auth":"mtls","client_certificate_pem":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}')" 400 invalid_value client_certificate_pem
expect_api "a certificate another peer has" "$(peer "{\"kind\":\"as\",\"as_id\":\"app-2\",\"auth\":\"mtls\",\"client_certificate_pem\":$(pem "$T/as1.pem")}")" 409 conflict client_certificate_pem
expect_api "kind" "$(peer '{"kind":"gw","auth":"token"}')" 400 invalid_value kind
expect_api "ns without NetID" "$(peer '{"kind":"ns","auth":"token"}')" 400 missing_field net_id
expect_api "ns with an AS-ID" "$(peer '{"kind":"ns","net_id":"000001","as_id":"x","auth":"token"}')" 400 invalid_value as_id
expect_api "NetID of 4 digits" "$(peer '{"kind":"ns","net_id":"0001","auth":"token"}')" 400 invalid_value net_id
expect_api "KEK without label" "$(peer "{\"kind\":\"ns\",\"net_id\":\"000002\",\"kek\":\"$KEK\",\"auth\":\"token\"}")" 400 missing_field kek_label
expect_api "KEK of 15 bytes" "$(peer "{\"kind\":\"ns\",\"net_id\":\"000002\",\"kek_label\":\"k\",\"kek\":\"${KEK:2}\",\"auth\":\"token\"}")" 400 invalid_value kek
expect_api "auth" "$(peer '{"kind":"ns","net_id":"000002","auth":"basic"}')" 400 invalid_value auth
expect_api "same NetID twice" "$(peer '{"kind":"ns","net_id":"00001a","auth":"token"}')" 409 conflict net_id
expect_api "operator may not register peers" "$(api "$OLGA_KEY" POST /lorawan/peers '{"kind":"ns","net_id":"000003","auth":"token"}')" 403 forbidden
expect_api "globex: acme's peer" "$(api "$GUS_KEY" GET "/lorawan/peers/$P1")" 404 not_found
expect_eq "peers listed" "$(jget "$(api "$ALICE_KEY" GET /lorawan/peers | cut -d' ' -f2-)" 'sorted(p["kind"] for p in d["items"])')" '["as", "ns"]'
expect_api "globex may use the same NetID" "$(api "$GUS_KEY" POST /lorawan/peers "{\"kind\":\"ns\",\"net_id\":\"00001a\",\"auth\":\"mtls\",\"client_certificate_pem\":$(pem "$T/ns3.pem")}")" 201

stop_instance
