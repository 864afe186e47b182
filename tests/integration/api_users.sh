#!/bin/bash
# Admin API: changing users (PATCH), disabling them (DELETE), and listing and
# revoking their API keys; role rules, self-protection, isolation, audit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance users
start_instance
ADMIN_KEY=$(cat "$I_STATE/admin.key")
ADMIN=$(psql -Atc "select user_id from user_roles where role = 'platform-admin'")

r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"globex"}'); GLOBEX=$(field "${r#* }" id)
newkey() { field "$(api "$ADMIN_KEY" POST "/users/$1/api-keys" '{}' | cut -d' ' -f2-)" "$2"; }
r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$ACME\",\"name\":\"alice\",\"roles\":[\"tenant-admin\"]}")
ALICE=$(field "${r#* }" id); ALICE_KEY=$(newkey "$ALICE" key)
r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$ACME\",\"name\":\"olga\",\"roles\":[\"operator\"]}")
OLGA=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST "/users/$OLGA/api-keys" '{}'); OLGA_KEY=$(field "${r#* }" key); OLGA_KID=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST "/users/$OLGA/api-keys" '{}'); OLGA_KEY2=$(field "${r#* }" key)
r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$ACME\",\"name\":\"audrey\",\"roles\":[\"auditor\"]}")
AUDREY_KEY=$(newkey "$(field "${r#* }" id)" key)
r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$GLOBEX\",\"name\":\"gus\",\"roles\":[\"tenant-admin\"]}")
GUS=$(field "${r#* }" id); GUS_KEY=$(newkey "$GUS" key)

# PATCH
r=$(api "$ALICE_KEY" PATCH "/users/$OLGA" '{"email":"olga@acme.example","attributes":{"sites":["s1","s2"]},"roles":["auditor","operator"]}')
expect_api "patch user" "$r" 200
b=${r#* }
expect_eq "email changed" "$(field "$b" email)" olga@acme.example
expect_eq "attributes replaced" "$(field "$b" attributes)" '{"sites": ["s1", "s2"]}'
expect_eq "roles replaced as a set" "$(field "$b" roles)" '["auditor", "operator"]'
expect_eq "status kept" "$(field "$b" status)" active
r=$(api "$ALICE_KEY" PATCH "/users/$OLGA" '{"roles":["operator"]}')
expect_eq "role removed" "$(field "${r#* }" roles)" '["operator"]'
expect_eq "email untouched by a later patch" "$(field "${r#* }" email)" olga@acme.example
expect_api "empty patch" "$(api "$ALICE_KEY" PATCH "/users/$OLGA" '{}')" 200
expect_api "unknown status" "$(api "$ALICE_KEY" PATCH "/users/$OLGA" '{"status":"gone"}')" 400 invalid_value status
expect_api "status wrong type" "$(api "$ALICE_KEY" PATCH "/users/$OLGA" '{"status":1}')" 400 wrong_type status
expect_api "unknown role" "$(api "$ALICE_KEY" PATCH "/users/$OLGA" '{"roles":["root"]}')" 400 invalid_value roles
expect_api "role twice" "$(api "$ALICE_KEY" PATCH "/users/$OLGA" '{"roles":["operator","operator"]}')" 400 invalid_value roles
expect_api "roles wrong type" "$(api "$ALICE_KEY" PATCH "/users/$OLGA" '{"roles":"operator"}')" 400 wrong_type roles
expect_api "attributes wrong type" "$(api "$ALICE_KEY" PATCH "/users/$OLGA" '{"attributes":[]}')" 400 wrong_type attributes
expect_api "name is not patchable" "$(api "$ALICE_KEY" PATCH "/users/$OLGA" '{"name":"x"}')" 400 unknown_field name
expect_api "email too long" "$(api "$ALICE_KEY" PATCH "/users/$OLGA" "{\"email\":\"$(head -c 300 /dev/zero | tr '\0' a)\"}")" 400 too_long email
expect_api "tenant admin may not grant platform-admin" \
	"$(api "$ALICE_KEY" PATCH "/users/$OLGA" '{"roles":["platform-admin"]}')" 403 forbidden roles
expect_api "bad id" "$(api "$ALICE_KEY" PATCH /users/nope '{}')" 400 invalid_uuid id
expect_api "user of another tenant is 404" "$(api "$GUS_KEY" PATCH "/users/$OLGA" '{"email":"x@y"}')" 404 not_found
expect_api "tenant admin: platform admin is another tenant's" "$(api "$ALICE_KEY" PATCH "/users/$ADMIN" '{}')" 404 not_found
expect_api "operator may not patch" "$(api "$OLGA_KEY" PATCH "/users/$OLGA" '{}')" 403 forbidden
expect_api "auditor may not patch" "$(api "$AUDREY_KEY" PATCH "/users/$OLGA" '{}')" 403 forbidden
expect_api "own admin role kept" "$(api "$ALICE_KEY" PATCH "/users/$ALICE" '{"roles":["tenant-admin","auditor"]}')" 200
expect_api "may not drop own admin role" "$(api "$ALICE_KEY" PATCH "/users/$ALICE" '{"roles":["operator"]}')" 409 conflict roles
expect_api "may not disable oneself" "$(api "$ALICE_KEY" PATCH "/users/$ALICE" '{"status":"disabled"}')" 409 conflict status

# status
expect_api "suspend" "$(api "$ALICE_KEY" PATCH "/users/$OLGA" '{"status":"suspended"}')" 200
expect_api "a suspended user's key fails" "$(api "$OLGA_KEY" GET /tenants)" 401 unauthenticated
expect_api "resume" "$(api "$ALICE_KEY" PATCH "/users/$OLGA" '{"status":"active"}')" 200
expect_api "works again" "$(api "$OLGA_KEY" GET /tenants)" 200

# API keys: list without secrets, revoke
r=$(api "$AUDREY_KEY" GET "/users/$OLGA/api-keys")
expect_api "auditor lists keys" "$r" 200
b=${r#* }
expect_eq "two keys" "$(jget "$b" 'len(d["items"])')" 2
expect_eq "key members" "$(jget "$b" 'sorted(d["items"][0].keys())')" \
	'["created_at", "expires_at", "id", "last_used_at", "revoked_at", "tenant", "user_id"]'
# the secret is what follows "mpk_<32 hex digits>_" (it may itself hold "_")
case "$b" in *"${OLGA_KEY:37}"*|*"${OLGA_KEY2:37}"*|*hash*) fail "a key secret or hash in the key list" ;; esac
ok "no secret or hash in the key list"
r=$(api "$ALICE_KEY" GET "/users/$OLGA/api-keys?limit=1")
expect_eq "keys page 1" "$(jget "${r#* }" 'len(d["items"])')" 1
r=$(api "$ALICE_KEY" GET "/users/$OLGA/api-keys?limit=1&cursor=$(field "${r#* }" next_cursor)")
expect_eq "keys page 2" "$(jget "${r#* }" 'len(d["items"])')" 1
expect_api "keys of another tenant's user" "$(api "$GUS_KEY" GET "/users/$OLGA/api-keys")" 404 not_found
expect_api "keys of no user" "$(api "$ALICE_KEY" GET /users/00000000-0000-0000-0000-000000000000/api-keys)" 404 not_found
expect_api "operator may not list keys" "$(api "$OLGA_KEY" GET "/users/$OLGA/api-keys")" 403 forbidden
expect_api "revoke under the wrong user" "$(api "$ALICE_KEY" DELETE "/users/$ALICE/api-keys/$OLGA_KID")" 404 not_found
expect_api "revoke in another tenant" "$(api "$GUS_KEY" DELETE "/users/$OLGA/api-keys/$OLGA_KID")" 404 not_found
expect_api "auditor may not revoke" "$(api "$AUDREY_KEY" DELETE "/users/$OLGA/api-keys/$OLGA_KID")" 403 forbidden
expect_api "revoke" "$(api "$ALICE_KEY" DELETE "/users/$OLGA/api-keys/$OLGA_KID")" 204
expect_api "revoked key fails" "$(api "$OLGA_KEY" GET /tenants)" 401 unauthenticated
expect_api "revoke again" "$(api "$ALICE_KEY" DELETE "/users/$OLGA/api-keys/$OLGA_KID")" 409 conflict
expect_api "bad key id" "$(api "$ALICE_KEY" DELETE "/users/$OLGA/api-keys/zz")" 400 invalid_uuid id
expect_api "other key still works" "$(api "$OLGA_KEY2" GET /tenants)" 200

# DELETE: disable and revoke every key
expect_api "may not delete oneself" "$(api "$ALICE_KEY" DELETE "/users/$ALICE")" 409 conflict
expect_api "delete in another tenant" "$(api "$GUS_KEY" DELETE "/users/$OLGA")" 404 not_found
expect_api "operator may not delete" "$(api "$OLGA_KEY2" DELETE "/users/$ALICE")" 403 forbidden
expect_api "delete" "$(api "$ALICE_KEY" DELETE "/users/$OLGA")" 204
expect_eq "deleted user is disabled" "$(field "$(api "$ALICE_KEY" GET "/users/$OLGA" | cut -d' ' -f2-)" status)" disabled
expect_eq "every key revoked" \
	"$(jget "$(api "$ALICE_KEY" GET "/users/$OLGA/api-keys" | cut -d' ' -f2-)" 'all(k["revoked_at"] for k in d["items"])')" true
expect_api "the other key fails now" "$(api "$OLGA_KEY2" GET /tenants)" 401 unauthenticated
expect_api "re-enabling does not bring keys back" "$(api "$ALICE_KEY" PATCH "/users/$OLGA" '{"status":"active"}')" 200
expect_api "key stays revoked" "$(api "$OLGA_KEY2" GET /tenants)" 401 unauthenticated
expect_api "platform admin deletes gus" "$(api "$ADMIN_KEY" DELETE "/users/$GUS")" 204

# audit
expect_eq "audit: user.update with from/to of roles" \
	"$(psql -Atc "select count(*) from audit where action = 'user.update' and object_id = '$OLGA' and actor_id = '$ALICE' and tenant_id = '$ACME' and details->'roles'->'to' = '[\"operator\"]'")" 1
expect_eq "audit: user.update of status" \
	"$(psql -Atc "select count(*) from audit where action = 'user.update' and object_id = '$OLGA' and details->'status'->>'to' = 'suspended'")" 1
expect_eq "audit: no entry for an empty patch" \
	"$(psql -Atc "select count(*) from audit where action = 'user.update' and object_id = '$OLGA'")" 5
expect_eq "audit: user.disable" \
	"$(psql -Atc "select details->>'keys_revoked' from audit where action = 'user.disable' and object_id = '$OLGA' and actor_id = '$ALICE'")" 1
expect_eq "audit: apikey.revoke" \
	"$(psql -Atc "select count(*) from audit where action = 'apikey.revoke' and object_id = '$OLGA_KID' and actor_id = '$ALICE'")" 1
stop_instance
