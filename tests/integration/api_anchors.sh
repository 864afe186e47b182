#!/bin/bash
# Admin API trust anchors: only CA certificates are accepted, the response
# describes the certificate, the policy (auto_register, profile) is kept,
# tenants are isolated and every change is audited.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

# certificates: a root CA, an intermediate CA signed by it, a CA without
# keyUsage, and a device certificate
cat >"$T/x.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[noku]
basicConstraints = critical,CA:TRUE
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
CNF
newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 -config "$T/x.cnf" -extensions ca "${newkey[@]}" -keyout "$T/root.key" \
	-out "$T/root.pem" -subj "/O=Acme/CN=Acme Mfg Root" -days 365 2>/dev/null || fail "root CA"
openssl req -x509 -config "$T/x.cnf" -extensions noku "${newkey[@]}" -keyout "$T/noku.key" \
	-out "$T/noku.pem" -subj "/CN=No KU CA" -days 365 2>/dev/null || fail "CA without keyUsage"
for c in sub leaf; do
	openssl req -new -config "$T/x.cnf" "${newkey[@]}" -keyout "$T/$c.key" -out "$T/$c.csr" \
		-subj "/O=Acme/CN=$c" 2>/dev/null || fail "$c request"
done
ext() { [ "$1" = sub ] && echo ca || echo leaf; }
for c in sub leaf; do
	openssl x509 -req -in "$T/$c.csr" -CA "$T/root.pem" -CAkey "$T/root.key" -CAcreateserial \
		-days 30 -extfile "$T/x.cnf" -extensions "$(ext $c)" -out "$T/$c.pem" 2>/dev/null ||
		fail "$c certificate"
done
cat "$T/root.pem" "$T/sub.pem" >"$T/two.pem"
fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f; }

# anchor_body NAME PEM-FILE [EXTRA-JSON-OBJECT]: a creation body
anchor_body() {
	python3 -c 'import json,sys
b={"name":sys.argv[1],"certificate_pem":open(sys.argv[2]).read()}
b.update(json.loads(sys.argv[3]))
print(json.dumps(b))' "$1" "$2" "${3-{\}}"
}
# jget JSON-TEXT PYTHON-EXPRESSION-ON-d: prints the value

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance anchors
start_instance
ADMIN_KEY=$(cat "$I_STATE/admin.key")

r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"globex"}'); GLOBEX=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$ACME\",\"name\":\"alice\",\"roles\":[\"tenant-admin\"]}")
ALICE=$(field "${r#* }" id)
ALICE_KEY=$(field "$(api "$ADMIN_KEY" POST "/users/$ALICE/api-keys" '{}' | cut -d' ' -f2-)" key)
r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$ACME\",\"name\":\"olga\",\"roles\":[\"operator\"]}")
OLGA_KEY=$(field "$(api "$ADMIN_KEY" POST "/users/$(field "${r#* }" id)/api-keys" '{}' | cut -d' ' -f2-)" key)
r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$GLOBEX\",\"name\":\"gus\",\"roles\":[\"tenant-admin\"]}")
GUS_KEY=$(field "$(api "$ADMIN_KEY" POST "/users/$(field "${r#* }" id)/api-keys" '{}' | cut -d' ' -f2-)" key)
psql -qc "insert into profiles (tenant_id, name, kind) values ('$ACME', 'stations', 'x509'), ('$ACME', 'techs', 'ssh-user')"

# a root CA
r=$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body acme-root "$T/root.pem")")
expect_api "create root anchor" "$r" 201
b=${r#* }
ROOT=$(field "$b" id)
expect_eq "anchor tenant" "$(field "$b" tenant)" "$ACME"
expect_eq "anchor name" "$(field "$b" name)" acme-root
expect_eq "anchor subject" "$(field "$b" subject)" "CN=Acme Mfg Root,O=Acme"
expect_eq "anchor issuer" "$(field "$b" issuer)" "CN=Acme Mfg Root,O=Acme"
expect_eq "anchor fingerprint" "$(field "$b" sha256)" "$(fingerprint "$T/root.pem")"
expect_eq "anchor not_after" "$(field "$b" not_after)" \
	"$(date -u -d "$(openssl x509 -in "$T/root.pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)"
expect_eq "anchor not_before is RFC 3339 UTC" \
	"$(field "$b" not_before | sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/ok/')" ok
expect_eq "root is self-signed" "$(field "$b" self_signed)" true
expect_eq "chain of a root" "$(jget "$b" '[(c["subject"], c["root"]) for c in d["chain"]]')" \
	'[["CN=Acme Mfg Root,O=Acme", true]]'
expect_eq "auto_register default" "$(field "$b" auto_register)" false
expect_eq "profile default" "$(field "$b" profile)" null
expect_eq "certificate_pem round trip" "$(field "$b" certificate_pem)" "$(cat "$T/root.pem")"
expect_eq "no raw policy or DER member" "$(jget "$b" '"policy" in d or "certificate" in d')" false

# an intermediate CA with an auto-registration policy
r=$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body acme-sub "$T/sub.pem" '{"auto_register":true,"profile":"stations"}')")
expect_api "create intermediate anchor" "$r" 201
b=${r#* }
SUB=$(field "$b" id)
expect_eq "intermediate issuer" "$(field "$b" issuer)" "CN=Acme Mfg Root,O=Acme"
expect_eq "intermediate is not self-signed" "$(field "$b" self_signed)" false
expect_eq "intermediate chain" "$(jget "$b" '[(c["subject"], c["issuer"], c["root"]) for c in d["chain"]]')" \
	'[["CN=sub,O=Acme", "CN=Acme Mfg Root,O=Acme", false]]'
expect_eq "auto_register kept" "$(field "$b" auto_register)" true
expect_eq "profile kept" "$(field "$b" profile)" stations
expect_eq "policy stored in the anchor's jsonb" \
	"$(psql -Atc "select policy->>'auto_register', policy->>'profile' from trust_anchors where id = '$SUB'")" "true|stations"

# refused certificates and bad bodies
expect_api "device certificate refused" \
	"$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body leaf "$T/leaf.pem")")" 422 refused_by_policy certificate_pem
expect_contains "message names basicConstraints" \
	"$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body leaf "$T/leaf.pem")")" "basicConstraints CA:TRUE is missing"
expect_api "CA without keyCertSign refused" \
	"$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body noku "$T/noku.pem")")" 422 refused_by_policy certificate_pem
expect_api "two certificates" \
	"$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body two "$T/two.pem")")" 400 invalid_value certificate_pem
expect_api "a private key" \
	"$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body key "$T/root.key")")" 400 invalid_value certificate_pem
printf -- '-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n' >"$T/junk.pem"
expect_api "PEM that is no certificate" \
	"$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body junk "$T/junk.pem")")" 400 invalid_value certificate_pem
expect_api "not PEM at all" \
	"$(api "$ALICE_KEY" POST /trust-anchors '{"name":"x","certificate_pem":"hello"}')" 400 invalid_value certificate_pem
expect_api "certificate missing" "$(api "$ALICE_KEY" POST /trust-anchors '{"name":"x"}')" 400 missing_field certificate_pem
expect_api "name missing" "$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body "" "$T/root.pem")")" 400 missing_field name
expect_api "auto_register wrong type" \
	"$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body x "$T/root.pem" '{"auto_register":"yes"}')")" 400 wrong_type auto_register
expect_api "auto_register without profile" \
	"$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body x "$T/root.pem" '{"auto_register":true}')")" 400 missing_field profile
expect_api "unknown profile" \
	"$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body x "$T/root.pem" '{"profile":"nope"}')")" 422 refused_by_policy profile
expect_api "profile of another kind" \
	"$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body x "$T/root.pem" '{"profile":"techs"}')")" 422 refused_by_policy profile
expect_api "unknown field" \
	"$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body x "$T/root.pem" '{"colour":"red"}')")" 400 unknown_field colour
expect_api "duplicate name" \
	"$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body acme-root "$T/sub.pem")")" 409 conflict
expect_api "tenant admin: anchor in another tenant" \
	"$(api "$ALICE_KEY" POST /trust-anchors "$(anchor_body x "$T/root.pem" "{\"tenant\":\"$GLOBEX\"}")")" 404 not_found tenant
expect_api "operator may not create" \
	"$(api "$OLGA_KEY" POST /trust-anchors "$(anchor_body x "$T/root.pem")")" 403 forbidden

# the same CA may be an anchor of another tenant too
r=$(api "$ADMIN_KEY" POST /trust-anchors "$(anchor_body globex-root "$T/root.pem" "{\"tenant\":\"$GLOBEX\"}")")
expect_api "platform admin creates an anchor in globex" "$r" 201
GROOT=$(field "${r#* }" id)

# reads, pagination, isolation
expect_api "get anchor" "$(api "$OLGA_KEY" GET "/trust-anchors/$ROOT")" 200
expect_eq "operator lists acme's anchors" \
	"$(jget "$(api "$OLGA_KEY" GET /trust-anchors | cut -d' ' -f2-)" '[a["name"] for a in d["items"]]')" \
	'["acme-root", "acme-sub"]'
r=$(api "$ALICE_KEY" GET '/trust-anchors?limit=1')
expect_eq "page 1" "$(jget "${r#* }" '[a["name"] for a in d["items"]]')" '["acme-root"]'
r=$(api "$ALICE_KEY" GET "/trust-anchors?limit=1&cursor=$(field "${r#* }" next_cursor)")
expect_eq "page 2" "$(jget "${r#* }" '[a["name"] for a in d["items"]]')" '["acme-sub"]'
expect_api "other tenant's anchor is 404" "$(api "$ALICE_KEY" GET "/trust-anchors/$GROOT")" 404 not_found
expect_api "globex does not see acme's" "$(api "$GUS_KEY" GET "/trust-anchors/$ROOT")" 404 not_found
expect_eq "platform admin lists every tenant's" \
	"$(jget "$(api "$ADMIN_KEY" GET /trust-anchors | cut -d' ' -f2-)" 'len(d["items"])')" 3
expect_api "bad id" "$(api "$ALICE_KEY" GET /trust-anchors/xyz)" 400 invalid_uuid id
expect_api "unknown id" "$(api "$ALICE_KEY" GET /trust-anchors/00000000-0000-0000-0000-000000000000)" 404 not_found

# delete
expect_api "operator may not delete" "$(api "$OLGA_KEY" DELETE "/trust-anchors/$SUB")" 403 forbidden
expect_api "delete in another tenant is 404" "$(api "$GUS_KEY" DELETE "/trust-anchors/$SUB")" 404 not_found
expect_api "delete" "$(api "$ALICE_KEY" DELETE "/trust-anchors/$SUB")" 204
expect_api "deleted anchor is gone" "$(api "$ALICE_KEY" GET "/trust-anchors/$SUB")" 404 not_found
expect_api "delete again" "$(api "$ALICE_KEY" DELETE "/trust-anchors/$SUB")" 404 not_found

# audit
expect_eq "audit: trust_anchor.create by alice" \
	"$(psql -Atc "select count(*) from audit where action = 'trust_anchor.create' and object_id = '$ROOT' and actor_id = '$ALICE' and tenant_id = '$ACME' and details->>'sha256' = '$(fingerprint "$T/root.pem")'")" 1
expect_eq "audit: trust_anchor.delete by alice" \
	"$(psql -Atc "select count(*) from audit where action = 'trust_anchor.delete' and object_id = '$SUB' and actor_id = '$ALICE' and details->>'name' = 'acme-sub'")" 1
expect_eq "refused requests change nothing" "$(psql -Atc "select count(*) from trust_anchors")" 2
stop_instance
