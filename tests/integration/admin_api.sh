#!/bin/bash
# Admin REST API conventions: authentication, roles, tenant isolation,
# validation errors with their documented codes, pagination, API keys.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance api
start_instance
ADMIN_KEY=$(cat "$I_STATE/admin.key")

# authentication
expect_api "no credential" "$(api "" GET /tenants)" 401 unauthenticated
expect_contains "WWW-Authenticate" "$(admin_curl $API/tenants -D - -o /dev/null)" "WWW-Authenticate: Bearer"
expect_api "wrong key" "$(api mpk_00000000000000000000000000000000_AAAA GET /tenants)" 401 unauthenticated
expect_api "garbage key" "$(api 'x y z' GET /tenants)" 401 unauthenticated
expect_api "unknown path" "$(api "$ADMIN_KEY" GET /nothing)" 404 not_found
expect_api "wrong method" "$(api "$ADMIN_KEY" DELETE /tenants)" 405 method_not_allowed

# tenants
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); expect_api "create tenant" "$r" 201
ACME=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"globex"}'); expect_api "create tenant 2" "$r" 201
GLOBEX=$(field "${r#* }" id)
expect_api "duplicate tenant" "$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}')" 409 conflict
expect_api "unknown field" "$(api "$ADMIN_KEY" POST /tenants '{"name":"x","color":1}')" 400 unknown_field color
expect_api "wrong type" "$(api "$ADMIN_KEY" POST /tenants '{"name":5}')" 400 wrong_type name
expect_api "missing field" "$(api "$ADMIN_KEY" POST /tenants '{}')" 400 missing_field name
expect_api "too long" "$(api "$ADMIN_KEY" POST /tenants "{\"name\":\"$(head -c 200 /dev/zero | tr '\0' x)\"}")" 400 too_long name
expect_api "malformed JSON" "$(api "$ADMIN_KEY" POST /tenants '{"name":')" 400 malformed_json
expect_api "not an object" "$(api "$ADMIN_KEY" POST /tenants '["name"]')" 400 malformed_json
expect_api "duplicate keys" "$(api "$ADMIN_KEY" POST /tenants '{"name":"a","name":"b"}')" 400 malformed_json
code=$(admin_curl $API/tenants -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN_KEY" \
	-H 'Content-Type: text/plain' --data-binary '{"name":"x"}')
expect_eq "wrong content type" "$code" 415
expect_api "bad uuid in path" "$(api "$ADMIN_KEY" GET /tenants/not-a-uuid)" 400 invalid_uuid id
expect_api "unknown tenant" "$(api "$ADMIN_KEY" GET /tenants/00000000-0000-0000-0000-000000000000)" 404 not_found

# pagination
expect_api "limit 0" "$(api "$ADMIN_KEY" GET '/tenants?limit=0')" 400 out_of_range limit
expect_api "limit 1001" "$(api "$ADMIN_KEY" GET '/tenants?limit=1001')" 400 out_of_range limit
expect_api "limit x" "$(api "$ADMIN_KEY" GET '/tenants?limit=x')" 400 out_of_range limit
expect_api "bad cursor" "$(api "$ADMIN_KEY" GET '/tenants?cursor=!!')" 400 invalid_cursor cursor
names=""
cursor=""
for i in 1 2 3 4; do
	r=$(api "$ADMIN_KEY" GET "/tenants?limit=1${cursor:+&cursor=$cursor}")
	expect_eq "page $i status" "${r%% *}" 200
	names="$names$(python3 -c 'import json,sys; print("".join(t["name"]+"," for t in json.loads(sys.argv[1])["items"]))' "${r#* }")"
	cursor=$(field "${r#* }" next_cursor)
	[ "$cursor" = null ] && break
done
expect_eq "tenants paged one by one" "$names" "acme,globex,platform,"

# users, roles and keys; tenant isolation
r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$ACME\",\"name\":\"alice\",\"email\":\"alice@acme.example\",\"roles\":[\"tenant-admin\"],\"attributes\":{\"sites\":[\"s1\"]}}")
expect_api "create tenant admin" "$r" 201
ALICE=$(field "${r#* }" id)
expect_eq "user tenant field" "$(field "${r#* }" tenant)" "$ACME"
expect_eq "user roles" "$(field "${r#* }" roles)" '["tenant-admin"]'
expect_api "unknown role" "$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$ACME\",\"name\":\"x\",\"roles\":[\"root\"]}")" 400 invalid_value roles
expect_api "roles wrong type" "$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$ACME\",\"name\":\"x\",\"roles\":\"operator\"}")" 400 wrong_type roles
expect_api "tenant not a uuid" "$(api "$ADMIN_KEY" POST /users '{"tenant":"acme","name":"x"}')" 400 invalid_uuid tenant
r=$(api "$ADMIN_KEY" POST "/users/$ALICE/api-keys" '{"ttl":"1d"}')
expect_api "create key" "$r" 201
ALICE_KEY=$(field "${r#* }" key)
expect_contains "key format" "$ALICE_KEY" mpk_
expect_api "key ttl out of range" "$(api "$ADMIN_KEY" POST "/users/$ALICE/api-keys" '{"ttl":"99999d"}')" 400 out_of_range ttl

expect_api "tenant admin lists tenants" "$(api "$ALICE_KEY" GET /tenants)" 200
expect_eq "tenant admin sees only its tenant" \
	"$(python3 -c 'import json,sys; print([t["name"] for t in json.loads(sys.argv[1])["items"]])' "$(api "$ALICE_KEY" GET /tenants | cut -d' ' -f2-)")" "['acme']"
expect_api "tenant admin: other tenant is 404" "$(api "$ALICE_KEY" GET "/tenants/$GLOBEX")" 404 not_found
expect_api "tenant admin: own tenant" "$(api "$ALICE_KEY" GET "/tenants/$ACME")" 200
expect_api "tenant admin may not create tenants" "$(api "$ALICE_KEY" POST /tenants '{"name":"x"}')" 403 forbidden
expect_api "tenant admin may not grant platform-admin" \
	"$(api "$ALICE_KEY" POST /users '{"name":"eve","roles":["platform-admin"]}')" 403 forbidden roles
expect_api "tenant admin: user in another tenant is 404" \
	"$(api "$ALICE_KEY" POST /users "{\"tenant\":\"$GLOBEX\",\"name\":\"bob\"}")" 404 not_found tenant
r=$(api "$ALICE_KEY" POST /users '{"name":"olga","roles":["operator"]}')
expect_api "tenant admin creates an operator in its tenant" "$r" 201
expect_eq "operator's tenant" "$(field "${r#* }" tenant)" "$ACME"
OLGA=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$GLOBEX\",\"name\":\"gary\",\"roles\":[\"auditor\"]}")
GARY=$(field "${r#* }" id)
expect_api "tenant admin: user of another tenant is 404" "$(api "$ALICE_KEY" GET "/users/$GARY")" 404 not_found
expect_api "tenant admin: key for a user of another tenant is 404" \
	"$(api "$ALICE_KEY" POST "/users/$GARY/api-keys" '{}')" 404 not_found
r=$(api "$ALICE_KEY" POST "/users/$OLGA/api-keys" '{}')
OLGA_KEY=$(field "${r#* }" key)
expect_api "operator may not list users" "$(api "$OLGA_KEY" GET /users)" 403 forbidden
expect_api "operator may not create keys" "$(api "$OLGA_KEY" POST "/users/$OLGA/api-keys" '{}')" 403 forbidden
n=$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["items"]))' "$(api "$ALICE_KEY" GET /users | cut -d' ' -f2-)")
expect_eq "tenant admin lists the users of its tenant" "$n" 2
expect_api "users cursor that is not an id" "$(api "$ALICE_KEY" GET '/users?cursor=eA')" 400 invalid_cursor cursor

# Idempotency-Key: a retried POST gets the first response again
idem() { # idem KEY JSON PATH: status, replay header and body
	admin_curl "$API$3" -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' \
		-H "Idempotency-Key: $1" --data-binary "$2" -D "$T/hdr" -o "$T/idem" -w '%{http_code}'
	grep -qi '^Idempotent-Replayed: true' "$T/hdr" && echo -n " replayed"
	echo " $(cat "$T/idem")"
}
first=$(idem k-1 '{"name":"initech"}' /tenants)
again=$(idem k-1 '{"name":"initech"}' /tenants)
expect_eq "first idempotent POST" "${first%% *}" 201
expect_eq "retry replays the first response" "$again" "201 replayed ${first#201 }"
expect_eq "one tenant created" "$(psql -Atc "select count(*) from tenants where name = 'initech'")" 1
r=$(idem k-1 '{"name":"other"}' /tenants)
expect_eq "same key, different request" "${r%% *}" 422
expect_contains "reuse error" "$r" idempotency_key_reused
r=$(idem k-2 '{"name":"initech"}' /tenants)
expect_eq "an error response is replayed too (first)" "${r%% *}" 409
expect_eq "an error response is replayed too (again)" "$(idem k-2 '{"name":"initech"}' /tenants)" "409 replayed ${r#409 }"
k1=$(idem k-3 '{"ttl":"1d"}' "/users/$OLGA/api-keys")
k2=$(idem k-3 '{"ttl":"1d"}' "/users/$OLGA/api-keys")
expect_eq "key creation: first status" "${k1%% *}" 201
expect_eq "a replayed key response has no secret" "$(field "${k2#201 replayed }" key)" null
expect_eq "a replayed key response names the same key" "$(field "${k2#201 replayed }" id)" "$(field "${k1#201 }" id)"
psql -Atc "select body from idempotency_keys" | grep -qF "$(field "${k1#201 }" key)" &&
	fail "an API key secret was stored for replay"
ok "API key secrets are not stored for replay"
expect_eq "bad Idempotency-Key" "$(idem "$(head -c 300 /dev/zero | tr '\0' k)" '{"name":"z"}' /tenants | cut -d' ' -f1)" 400

# secrets: never in the logs; every change audited with its actor
grep -qF "${ALICE_KEY: -43}" "$T/api.log" && fail "an API key secret is in the log"
ok "API key secrets not in the log"
expect_eq "audit: tenant.create by the admin" \
	"$(psql -Atc "select count(*) from audit where action = 'tenant.create' and object_id = '$ACME' and actor_kind = 'user'")" 1
expect_eq "audit: user.create of olga by alice" \
	"$(psql -Atc "select count(*) from audit where action = 'user.create' and object_id = '$OLGA' and actor_id = '$ALICE'")" 1
stop_instance
