#!/bin/bash
# Admin API FDO keys and ownership vouchers (docs/fdo.md): a tenant's
# manufacturer key imported (go-fdo's) and an owner key generated; vouchers of
# other FDO implementations (tests/data/fdo) imported after full verification
# and tied to a device by serial; legacy, FDO 1.0 and malformed ones refused
# with the reason; the voucher read as JSON, CBOR and PEM; extended to an
# owner key by the tenant's key that is its current owner, and not otherwise;
# roles per route, tenants isolated, every change audited.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

DATA="$MIDPKI_SOURCE_DIR/tests/data/fdo"
GUID=66b2146f-fec5-3ca6-ad01-7625990572ce

# json_body KEY=FILE|KEY:VALUE ...: a JSON object of file contents and strings
json_body() {
	python3 -c 'import json,sys
b={}
for a in sys.argv[1:]:
    if "=" in a:
        k,f=a.split("=",1); b[k]=open(f).read()
    else:
        k,v=a.split(":",1); b[k]=v
print(json.dumps(b))' "$@"
}

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance fdo
start_instance
ADMIN_KEY=$(cat "$I_STATE/admin.key")

r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"globex"}'); GLOBEX=$(field "${r#* }" id)
ALICE_KEY=$(user_key "$ACME" alice tenant-admin)
OLGA_KEY=$(user_key "$ACME" olga operator)
AUDREY_KEY=$(user_key "$ACME" audrey auditor)
GUS_KEY=$(user_key "$GLOBEX" gus tenant-admin)

# keys: go-fdo's manufacturer key imported, owner keys generated
expect_api "operator may not create keys" \
	"$(api "$OLGA_KEY" POST /fdo/keys '{"role":"owner","algorithm":"ec-p384"}')" 403 forbidden
expect_api "algorithm or key, not both" "$(api "$ALICE_KEY" POST /fdo/keys \
	"$(json_body role:owner algorithm:ec-p384 private_key_pem="$DATA/go-fdo-mfg_key.pem")")" \
	400 invalid_value algorithm
expect_api "unknown role" "$(api "$ALICE_KEY" POST /fdo/keys '{"role":"seller","algorithm":"ec-p256"}')" \
	400 invalid_value role
expect_api "no RSA keys" "$(api "$ALICE_KEY" POST /fdo/keys '{"role":"owner","algorithm":"rsa-2048"}')" \
	400 invalid_value algorithm
r=$(api "$ALICE_KEY" POST /fdo/keys \
	"$(json_body role:manufacturer private_key_pem="$DATA/go-fdo-mfg_key.pem")")
expect_api "import manufacturer key" "$r" 201
expect_eq "imported key is P-384" "$(field "${r#* }" algorithm)" ec-p384
expect_eq "imported key's public key" "$(field "${r#* }" public_key_pem)" \
	"$(openssl ec -in "$DATA/go-fdo-mfg_key.pem" -pubout 2>/dev/null)"
MFG_KEY_ID=$(field "${r#* }" key_id)
r=$(api "$ALICE_KEY" POST /fdo/keys '{"role":"owner","algorithm":"ec-p384"}')
expect_api "generate owner key" "$r" 201
field "${r#* }" public_key_pem >"$T/owner.pem"
r=$(api "$ALICE_KEY" POST /fdo/keys '{"role":"owner","algorithm":"ec-p384"}')
field "${r#* }" public_key_pem >"$T/owner2.pem"
openssl ecparam -name prime256v1 -genkey -noout -out "$T/p256.key" 2>/dev/null
openssl ec -in "$T/p256.key" -pubout -out "$T/p256.pem" 2>/dev/null
expect_eq "auditor lists acme's keys" \
	"$(jget "$(api "$AUDREY_KEY" GET /fdo/keys | cut -d' ' -f2-)" '[k["role"] for k in d["items"]].count("owner")')" 2
expect_eq "globex sees none" \
	"$(jget "$(api "$GUS_KEY" GET /fdo/keys | cut -d' ' -f2-)" 'len(d["items"])')" 0

# import: verified first, tied to a device
r=$(api "$OLGA_KEY" POST /fdo/vouchers "$(json_body voucher_pem="$DATA/go-fdo-ov.pem" serial:CS-1)")
expect_api "import go-fdo voucher" "$r" 201
expect_eq "guid" "$(field "${r#* }" guid)" "$GUID"
expect_eq "entries" "$(field "${r#* }" entries)" 0
expect_eq "device info" "$(field "${r#* }" device_info)" go.fdo.example
expect_eq "origin" "$(field "${r#* }" origin)" imported
expect_eq "new device's model is the DeviceInfo" "$(field "${r#* }" model)" go.fdo.example
r=$(api "$OLGA_KEY" GET '/devices?serial=CS-1')
expect_eq "device carries the GUID" "$(jget "${r#* }" 'd["items"][0]["fdo_guid"]')" "$GUID"
expect_api "same GUID again" \
	"$(api "$OLGA_KEY" POST /fdo/vouchers "$(json_body voucher_pem="$DATA/go-fdo-ov.pem" serial:CS-9)")" \
	409 conflict voucher_pem
expect_api "GUID held by another tenant" \
	"$(api "$GUS_KEY" POST /fdo/vouchers "$(json_body voucher_pem="$DATA/go-fdo-ov.pem" serial:G-1)")" \
	409 conflict voucher_pem
r=$(api "$OLGA_KEY" POST /fdo/vouchers "$(json_body voucher_pem="$DATA/fdo-rs-v101_voucher1" serial:T-1)")
expect_api "legacy chain hash refused" "$r" 422 refused_by_policy voucher_pem
expect_contains "legacy reason" "$r" "computed over the CBOR array"
r=$(api "$OLGA_KEY" POST /fdo/vouchers "$(json_body voucher_pem="$DATA/fdo-rs-v100_voucher2" serial:T-2)")
expect_api "FDO 1.0 refused" "$r" 400 invalid_value voucher_pem
expect_contains "FDO 1.0 reason" "$r" "an FDO 1.0 voucher"
expect_api "not a voucher" "$(api "$OLGA_KEY" POST /fdo/vouchers '{"voucher_pem":"x","serial":"T-3"}')" \
	400 invalid_value voucher_pem
# a byte of the second entry's signature changed
python3 - "$DATA/fdo-rs-v101_voucher2" "$T/bad.pem" <<'PY'
import base64,re,sys
t=open(sys.argv[1]).read()
b=bytearray(base64.b64decode("".join(re.search(r"-----BEGIN OWNERSHIP VOUCHER-----(.*?)-----END",t,re.S).group(1).split())))
b[-1]^=1
open(sys.argv[2],"w").write("-----BEGIN OWNERSHIP VOUCHER-----\n"+base64.b64encode(bytes(b)).decode()+"\n-----END OWNERSHIP VOUCHER-----\n")
PY
r=$(api "$OLGA_KEY" POST /fdo/vouchers "$(json_body voucher_pem="$T/bad.pem" serial:T-4)")
expect_api "tampered entry refused" "$r" 422 refused_by_policy voucher_pem
expect_contains "tampered reason" "$r" "voucher entry 1: not signed by the previous owner key"
expect_eq "refused imports register no device" \
	"$(psql -Atc "select count(*) from devices where serial like 'T-%'")" 0
expect_api "auditor may not import" \
	"$(api "$AUDREY_KEY" POST /fdo/vouchers "$(json_body voucher_pem="$DATA/fdo-rs-v101_voucher2" serial:D-1)")" \
	403 forbidden
r=$(api "$OLGA_KEY" POST /fdo/vouchers \
	"$(json_body voucher_pem="$DATA/fdo-rs-v101_voucher2" serial:D-1 model:Demo-Model)")
expect_api "import fdo-rs voucher with two entries" "$r" 201
DEMO=$(field "${r#* }" guid)
expect_eq "given model" "$(field "${r#* }" model)" Demo-Model

# reads: JSON, CBOR, PEM; by UUID or hex; scoped
r=$(api "$AUDREY_KEY" GET "/fdo/vouchers/$GUID")
expect_api "auditor reads" "$r" 200
field "${r#* }" voucher_pem >"$T/got.pem"
python3 - "$DATA/go-fdo-ov.pem" "$T/want.cbor" <<'PY'
import base64,re,sys
t=open(sys.argv[1]).read()
open(sys.argv[2],"wb").write(base64.b64decode("".join(re.search(r"-----BEGIN OWNERSHIP VOUCHER-----(.*?)-----END",t,re.S).group(1).split())))
PY
admin_curl "$API/fdo/vouchers/66b2146ffec53ca6ad017625990572ce" -H "Authorization: Bearer $AUDREY_KEY" \
	-H 'Accept: application/cbor' -D "$T/h" -o "$T/got.cbor"
cmp -s "$T/got.cbor" "$T/want.cbor" && ok "CBOR by hex GUID is the voucher as imported" ||
	fail "CBOR differs from the imported voucher"
expect_contains "CBOR content type" "$(cat "$T/h")" "application/cbor"
admin_curl "$API/fdo/vouchers/$GUID" -H "Authorization: Bearer $AUDREY_KEY" \
	-H 'Accept: application/x-pem-file' -o "$T/got2.pem"
expect_eq "PEM answer is the JSON's voucher_pem" "$(cat "$T/got2.pem")" "$(cat "$T/got.pem")"
r=$(api "$AUDREY_KEY" GET '/fdo/vouchers?serial=D-1')
expect_eq "find a device's voucher by serial" "$(jget "${r#* }" '[v["guid"] for v in d["items"]]')" "[\"$DEMO\"]"
expect_eq "list items carry no voucher" "$(jget "${r#* }" '"voucher_pem" in d["items"][0]')" false
r=$(api "$AUDREY_KEY" GET '/fdo/vouchers?limit=1')
expect_eq "page 1" "$(jget "${r#* }" 'len(d["items"])')" 1
r=$(api "$AUDREY_KEY" GET "/fdo/vouchers?limit=1&cursor=$(field "${r#* }" next_cursor)")
expect_eq "page 2" "$(jget "${r#* }" '[v["serial"] for v in d["items"]]')" '["D-1"]'
expect_eq "globex lists none" "$(jget "$(api "$GUS_KEY" GET /fdo/vouchers | cut -d' ' -f2-)" 'len(d["items"])')" 0
expect_api "bad GUID" "$(api "$AUDREY_KEY" GET /fdo/vouchers/xyz)" 400 invalid_guid
expect_api "globex does not see acme's" "$(api "$GUS_KEY" GET "/fdo/vouchers/$GUID")" 404 not_found

# extend: by the tenant's key that is the current owner
expect_api "auditor may not extend" "$(api "$AUDREY_KEY" POST "/fdo/vouchers/$GUID/extend" \
	"$(json_body owner_public_key_pem="$T/owner.pem")")" 403 forbidden
expect_api "globex may not extend acme's" "$(api "$GUS_KEY" POST "/fdo/vouchers/$GUID/extend" \
	"$(json_body owner_public_key_pem="$T/owner.pem")")" 404 not_found
expect_api "not a public key" "$(api "$OLGA_KEY" POST "/fdo/vouchers/$GUID/extend" \
	'{"owner_public_key_pem":"x"}')" 400 invalid_value owner_public_key_pem
r=$(api "$OLGA_KEY" POST "/fdo/vouchers/$GUID/extend" "$(json_body owner_public_key_pem="$T/p256.pem")")
expect_api "owner key of another type" "$r" 400 invalid_value owner_public_key_pem
expect_contains "type reason" "$r" "not of the manufacturer key's type and size"
r=$(api "$OLGA_KEY" POST "/fdo/vouchers/$GUID/extend" "$(json_body owner_public_key_pem="$T/owner.pem")")
expect_api "extend to our owner key" "$r" 200
expect_eq "one entry" "$(field "${r#* }" entries)" 1
r=$(api "$OLGA_KEY" POST "/fdo/vouchers/$GUID/extend" "$(json_body owner_public_key_pem="$T/owner2.pem")")
expect_api "the owner passes it on" "$r" 200
expect_eq "two entries" "$(field "${r#* }" entries)" 2
r=$(api "$OLGA_KEY" POST "/fdo/vouchers/$DEMO/extend" "$(json_body owner_public_key_pem="$T/p256.pem")")
expect_api "a voucher whose owner is not ours" "$r" 422 refused_by_policy owner_public_key_pem
expect_contains "owner reason" "$r" "current owner key is not an FDO key of this tenant"
psql -Atc "update fdo_vouchers set voucher = set_byte(voucher, length(voucher) - 1,
	get_byte(voucher, length(voucher) - 1) # 1) where guid = '$DEMO'" >/dev/null
r=$(api "$OLGA_KEY" POST "/fdo/vouchers/$DEMO/extend" "$(json_body owner_public_key_pem="$T/p256.pem")")
expect_api "a stored voucher altered in the database" "$r" 422 refused_by_policy owner_public_key_pem
expect_contains "altered reason" "$r" "the stored voucher: voucher entry 1: not signed"

# audit
expect_eq "audit: fdo_key.create" \
	"$(psql -Atc "select count(*) from audit where action = 'fdo_key.create' and tenant_id = '$ACME' and details->>'key_id' = '$MFG_KEY_ID' and details->>'role' = 'manufacturer'")" 1
expect_eq "audit: fdo_voucher.import" \
	"$(psql -Atc "select count(*) from audit where action = 'fdo_voucher.import' and object_id = '$GUID' and tenant_id = '$ACME' and details->>'serial' = 'CS-1'")" 1
expect_eq "audit: fdo_voucher.extend" \
	"$(psql -Atc "select string_agg(details->>'entries', ',' order by id) from audit where action = 'fdo_voucher.extend' and object_id = '$GUID'")" "1,2"
expect_eq "stored entries" "$(psql -Atc "select entries from fdo_vouchers where guid = '$GUID'")" 2
stop_instance
