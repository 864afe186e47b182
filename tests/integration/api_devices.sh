#!/bin/bash
# Admin API devices: create, list with filters, show, change and status
# transitions; bulk import (JSON lines and CSV, all or nothing, 100,000
# devices); enrollment tokens. Tenant isolation both ways, validation errors
# with their documented codes, secrets never in a GET or the log, audit rows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance dev
start_instance
ADMIN_KEY=$(cat "$I_STATE/admin.key")
LOG="$T/dev.log"

# import KEY CONTENT-TYPE FILE [QUERY]: prints "STATUS BODY"
import() {
	local code
	code=$(admin_curl "$API/devices:import${4-}" -X POST -o "$T/body" -w '%{http_code}' \
		-H "Authorization: Bearer $1" -H "Content-Type: $2" --data-binary @"$3")
	echo "$code $(cat "$T/body")"
}
# jq-like: py EXPR JSON-TEXT (j is the parsed document)
py() { python3 -c "import json,sys; j=json.loads(sys.argv[1]); print($1)" "$2"; }
# pybody EXPR: the same on the last response body in $T/body (for bodies too large for argv)
pybody() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($1)" "$T/body"; }
count_devices() { psql -Atc "select count(*) from devices where tenant_id = '$1'"; }

# two tenants, an operator and an auditor in acme, an operator in globex
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"globex"}'); GLOBEX=$(field "${r#* }" id)
user_id_key() { # user_id_key TENANT NAME ROLE: prints the user id and a fresh API key
	local r id
	r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$1\",\"name\":\"$2\",\"roles\":[\"$3\"]}")
	id=$(field "${r#* }" id)
	r=$(api "$ADMIN_KEY" POST "/users/$id/api-keys" '{}')
	echo "$id $(field "${r#* }" key)"
}
read -r OP_ID OP < <(user_id_key "$ACME" olga operator)
read -r AU_ID AU < <(user_id_key "$ACME" aldo auditor)
read -r GOP_ID GOP < <(user_id_key "$GLOBEX" gina operator)
read -r TA_ID TA < <(user_id_key "$ACME" tina tenant-admin)
PROFILE=$(psql -qAtc "insert into profiles (tenant_id, name, kind) values ('$ACME', 'station', 'x509') returning id")
GPROFILE=$(psql -qAtc "insert into profiles (tenant_id, name, kind) values ('$GLOBEX', 'station', 'x509') returning id")

# --- create
r=$(api "$OP" POST /devices '{"serial":"CS-0001","model":"wallbox-22","manufacturer":"ACME","attributes":{"site":"berlin-1","bay":3}}')
expect_api "operator creates a device" "$r" 201
D1=$(field "${r#* }" id)
expect_eq "device tenant" "$(field "${r#* }" tenant)" "$ACME"
expect_eq "device status" "$(field "${r#* }" status)" active
expect_eq "device attributes" "$(field "${r#* }" attributes)" '{"bay": 3, "site": "berlin-1"}'
expect_eq "no tenant_id member" "$(py '"tenant_id" in j' "${r#* }")" False
expect_contains "created_at is RFC 3339 UTC" "$(field "${r#* }" created_at)" Z
expect_api "duplicate serial" "$(api "$OP" POST /devices '{"serial":"CS-0001"}')" 409 conflict serial
r=$(api "$GOP" POST /devices '{"serial":"CS-0001","attributes":{"site":"paris"}}')
expect_api "same serial in another tenant" "$r" 201
G1=$(field "${r#* }" id)
expect_api "tenant admin creates" "$(api "$TA" POST /devices '{"serial":"CS-0002","model":"wallbox-11","attributes":{"site":"berlin-1"}}')" 201
r=$(api "$ADMIN_KEY" POST /devices "{\"tenant\":\"$ACME\",\"serial\":\"CS-0003\",\"model\":\"wallbox-22\",\"attributes\":{\"site\":\"hamburg\"}}")
expect_api "platform admin creates in a named tenant" "$r" 201
expect_eq "platform admin's device tenant" "$(field "${r#* }" tenant)" "$ACME"
expect_api "platform admin: unknown tenant" \
	"$(api "$ADMIN_KEY" POST /devices '{"tenant":"00000000-0000-0000-0000-000000000000","serial":"x"}')" 404 not_found
expect_api "operator: other tenant in body" "$(api "$OP" POST /devices "{\"tenant\":\"$GLOBEX\",\"serial\":\"x\"}")" 404 not_found tenant
expect_api "auditor may not create" "$(api "$AU" POST /devices '{"serial":"x"}')" 403 forbidden

# --- validation of a new device
long=$(head -c 129 /dev/zero | tr '\0' m)
expect_api "unknown field" "$(api "$OP" POST /devices '{"serial":"x","colour":"red"}')" 400 unknown_field colour
expect_api "status is not set at creation" "$(api "$OP" POST /devices '{"serial":"x","status":"active"}')" 400 unknown_field status
expect_api "missing serial" "$(api "$OP" POST /devices '{"model":"m"}')" 400 missing_field serial
expect_api "empty serial" "$(api "$OP" POST /devices '{"serial":""}')" 400 missing_field serial
expect_api "serial wrong type" "$(api "$OP" POST /devices '{"serial":7}')" 400 wrong_type serial
expect_api "model wrong type" "$(api "$OP" POST /devices '{"serial":"x","model":["m"]}')" 400 wrong_type model
expect_api "serial too long" "$(api "$OP" POST /devices "{\"serial\":\"$long\"}")" 400 too_long serial
expect_api "manufacturer too long" "$(api "$OP" POST /devices "{\"serial\":\"x\",\"manufacturer\":\"$long\"}")" 400 too_long manufacturer
expect_api "control character" "$(api "$OP" POST /devices '{"serial":"a\u0001b"}')" 400 invalid_value serial
expect_api "attributes wrong type" "$(api "$OP" POST /devices '{"serial":"x","attributes":[1]}')" 400 wrong_type attributes
expect_api "site wrong type" "$(api "$OP" POST /devices '{"serial":"x","attributes":{"site":1}}')" 400 wrong_type attributes.site
big=$(python3 -c 'import json; print(json.dumps({"serial":"x","attributes":{"notes":"n"*5000}}))')
expect_api "attributes too long" "$(api "$OP" POST /devices "$big")" 400 too_long attributes
expect_api "tenant not a uuid" "$(api "$ADMIN_KEY" POST /devices '{"tenant":"acme","serial":"x"}')" 400 invalid_uuid tenant
expect_api "malformed JSON" "$(api "$OP" POST /devices '{"serial":')" 400 malformed_json

# --- show; isolation both ways
expect_api "operator shows its device" "$(api "$OP" GET "/devices/$D1")" 200
expect_api "auditor shows a device" "$(api "$AU" GET "/devices/$D1")" 200
expect_api "globex cannot see acme's device" "$(api "$GOP" GET "/devices/$D1")" 404 not_found
expect_api "acme cannot see globex's device" "$(api "$OP" GET "/devices/$G1")" 404 not_found
expect_api "platform admin sees both" "$(api "$ADMIN_KEY" GET "/devices/$G1")" 200
expect_api "bad uuid in path" "$(api "$OP" GET /devices/CS-0001)" 400 invalid_uuid id
expect_api "unknown device" "$(api "$OP" GET /devices/00000000-0000-0000-0000-000000000000)" 404 not_found

# --- list, filters, pagination
serials() { py '",".join(sorted(d["serial"] for d in j["items"]))' "$1"; }
r=$(api "$OP" GET /devices); expect_api "list" "$r" 200
expect_eq "operator lists only acme" "$(serials "${r#* }")" "CS-0001,CS-0002,CS-0003"
r=$(api "$GOP" GET /devices)
expect_eq "globex lists only globex" "$(serials "${r#* }")" "CS-0001"
r=$(api "$ADMIN_KEY" GET /devices)
expect_eq "platform admin lists every tenant" "$(py 'len(j["items"])' "${r#* }")" 4
r=$(api "$AU" GET '/devices?site=berlin-1'); expect_eq "filter site" "$(serials "${r#* }")" "CS-0001,CS-0002"
r=$(api "$OP" GET '/devices?model=wallbox-22'); expect_eq "filter model" "$(serials "${r#* }")" "CS-0001,CS-0003"
r=$(api "$OP" GET '/devices?serial=CS-0002'); expect_eq "filter serial" "$(serials "${r#* }")" "CS-0002"
r=$(api "$OP" GET '/devices?status=suspended'); expect_eq "filter status" "$(serials "${r#* }")" ""
r=$(api "$OP" GET '/devices?site=berlin-1&model=wallbox-11'); expect_eq "two filters" "$(serials "${r#* }")" "CS-0002"
expect_api "bad status filter" "$(api "$OP" GET '/devices?status=broken')" 400 invalid_value status
expect_api "filter too long" "$(api "$OP" GET "/devices?model=$long")" 400 too_long model
expect_api "limit 0" "$(api "$OP" GET '/devices?limit=0')" 400 out_of_range limit
expect_api "limit 1001" "$(api "$OP" GET '/devices?limit=1001')" 400 out_of_range limit
expect_api "limit -1" "$(api "$OP" GET '/devices?limit=-1')" 400 out_of_range limit
expect_api "bad cursor" "$(api "$OP" GET '/devices?cursor=bm90LWEtdXVpZA')" 400 invalid_cursor cursor
seen=""; cursor=""
for i in 1 2 3 4; do
	r=$(api "$OP" GET "/devices?limit=2${cursor:+&cursor=$cursor}")
	expect_eq "page $i status" "${r%% *}" 200
	seen="$seen$(py '"".join(d["serial"]+"," for d in j["items"])' "${r#* }")"
	cursor=$(field "${r#* }" next_cursor)
	[ "$cursor" = null ] && break
done
expect_eq "every device once over the pages" "$(echo "$seen" | tr ',' '\n' | sort | tr '\n' ' ')" " CS-0001 CS-0002 CS-0003 "

# --- change
r=$(api "$OP" PATCH "/devices/$D1" '{"model":"wallbox-44","attributes":{"site":"berlin-2"}}')
expect_api "patch fields" "$r" 200
expect_eq "patched model" "$(field "${r#* }" model)" wallbox-44
expect_eq "patched attributes replace the object" "$(field "${r#* }" attributes)" '{"site": "berlin-2"}'
expect_eq "manufacturer kept" "$(field "${r#* }" manufacturer)" ACME
r=$(api "$OP" PATCH "/devices/$D1" '{"manufacturer":null}')
expect_eq "null clears manufacturer" "$(field "${r#* }" manufacturer)" null
r=$(api "$OP" PATCH "/devices/$D1" '{"status":"suspended"}')
expect_api "suspend" "$r" 200
expect_eq "suspended" "$(field "${r#* }" status)" suspended
r=$(api "$OP" GET '/devices?status=suspended'); expect_eq "filter status after suspend" "$(serials "${r#* }")" "CS-0001"
expect_api "bad status" "$(api "$OP" PATCH "/devices/$D1" '{"status":"lost"}')" 400 invalid_value status
expect_api "status wrong type" "$(api "$OP" PATCH "/devices/$D1" '{"status":1}')" 400 wrong_type status
expect_api "patch unknown field" "$(api "$OP" PATCH "/devices/$D1" '{"serial":"new"}')" 400 unknown_field serial
expect_api "patch model too long" "$(api "$OP" PATCH "/devices/$D1" "{\"model\":\"$long\"}")" 400 too_long model
expect_api "patch attributes null" "$(api "$OP" PATCH "/devices/$D1" '{"attributes":null}')" 400 wrong_type attributes
expect_api "patch bad uuid" "$(api "$OP" PATCH /devices/x '{"model":"m"}')" 400 invalid_uuid id
expect_api "globex cannot patch acme's device" "$(api "$GOP" PATCH "/devices/$D1" '{"model":"x"}')" 404 not_found
expect_api "acme cannot patch globex's device" "$(api "$OP" PATCH "/devices/$G1" '{"status":"suspended"}')" 404 not_found
expect_api "auditor may not patch" "$(api "$AU" PATCH "/devices/$D1" '{"model":"x"}')" 403 forbidden
r=$(api "$ADMIN_KEY" GET "/devices/$G1"); expect_eq "globex device unchanged" "$(field "${r#* }" status)" active

# --- enrollment tokens
r=$(api "$OP" POST "/devices/$D1/enrollment-tokens" "{\"profile\":\"$PROFILE\"}")
expect_api "create token" "$r" 201
TOK=$(field "${r#* }" token); TID=$(field "${r#* }" id)
expect_contains "token format" "$TOK" mpe_
expect_eq "token members" "$(py '",".join(sorted(j))' "${r#* }")" "expires_at,id,token,uses"
expect_eq "default uses" "$(field "${r#* }" uses)" 1
expect_eq "default ttl 24h" "$(py 'round((__import__("datetime").datetime.fromisoformat(j["expires_at"].replace("Z","+00:00")).timestamp() - __import__("time").time())/3600)' "${r#* }")" 24
expect_eq "secret has 256 bits" "$(echo -n "${TOK:37}" | wc -c)" 43
r=$(api "$TA" POST "/devices/$D1/enrollment-tokens" "{\"profile\":\"$PROFILE\",\"ttl\":\"30d\",\"uses\":1000}")
expect_api "token with ttl and uses" "$r" 201
TOK2=$(field "${r#* }" token); TID2=$(field "${r#* }" id)
expect_eq "uses 1000" "$(field "${r#* }" uses)" 1000
expect_api "ttl over 30d" "$(api "$OP" POST "/devices/$D1/enrollment-tokens" "{\"profile\":\"$PROFILE\",\"ttl\":\"31d\"}")" 400 out_of_range ttl
expect_api "ttl garbage" "$(api "$OP" POST "/devices/$D1/enrollment-tokens" "{\"profile\":\"$PROFILE\",\"ttl\":\"soon\"}")" 400 out_of_range ttl
expect_api "ttl wrong type" "$(api "$OP" POST "/devices/$D1/enrollment-tokens" "{\"profile\":\"$PROFILE\",\"ttl\":3600}")" 400 wrong_type ttl
expect_api "uses 0" "$(api "$OP" POST "/devices/$D1/enrollment-tokens" "{\"profile\":\"$PROFILE\",\"uses\":0}")" 400 out_of_range uses
expect_api "uses 1001" "$(api "$OP" POST "/devices/$D1/enrollment-tokens" "{\"profile\":\"$PROFILE\",\"uses\":1001}")" 400 out_of_range uses
expect_api "uses wrong type" "$(api "$OP" POST "/devices/$D1/enrollment-tokens" "{\"profile\":\"$PROFILE\",\"uses\":\"2\"}")" 400 wrong_type uses
expect_api "profile missing" "$(api "$OP" POST "/devices/$D1/enrollment-tokens" '{}')" 400 missing_field profile
expect_api "profile not a uuid" "$(api "$OP" POST "/devices/$D1/enrollment-tokens" '{"profile":"station"}')" 400 invalid_uuid profile
expect_api "profile of another tenant" "$(api "$OP" POST "/devices/$D1/enrollment-tokens" "{\"profile\":\"$GPROFILE\"}")" 404 not_found profile
expect_api "token unknown field" "$(api "$OP" POST "/devices/$D1/enrollment-tokens" "{\"profile\":\"$PROFILE\",\"secret\":\"x\"}")" 400 unknown_field secret
expect_api "token for another tenant's device" "$(api "$GOP" POST "/devices/$D1/enrollment-tokens" "{\"profile\":\"$GPROFILE\"}")" 404 not_found
expect_api "auditor may not create tokens" "$(api "$AU" POST "/devices/$D1/enrollment-tokens" "{\"profile\":\"$PROFILE\"}")" 403 forbidden
r=$(api "$AU" GET "/devices/$D1/enrollment-tokens")
expect_api "auditor lists tokens" "$r" 200
expect_eq "two tokens listed" "$(py 'len(j["items"])' "${r#* }")" 2
expect_eq "token list members" "$(py '",".join(sorted(j["items"][0]))' "${r#* }")" "created_at,device,expires_at,id,profile,tenant,uses_left"
case "${r#* }" in *"${TOK:37}"*|*"${TOK2:37}"*|*token_hash*) fail "a token secret is in the list" ;; esac
ok "token list holds no secret"
expect_api "globex cannot list acme's tokens" "$(api "$GOP" GET "/devices/$D1/enrollment-tokens")" 404 not_found
expect_api "auditor may not revoke" "$(api "$AU" DELETE "/devices/$D1/enrollment-tokens/$TID")" 403 forbidden
expect_api "globex cannot revoke acme's token" "$(api "$GOP" DELETE "/devices/$D1/enrollment-tokens/$TID")" 404 not_found
expect_api "token of another device" "$(api "$OP" DELETE "/devices/$(psql -Atc "select id from devices where serial = 'CS-0002'")/enrollment-tokens/$TID")" 404 not_found
expect_api "bad token id" "$(api "$OP" DELETE "/devices/$D1/enrollment-tokens/x")" 400 invalid_uuid tid
expect_api "revoke" "$(api "$OP" DELETE "/devices/$D1/enrollment-tokens/$TID")" 204
expect_api "revoke again" "$(api "$OP" DELETE "/devices/$D1/enrollment-tokens/$TID")" 404 not_found
r=$(api "$OP" GET "/devices/$D1/enrollment-tokens")
expect_eq "one token left" "$(py '[t["id"] for t in j["items"]]' "${r#* }")" "['$TID2']"
expect_eq "stored hashed, not in clear" \
	"$(psql -Atc "select count(*) from enrollment_tokens where token_hash = sha256(convert_to('$TOK2', 'UTF8'))")" 1

# --- decommissioned is final
r=$(api "$OP" PATCH "/devices/$D1" '{"status":"decommissioned"}')
expect_api "decommission" "$r" 200
expect_api "leaving decommissioned" "$(api "$OP" PATCH "/devices/$D1" '{"status":"active"}')" 409 conflict status
expect_api "changing a decommissioned device" "$(api "$OP" PATCH "/devices/$D1" '{"model":"x"}')" 409 conflict
expect_api "decommissioned again is no change" "$(api "$OP" PATCH "/devices/$D1" '{"status":"decommissioned"}')" 200

# --- import: JSON lines and CSV
printf '{"serial":"IM-1","model":"m1","attributes":{"site":"s1"}}\n\n{"serial":"IM-2"}\r\n{"serial":"IM-3","manufacturer":"f"}' >"$T/ok.ndjson"
r=$(import "$OP" application/x-ndjson "$T/ok.ndjson")
expect_api "import JSON lines" "$r" 201
expect_eq "imported count" "$(field "${r#* }" imported)" 3
expect_eq "imported attributes" "$(psql -Atc "select attributes->>'site' from devices where serial = 'IM-1'")" s1
printf 'serial,model,site,group\r\nCV-1,m2,s2,g1\r\n"CV-2","m ""x"", 2",,\r\nCV-3,,s3,\r\n' >"$T/ok.csv"
r=$(import "$TA" 'text/csv; charset=utf-8' "$T/ok.csv")
expect_api "import CSV" "$r" 201
expect_eq "CSV count" "$(field "${r#* }" imported)" 3
expect_eq "CSV quoted cell" "$(psql -Atc "select model from devices where serial = 'CV-2'")" 'm "x", 2'
expect_eq "CSV attributes" "$(psql -Atc "select attributes::text from devices where serial = 'CV-1'")" '{"site": "s2", "group": "g1"}'
expect_eq "CSV empty cells left out" "$(psql -Atc "select attributes::text || coalesce(model, '-') from devices where serial = 'CV-3'")" '{"site": "s3"}-'
printf 'serial\nGX-1\n' >"$T/g.csv"
r=$(import "$ADMIN_KEY" text/csv "$T/g.csv" "?tenant=$GLOBEX")
expect_api "platform admin imports into a named tenant" "$r" 201
expect_eq "in globex" "$(psql -Atc "select tenant_id from devices where serial = 'GX-1'")" "$GLOBEX"
expect_api "operator: import into another tenant" "$(import "$OP" text/csv "$T/g.csv" "?tenant=$GLOBEX")" 404 not_found tenant
expect_api "import tenant not a uuid" "$(import "$ADMIN_KEY" text/csv "$T/g.csv" "?tenant=globex")" 400 invalid_uuid tenant
expect_api "import wrong content type" "$(import "$OP" application/json "$T/ok.ndjson")" 415 unsupported_media_type
expect_api "auditor may not import" "$(import "$AU" text/csv "$T/g.csv")" 403 forbidden
printf '' >"$T/empty"
expect_api "empty import" "$(import "$OP" application/x-ndjson "$T/empty")" 400 missing_field
printf 'model,site\nm,s\n' >"$T/noserial.csv"
expect_api "CSV without a serial column" "$(import "$OP" text/csv "$T/noserial.csv")" 400 malformed_csv
printf 'serial,serial\na,b\n' >"$T/twice.csv"
expect_api "CSV column twice" "$(import "$OP" text/csv "$T/twice.csv")" 400 malformed_csv

# a rejected import changes nothing and reports every bad line
before=$(count_devices "$ACME")
audit_before=$(psql -Atc "select count(*) from audit")
cat >"$T/bad.ndjson" <<EOF
{"serial":"NEW-1"}
{"serial":"NEW-2","colour":"red"}
{"serial":"CS-0002"}
not json
{"serial":"NEW-1"}
{"serial":5}
{"serial":"$long"}
["serial"]
{"serial":"NEW-3","attributes":{"site":7}}
{"serial":"NEW-4"}
EOF
r=$(import "$OP" application/x-ndjson "$T/bad.ndjson")
expect_api "rejected import" "$r" 422 import_rejected
expect_eq "every bad line with its code" "$(py '" ".join("%d:%s:%s" % (e["line"], e["code"], e.get("field")) for e in j["rejected"])' "${r#* }")" \
	"2:unknown_field:colour 3:conflict:serial 4:malformed_json:None 5:duplicate_in_file:serial 6:wrong_type:serial 7:too_long:serial 8:malformed_json:None 9:wrong_type:attributes.site"
expect_eq "duplicate names the first line" "$(py 'j["rejected"][3]["message"]' "${r#* }")" "serial also on line 1"
expect_eq "nothing imported" "$(count_devices "$ACME")" "$before"
expect_eq "no audit entry for a refused import" "$(psql -Atc "select count(*) from audit")" "$audit_before"
# only a collision with the database: the insert is rolled back
printf 'serial\nNEW-9\nCS-0003\nNEW-10\n' >"$T/dup.csv"
r=$(import "$OP" text/csv "$T/dup.csv")
expect_api "import colliding with the database" "$r" 422 import_rejected
expect_eq "the colliding line" "$(py '[(e["line"], e["code"]) for e in j["rejected"]]' "${r#* }")" "[(3, 'conflict')]"
expect_eq "nothing imported after a collision" "$(count_devices "$ACME")" "$before"
printf 'serial,model\n"a,b\nc,d\n"x"y,m\ne\n' >"$T/badcsv.csv"
r=$(import "$OP" text/csv "$T/badcsv.csv")
expect_api "malformed CSV lines" "$r" 422 import_rejected
expect_eq "CSV problems" "$(py '[(e["line"], e["code"]) for e in j["rejected"]]' "${r#* }")" "[(2, 'malformed_csv'), (5, 'malformed_csv')]"

# the ordinary body limit still holds on other routes; the import may be larger
python3 -c 'import json; print(json.dumps({"serial":"x","model":"m"*(2<<20)}))' >"$T/big.json"
code=$(admin_curl "$API/devices" -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $OP" \
	-H 'Content-Type: application/json' --data-binary @"$T/big.json")
expect_eq "2 MiB body to POST /devices" "$code $(py 'j["error"]["code"]' "$(cat "$T/body")")" "413 body_too_large"
code=$(admin_curl /healthz -X POST -o /dev/null -w '%{http_code}' --data-binary @"$T/big.json")
expect_eq "2 MiB body outside the API" "$code" 413

# 100,000 devices in one request
python3 - "$T/big.ndjson" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(100000):
        f.write(json.dumps({"serial": "BULK-%06d" % i, "model": "wallbox-22",
            "manufacturer": "ACME", "attributes": {"site": "site-%d" % (i % 50)}}) + "\n")
EOF
echo "import body: $(stat -c %s "$T/big.ndjson") bytes"
start=$(date +%s%N)
r=$(import "$OP" application/x-ndjson "$T/big.ndjson")
echo "100,000-device import: $(( ($(date +%s%N) - start) / 1000000 )) ms"
expect_api "100,000-device import" "$r" 201
expect_eq "100,000 imported" "$(field "${r#* }" imported)" 100000
expect_eq "100,000 in the database" "$(psql -Atc "select count(*) from devices where serial like 'BULK-%'")" 100000
api "$OP" GET '/devices?site=site-7&limit=1000' >/dev/null
expect_eq "site filter over the import" "$(pybody 'len(j["items"]), all(d["attributes"]["site"] == "site-7" for d in j["items"])')" "1000 True"
expect_eq "import audited once with the count" \
	"$(psql -Atc "select details->>'count' || ' ' || (details->>'format') from audit where action = 'device.import' and actor_id = '$OP_ID' and tenant_id = '$ACME' order by id desc limit 1")" "100000 ndjson"
code=$(import "$OP" application/x-ndjson "$T/big.ndjson" | cut -d' ' -f1)
expect_eq "the same 100,000 again" "$code $(pybody 'j["error"]["code"]')" "422 import_rejected"
expect_eq "every line a conflict" "$(pybody 'sum(1 for e in j["rejected"] if e["code"] == "conflict")')" 100000

# --- audit: every change with its actor and object
audit() { psql -Atc "select count(*) from audit where $1"; }
expect_eq "audit device.create" "$(audit "action = 'device.create' and object_id = '$D1' and actor_id = '$OP_ID' and tenant_id = '$ACME'")" 1
expect_eq "audit device.update" "$(audit "action = 'device.update' and object_id = '$D1' and actor_id = '$OP_ID' and details->>'model' = 'wallbox-44'")" 1
expect_eq "audit device.status" "$(audit "action = 'device.status' and object_id = '$D1' and actor_id = '$OP_ID'")" 2
expect_eq "audit enrollment_token.create" "$(audit "action = 'enrollment_token.create' and object_id = '$TID' and actor_id = '$OP_ID'")" 1
expect_eq "audit enrollment_token.revoke" "$(audit "action = 'enrollment_token.revoke' and object_id = '$TID' and actor_id = '$OP_ID'")" 1
expect_eq "audit import into globex by the platform admin" "$(audit "action = 'device.import' and tenant_id = '$GLOBEX' and details->>'count' = '1'")" 1
expect_eq "no secret in the audit log" "$(audit "details::text like '%${TOK2:37}%'")" 0

# --- secrets never in the log
for s in "${TOK:37}" "${TOK2:37}"; do
	grep -qF "$s" "$LOG" && fail "an enrollment token secret is in the log"
done
ok "enrollment token secrets not in the log"
stop_instance
