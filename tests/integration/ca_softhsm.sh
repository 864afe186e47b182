#!/bin/bash
# A platform whose CA keys live in a PKCS#11 token (SoftHSM2): the root and
# devices CAs are generated in the token on first start, issue certificates
# that openssl verifies, a new intermediate is made in the token too, and the
# database holds no sealed private key for them.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"
. "$MIDPKI_SOURCE_DIR/tests/lib/softhsm.sh"

softhsm_start "$T/hsm" || fail "SoftHSM2 token"
start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance hsm
start_instance MIDPKI_KEYSTORE_BACKEND=pkcs11 MIDPKI_KEYSTORE_PKCS11_MODULE="$MIDPKI_TEST_PKCS11_MODULE" \
	MIDPKI_KEYSTORE_PKCS11_SLOT="$MIDPKI_TEST_PKCS11_SLOT" \
	MIDPKI_KEYSTORE_PKCS11_PIN_FILE="$MIDPKI_TEST_PKCS11_PIN_FILE"
KEY=$(cat "$I_STATE/admin.key")

expect_eq "root and devices CA keys are in the token" \
	"$(psql -tAc "SELECT string_agg(c.name || ':' || k.backend || ':' || (k.wrapped IS NULL)::text, ' ' ORDER BY c.name)
		FROM cas c JOIN keys k ON k.id = c.key_id")" "devices:pkcs11:true root:pkcs11:true"
r=$(api "$KEY" POST /devices '{"serial":"HSM-1"}'); DEV=$(field "${r#* }" id)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/d.key" \
	-out "$T/d.csr" -subj "/CN=HSM-1" 2>/dev/null
r=$(api "$KEY" POST /certificates "$(python3 -c 'import json,sys
print(json.dumps({"device": sys.argv[1], "profile": "iec62351-device", "csr_pem": open(sys.argv[2]).read()}))' "$DEV" "$T/d.csr")")
expect_api "issue with the token's CA key" "$r" 201
jget "${r#* }" 'd["certificate_pem"]' >"$T/d.pem"
jget "${r#* }" 'd["chain_pem"]' >"$T/d.chain"
expect_eq "openssl verify" "$(openssl verify -CAfile "$I_STATE/trust.pem" -untrusted "$T/d.chain" "$T/d.pem" 2>&1)" "$T/d.pem: OK"

ROOT=$(psql -tAc "SELECT id FROM cas WHERE name = 'root'")
r=$(api "$KEY" POST /cas "{\"name\":\"plant-7\",\"parent\":\"$ROOT\",\"subject\":\"CN=Plant 7 CA,O=Grid\",\"algorithm\":\"ec-p256\"}")
expect_api "intermediate CA under the token's root" "$r" 201
jget "${r#* }" 'd["certificate_pem"]' >"$T/plant.pem"
expect_eq "intermediate verifies" "$(openssl verify -CAfile "$I_STATE/trust.pem" "$T/plant.pem" 2>&1)" "$T/plant.pem: OK"
expect_eq "intermediate key in the token" \
	"$(psql -tAc "SELECT k.backend FROM cas c JOIN keys k ON k.id = c.key_id WHERE c.name = 'plant-7'")" pkcs11
stop_instance
