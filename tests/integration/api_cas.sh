#!/bin/bash
# Admin API CAs: the default hierarchy, tenant roots and intermediates with
# path length and name constraints (checked with openssl), validation,
# import with and without a key (the key never shown or logged), issuing from
# a tenant's CA, retirement, tenant isolation and roles.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance cas
start_instance
ADMIN_KEY=$(cat "$I_STATE/admin.key")

r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"globex"}'); GLOBEX=$(field "${r#* }" id)
ALICE=$(user_key "$ACME" alice tenant-admin)
OLGA=$(user_key "$ACME" olga operator)
AUDREY=$(user_key "$ACME" audrey auditor)
GUS=$(user_key "$GLOBEX" gus tenant-admin)
# pem_of JSON MEMBER FILE
pem_of() { jget "$1" "d[\"$2\"]" >"$3"; }
ca_id() { jget "$(api "$1" GET "/cas?limit=1000" | cut -d' ' -f2-)" "[c['id'] for c in d['items'] if c['name'] == '$2'][0]"; }

# the default hierarchy, visible to every tenant
r=$(api "$OLGA" GET /cas)
expect_api "list CAs (operator)" "$r" 200
expect_eq "default CAs" "$(jget "${r#* }" 'sorted(c["name"] for c in d["items"])')" '["devices", "root"]'
ROOT=$(ca_id "$OLGA" root)
DEVCA=$(ca_id "$OLGA" devices)
r=$(api "$AUDREY" GET "/cas/$DEVCA")
expect_api "show the devices CA (auditor)" "$r" 200
b=${r#* }
expect_eq "devices CA: parent" "$(jget "$b" 'd["parent_id"]')" "$ROOT"
expect_eq "devices CA: algorithm" "$(jget "$b" 'd["algorithm"]')" ec-p256
expect_eq "devices CA: status and role" "$(jget "$b" 'd["status"] + " " + d["role"]')" "active ca"
pem_of "$b" certificate_pem "$T/devca.pem"
r=$(api "$OLGA" GET "/cas/$DEVCA/chain")
expect_api "devices CA chain" "$r" 200
pem_of "${r#* }" chain_pem "$T/devchain.pem"
expect_eq "chain: the CA, then the root" "$(grep -c 'BEGIN CERTIFICATE' "$T/devchain.pem")" 2
expect_eq "the root in the chain is trust.pem" "$(awk '/BEGIN CERT/ { n++ } n == 2' "$T/devchain.pem")" \
	"$(cat "$I_STATE/trust.pem")"
expect_eq "devices CA verifies against trust.pem" \
	"$(openssl verify -CAfile "$I_STATE/trust.pem" "$T/devca.pem" 2>&1)" "$T/devca.pem: OK"

# a tenant root and an intermediate with path length and name constraints
r=$(api "$ALICE" POST /cas '{"name":"acme-root","subject":"CN=Acme Root CA,O=Acme","algorithm":"ec-p384","validity":"3650d"}')
expect_api "tenant admin creates a root" "$r" 201
b=${r#* }
AROOT=$(jget "$b" 'd["id"]')
expect_eq "root: tenant" "$(jget "$b" 'd["tenant"]')" "$ACME"
expect_eq "root: no parent" "$(jget "$b" 'd["parent_id"]')" null
pem_of "$b" certificate_pem "$T/aroot.pem"
expect_eq "root: subject" "$(openssl x509 -in "$T/aroot.pem" -noout -subject -nameopt RFC2253)" \
	"subject=CN=Acme Root CA,O=Acme"
expect_eq "root: self-signed" "$(openssl verify -CAfile "$T/aroot.pem" "$T/aroot.pem" 2>&1)" "$T/aroot.pem: OK"
r=$(api "$ALICE" POST /cas "{\"name\":\"acme-issuing\",\"parent\":\"$AROOT\",\"subject\":\"CN=Acme Issuing CA,O=Acme\",\"path_len\":0,\"validity\":\"1825d\",\"name_constraints\":{\"permitted\":[\"dns:acme.example\"],\"excluded\":[\"dns:evil.acme.example\"]}}")
expect_api "tenant admin creates an intermediate" "$r" 201
b=${r#* }
AISS=$(jget "$b" 'd["id"]')
expect_eq "intermediate: parent" "$(jget "$b" 'd["parent_id"]')" "$AROOT"
expect_eq "intermediate: default algorithm" "$(jget "$b" 'd["algorithm"]')" ec-p256
pem_of "$b" certificate_pem "$T/aiss.pem"
TEXT=$(openssl x509 -in "$T/aiss.pem" -noout -text)
expect_contains "intermediate: path length 0" "$TEXT" "CA:TRUE, pathlen:0"
expect_contains "intermediate: permitted name" "$TEXT" "DNS:acme.example"
expect_contains "intermediate: excluded name" "$TEXT" "DNS:evil.acme.example"
expect_eq "intermediate verifies against the tenant root" \
	"$(openssl verify -CAfile "$T/aroot.pem" "$T/aiss.pem" 2>&1)" "$T/aiss.pem: OK"
r=$(api "$ALICE" GET "/cas/$AISS/chain")
pem_of "${r#* }" chain_pem "$T/aisschain.pem"
expect_eq "intermediate chain: two certificates" "$(grep -c 'BEGIN CERTIFICATE' "$T/aisschain.pem")" 2

# validation
r=$(api "$ALICE" POST /cas "{\"name\":\"too-long\",\"parent\":\"$AROOT\",\"subject\":\"CN=x\",\"validity\":\"36000d\"}")
expect_api "validity beyond the parent's" "$r" 400 invalid validity
r=$(api "$ALICE" POST /cas '{"name":"bad-alg","subject":"CN=x","algorithm":"dsa-1024"}')
expect_api "unknown algorithm" "$r" 400 invalid algorithm
r=$(api "$ALICE" POST /cas '{"name":"no-subject"}')
expect_api "no subject" "$r" 400 missing_field subject
r=$(api "$ALICE" POST /cas '{"name":"years","subject":"CN=x","validity":"20y"}')
expect_api "validity in years" "$r" 400 out_of_range validity
r=$(api "$ALICE" POST /cas '{"name":"deep","subject":"CN=x","path_len":17}')
expect_api "path length out of range" "$r" 400 out_of_range path_len
r=$(api "$ALICE" POST /cas '{"name":"nc","subject":"CN=x","name_constraints":{"allowed":[]}}')
expect_api "unknown name constraint list" "$r" 400 unknown_field name_constraints
r=$(api "$ALICE" POST /cas '{"name":"nc","subject":"CN=x","name_constraints":{"permitted":"dns:x"}}')
expect_api "name constraints not a list" "$r" 400 wrong_type name_constraints.permitted
r=$(api "$ALICE" POST /cas '{"name":"acme-root","subject":"CN=Again"}')
expect_api "name taken" "$r" 409 conflict name
r=$(api "$ALICE" POST /cas '{"name":"p","subject":"CN=x","parent":"00000000-0000-4000-8000-000000000000"}')
expect_api "unknown parent" "$r" 404 not_found parent
r=$(api "$OLGA" POST /cas '{"name":"op","subject":"CN=x"}')
expect_api "operators do not create CAs" "$r" 403 forbidden
r=$(api "$AUDREY" POST "/cas/$AROOT/retire" '{}')
expect_api "auditors do not retire CAs" "$r" 403 forbidden

# tenants are isolated; platform CAs are the platform admin's
r=$(api "$GUS" GET "/cas/$AROOT")
expect_api "another tenant's CA" "$r" 404 not_found
r=$(api "$GUS" GET "/cas/$AROOT/chain")
expect_api "another tenant's CA chain" "$r" 404 not_found
r=$(api "$GUS" GET /cas)
expect_eq "another tenant lists only the platform's" "$(jget "${r#* }" 'sorted(c["name"] for c in d["items"])')" '["devices", "root"]'
r=$(api "$GUS" POST /cas "{\"name\":\"g\",\"subject\":\"CN=g\",\"parent\":\"$AROOT\"}")
expect_api "another tenant's CA as parent" "$r" 404 not_found parent
r=$(api "$GUS" POST "/cas/$AROOT/retire" '{}')
expect_api "retire another tenant's CA" "$r" 404 not_found
r=$(api "$ALICE" POST "/cas/$DEVCA/retire" '{}')
expect_api "tenant admin retires a platform CA" "$r" 403 forbidden

# import: with a key (a CA we operate), without (trusted only)
cat >"$T/x.cnf" <<'CNF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
CNF
for n in ext other; do
	openssl req -x509 -config "$T/x.cnf" -extensions ca -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -keyout "$T/$n.key" -out "$T/$n.pem" -subj "/O=Ext/CN=$n CA" -days 365 2>/dev/null ||
		fail "external CA $n"
done
openssl req -x509 -config "$T/x.cnf" -extensions leaf -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-nodes -keyout "$T/leaf.key" -out "$T/leaf.pem" -subj "/CN=leaf" -days 365 2>/dev/null || fail leaf
import_body() {
	python3 -c 'import json,sys
b={"name":sys.argv[1],"certificate_pem":open(sys.argv[2]).read()}
if len(sys.argv) > 3: b["private_key_pem"]=open(sys.argv[3]).read()
print(json.dumps(b))' "$@"
}
r=$(api "$ALICE" POST /cas/import "$(import_body ext-ca "$T/ext.pem" "$T/ext.key")")
expect_api "import with key" "$r" 201
b=${r#* }
EXT=$(jget "$b" 'd["id"]')
expect_eq "imported: role" "$(jget "$b" 'd["role"]')" ca
expect_eq "imported: no key in the answer" "$(jget "$b" '[k for k in d if "private" in k]')" "[]"
expect_eq "imported: the certificate" "$(jget "$b" 'd["certificate_pem"]')" "$(cat "$T/ext.pem")"
r=$(api "$ALICE" POST /cas/import "$(import_body trusted-ca "$T/other.pem")")
expect_api "import without key" "$r" 201
expect_eq "imported without key: role" "$(jget "${r#* }" 'd["role"]')" trusted
r=$(api "$ALICE" POST /cas/import "$(import_body mismatch "$T/other.pem" "$T/ext.key")")
expect_api "import with another certificate's key" "$r" 400 invalid private_key_pem
r=$(api "$ALICE" POST /cas/import "$(import_body leaf "$T/leaf.pem")")
expect_api "import a certificate that is no CA" "$r" 422 refused_by_policy certificate_pem
r=$(api "$ALICE" POST /cas/import '{"name":"garbage","certificate_pem":"nope"}')
expect_api "import garbage" "$r" 400 invalid certificate_pem
KEYB64=$(sed -n '2p' "$T/ext.key")
if grep -rqF "$KEYB64" "$T"/*.log; then fail "the imported key is in the log"; fi
ok "the imported key is not in the log"
expect_eq "the imported key is not in the audit log" \
	"$(psql -tAc "SELECT count(*) FROM audit WHERE details::text LIKE '%PRIVATE KEY%' OR details::text LIKE '%$KEYB64%'")" 0
expect_eq "the imported key is not in clear in the keys table" \
	"$(psql -tAc "SELECT count(*) FROM keys WHERE position(convert_to('PRIVATE KEY', 'UTF8') in coalesce(wrapped, ''::bytea)) > 0")" 0

# issuing from the tenant's CAs: a profile names its CA
r=$(api "$ALICE" GET "/profiles?kind=x509&limit=1000")
BODY=$(jget "${r#* }" 'json.dumps([p["body"] for p in d["items"] if p["name"] == "tls-client"][0])')
for ca in acme-issuing ext-ca; do
	b=$(python3 -c 'import json,sys; b=json.loads(sys.argv[1]); b["ca"]=sys.argv[2]; print(json.dumps({"name":"via-"+sys.argv[2],"body":b}))' "$BODY" "$ca")
	r=$(api "$ALICE" POST /profiles "$b")
	expect_api "profile issuing from $ca" "$r" 201
done
r=$(api "$OLGA" POST /devices '{"serial":"SN-7"}'); DEV=$(field "${r#* }" id)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/d.key" \
	-out "$T/d.csr" -subj "/O=Acme/CN=d7" 2>/dev/null
issue() { api "$OLGA" POST /certificates "$(python3 -c 'import json,sys; print(json.dumps({"device":sys.argv[1],"profile":sys.argv[2],"csr_pem":open(sys.argv[3]).read()}))' "$DEV" "$1" "$T/d.csr")"; }
r=$(issue via-acme-issuing)
expect_api "issue from the tenant's intermediate" "$r" 201
pem_of "${r#* }" certificate_pem "$T/d1.pem"
pem_of "${r#* }" chain_pem "$T/d1chain.pem"
expect_eq "issued by the tenant's intermediate" "$(jget "${r#* }" 'd["ca_id"]')" "$AISS"
expect_eq "verifies against the tenant root" \
	"$(openssl verify -CAfile "$T/aroot.pem" -untrusted "$T/d1chain.pem" "$T/d1.pem" 2>&1)" "$T/d1.pem: OK"
r=$(issue via-ext-ca)
expect_api "issue from the imported CA" "$r" 201
pem_of "${r#* }" certificate_pem "$T/d2.pem"
expect_eq "verifies against the imported CA" \
	"$(openssl verify -CAfile "$T/ext.pem" "$T/d2.pem" 2>&1)" "$T/d2.pem: OK"

# retirement: no new issuance, still readable
r=$(api "$ALICE" POST "/cas/$AISS/retire" '{}')
expect_api "retire" "$r" 200
expect_eq "retired" "$(jget "${r#* }" 'd["status"]')" retired
r=$(issue via-acme-issuing)
expect_api "issue from a retired CA" "$r" 409 conflict profile.ca
r=$(api "$OLGA" GET "/cas/$AISS")
expect_eq "a retired CA is still shown" "$(jget "${r#* }" 'd["status"]')" retired
r=$(api "$ALICE" POST /cas "{\"name\":\"under-retired\",\"parent\":\"$AISS\",\"subject\":\"CN=u\"}")
expect_api "a retired parent" "$r" 400 invalid parent
audit_count() { psql -tAc "SELECT count(*) FROM audit WHERE action = '$1'"; }
expect_eq "audit: ca.create" "$(audit_count ca.create)" 4
expect_eq "audit: ca.import" "$(audit_count ca.import)" 2
expect_eq "audit: ca.retire" "$(audit_count ca.retire)" 1
stop_instance
