#!/bin/bash
# Admin API profiles: the built-in profiles are shared and marked builtin
# (only platform admins change them), x509 bodies are checked and refusals
# name the body path, other kinds are stored as given, changes and deletions
# are audited, tenants are isolated.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance profiles
start_instance
ADMIN_KEY=$(cat "$I_STATE/admin.key")

r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"globex"}'); GLOBEX=$(field "${r#* }" id)
ALICE=$(user_key "$ACME" alice tenant-admin)
OLGA=$(user_key "$ACME" olga operator)
GUS=$(user_key "$GLOBEX" gus tenant-admin)

BUILTINS='["iec62351-device", "ocsp-signer", "pre-enrollment", "short-lived-device", "ssh-device-host", "ssh-technician", "tls-client", "tls-server"]'
r=$(api "$OLGA" GET "/profiles?limit=1000")
expect_api "list profiles (operator)" "$r" 200
expect_eq "built-in profiles" "$(jget "${r#* }" 'sorted(p["name"] for p in d["items"])')" "$BUILTINS"
expect_eq "all marked builtin" "$(jget "${r#* }" 'all(p["builtin"] is True for p in d["items"])')" true
TLS=$(jget "${r#* }" '[p["id"] for p in d["items"] if p["name"] == "tls-client"][0]')
BODY=$(jget "${r#* }" 'json.dumps([p["body"] for p in d["items"] if p["name"] == "tls-client"][0])')
r=$(api "$OLGA" GET "/profiles?kind=ssh-user")
expect_eq "the built-in ssh-user profile" "$(jget "${r#* }" '[p["name"] for p in d["items"]]')" '["ssh-technician"]'
r=$(api "$OLGA" GET "/profiles?kind=pgp")
expect_api "unknown kind filter" "$r" 400 invalid_value kind
r=$(api "$GUS" GET "/profiles/$TLS")
expect_api "another tenant sees a built-in profile" "$r" 200
expect_eq "shown builtin" "$(jget "${r#* }" 'd["builtin"]')" true

# create: x509 bodies are checked, refusals name the body path
with() { python3 -c 'import json,sys; b=json.loads(sys.argv[1]); exec(sys.argv[2]); print(json.dumps(b))' "$BODY" "$1"; }
r=$(api "$ALICE" POST /profiles "{\"name\":\"stations\",\"body\":$(with 'b["validity"]={"default":"30d","max":"60d"}')}")
expect_api "create x509 profile" "$r" 201
b=${r#* }
ST=$(jget "$b" 'd["id"]')
expect_eq "created: tenant, kind, builtin, approval" \
	"$(jget "$b" '" ".join([d["tenant"], d["kind"], str(d["builtin"]), str(d["approval_required"])])')" \
	"$ACME x509 False False"
expect_eq "created: body kept" "$(jget "$b" 'd["body"]["validity"]["max"]')" 60d
r=$(api "$ALICE" POST /profiles "{\"name\":\"bad\",\"body\":$(with 'b["validity"]={"default":"90d","max":"30d"}')}")
expect_api "default validity above the maximum" "$r" 400 invalid body.validity.default
r=$(api "$ALICE" POST /profiles "{\"name\":\"bad\",\"body\":$(with 'b["colour"]="red"')}")
expect_api "unknown member in the body" "$r" 400 invalid body.colour
r=$(api "$ALICE" POST /profiles "{\"name\":\"bad\",\"body\":$(with 'b["key_algorithms"]=["ec-p256","dsa"]')}")
expect_api "unknown key algorithm" "$r" 400 invalid "body.key_algorithms[1]"
r=$(api "$ALICE" POST /profiles '{"name":"bad"}')
expect_api "no body" "$r" 400 missing_field body
r=$(api "$ALICE" POST /profiles '{"name":"bad","body":[]}')
expect_api "body not an object" "$r" 400 wrong_type body
r=$(api "$ALICE" POST /profiles "{\"name\":\"big\",\"kind\":\"ssh-user\",\"body\":{\"x\":\"$(head -c 33000 /dev/zero | tr '\0' a)\"}}")
expect_api "body over 32768 bytes" "$r" 400 too_long body
r=$(api "$ALICE" POST /profiles '{"name":"bad","kind":"pgp","body":{}}')
expect_api "unknown kind" "$r" 400 invalid_value kind
r=$(api "$ALICE" POST /profiles '{"name":"techs","kind":"ssh-user","body":{"principals":["ops"]}}')
expect_api "an ssh-user body is checked" "$r" 400 invalid body.ttl
r=$(api "$ALICE" POST /profiles '{"name":"techs","kind":"ssh-user","body":{"ttl":{"max":"1h"},"principals":["ops"]}}')
expect_api "an ssh-user principal template needs a placeholder" "$r" 400 invalid body.principals[0]
r=$(api "$ALICE" POST /profiles '{"name":"techs","kind":"ssh-user","body":{"ttl":{"max":"1h"},"principals":["ops:{user}"]}}')
expect_api "an ssh-user profile" "$r" 201
TECHS=$(jget "${r#* }" 'd["id"]')
r=$(api "$ALICE" POST /profiles '{"name":"hosts","kind":"ssh-host","body":{"ttl":{"max":"1h"},"principals":["{user}"]}}')
expect_api "an ssh-host template names the device" "$r" 400 invalid body.principals[0]
r=$(api "$ALICE" POST /profiles '{"name":"hosts","kind":"ssh-host","body":{"ttl":{"max":"1h"},"principals":["{serial}.{site}"]}}')
expect_api "an ssh-host template has one placeholder" "$r" 400 invalid body.principals[0]
r=$(api "$ALICE" POST /profiles '{"name":"hosts","kind":"ssh-host","body":{"ttl":{"max":"1h"},"principals":["{serial}.example"]}}')
expect_api "an ssh-host profile" "$r" 201
r=$(api "$ALICE" POST /profiles '{"name":"keys","kind":"lorawan","body":{"x":1}}')
expect_api "other kinds are stored as given" "$r" 201
r=$(api "$ALICE" POST /profiles "{\"name\":\"stations\",\"body\":$BODY}")
expect_api "name taken" "$r" 409 conflict name
r=$(api "$ALICE" POST /profiles "{\"name\":\"tls-client\",\"body\":$BODY}")
expect_api "a tenant may shadow a built-in name" "$r" 201
r=$(api "$OLGA" POST /profiles "{\"name\":\"op\",\"body\":$BODY}")
expect_api "operators do not create profiles" "$r" 403 forbidden
r=$(api "$ADMIN_KEY" POST /profiles "{\"tenant\":\"$GLOBEX\",\"name\":\"meters\",\"body\":$BODY,\"approval_required\":true}")
expect_api "platform admin creates for a tenant" "$r" 201
METERS=$(jget "${r#* }" 'd["id"]')
expect_eq "for the named tenant" "$(jget "${r#* }" 'd["tenant"] + " " + str(d["approval_required"])')" "$GLOBEX True"

# change
r=$(api "$ALICE" PATCH "/profiles/$ST" '{"approval_required":true}')
expect_api "require approval" "$r" 200
expect_eq "approval set, body kept" "$(jget "${r#* }" 'str(d["approval_required"]) + " " + d["body"]["validity"]["max"]')" "True 60d"
r=$(api "$ALICE" PATCH "/profiles/$ST" "{\"body\":$(with 'b["validity"]={"default":"10d","max":"20d"}')}")
expect_api "replace the body" "$r" 200
expect_eq "new body" "$(jget "${r#* }" 'd["body"]["validity"]["max"]')" 20d
r=$(api "$ALICE" PATCH "/profiles/$ST" "{\"body\":$(with 'b["validity"]={"default":"10d","max":"soon"}')}")
expect_api "invalid new body" "$r" 400 invalid body.validity.max
r=$(api "$ALICE" PATCH "/profiles/$ST" '{}')
expect_api "nothing to change" "$r" 400 missing_field
r=$(api "$ALICE" PATCH "/profiles/$ST" '{"name":"x"}')
expect_api "name cannot change" "$r" 400 unknown_field name
r=$(api "$ALICE" PATCH "/profiles/$TLS" '{"approval_required":true}')
expect_api "tenant admin changes a built-in profile" "$r" 403 forbidden
r=$(api "$ALICE" DELETE "/profiles/$TLS")
expect_api "tenant admin deletes a built-in profile" "$r" 403 forbidden
r=$(api "$ADMIN_KEY" PATCH "/profiles/$TLS" '{"approval_required":true}')
expect_api "platform admin changes a built-in profile" "$r" 200
r=$(api "$ADMIN_KEY" PATCH "/profiles/$TLS" '{"approval_required":false}')
expect_api "and back" "$r" 200

# isolation
r=$(api "$GUS" GET "/profiles/$ST")
expect_api "another tenant's profile" "$r" 404 not_found
r=$(api "$GUS" PATCH "/profiles/$ST" '{"approval_required":false}')
expect_api "change another tenant's profile" "$r" 404 not_found
r=$(api "$GUS" DELETE "/profiles/$ST")
expect_api "delete another tenant's profile" "$r" 404 not_found
r=$(api "$GUS" GET "/profiles?limit=1000")
expect_eq "another tenant's list" "$(jget "${r#* }" 'sorted(p["name"] for p in d["items"] if not p["builtin"])')" '["meters"]'
r=$(api "$ADMIN_KEY" GET "/profiles/$METERS")
expect_api "platform admin sees any tenant's profile" "$r" 200

# delete
r=$(api "$ALICE" DELETE "/profiles/$TECHS")
expect_api "delete" "$r" 204
r=$(api "$ALICE" GET "/profiles/$TECHS")
expect_api "deleted" "$r" 404 not_found
r=$(api "$OLGA" POST /devices '{"serial":"SN-1"}'); DEV=$(field "${r#* }" id)
r=$(api "$OLGA" POST "/devices/$DEV/enrollment-tokens" "{\"profile\":\"$ST\"}")
expect_api "a token under the profile" "$r" 201
r=$(api "$ALICE" DELETE "/profiles/$ST")
expect_api "delete a profile a token uses" "$r" 409 conflict
audit_count() { psql -tAc "SELECT count(*) FROM audit WHERE action = '$1' AND object_id = '$2'"; }
expect_eq "audit: profile.update" "$(audit_count profile.update "$ST")" 2
expect_eq "audit: profile.update of the built-in" "$(audit_count profile.update "$TLS")" 2
expect_eq "audit: profile.delete" "$(audit_count profile.delete "$TECHS")" 1
stop_instance
