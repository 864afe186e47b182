#!/bin/bash
# Admin API audit routes: GET /audit (filters, newest first, pagination,
# tenant scope) and GET /audit/verify, which detects a row altered directly
# in PostgreSQL.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance audit
start_instance
ADMIN_KEY=$(cat "$I_STATE/admin.key")

r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
r=$(api "$ADMIN_KEY" POST /tenants '{"name":"globex"}'); GLOBEX=$(field "${r#* }" id)
newkey() { field "$(api "$ADMIN_KEY" POST "/users/$1/api-keys" '{}' | cut -d' ' -f2-)" key; }
r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$ACME\",\"name\":\"alice\",\"roles\":[\"tenant-admin\"]}")
ALICE=$(field "${r#* }" id); ALICE_KEY=$(newkey "$ALICE")
r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$ACME\",\"name\":\"audrey\",\"roles\":[\"auditor\"]}")
AUDREY_KEY=$(newkey "$(field "${r#* }" id)")
r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$ACME\",\"name\":\"olga\",\"roles\":[\"operator\"]}")
OLGA=$(field "${r#* }" id); OLGA_KEY=$(newkey "$OLGA")
r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$GLOBEX\",\"name\":\"gus\",\"roles\":[\"tenant-admin\"]}")
GUS_KEY=$(newkey "$(field "${r#* }" id)")
for i in 1 2 3; do api "$ALICE_KEY" POST /users "{\"name\":\"u$i\"}" >/dev/null; done
api "$ALICE_KEY" PATCH "/users/$OLGA" '{"email":"olga@acme.example"}' >/dev/null

# listing
r=$(api "$ADMIN_KEY" GET '/audit?limit=1000')
expect_api "platform admin lists the log" "$r" 200
b=${r#* }
expect_eq "every entry" "$(jget "$b" 'len(d["items"])')" "$(psql -Atc "select count(*) from audit")"
expect_eq "newest first" "$(jget "$b" '[e["id"] for e in d["items"]] == sorted((e["id"] for e in d["items"]), reverse=True)')" true
expect_eq "entry members" "$(jget "$b" 'sorted(d["items"][0].keys())')" \
	'["action", "actor_id", "actor_kind", "at", "details", "hash", "id", "object_id", "object_type", "seq", "tenant"]'
expect_eq "times are RFC 3339 UTC" "$(jget "$b" 'all(e["at"].endswith("Z") and e["at"][10] == "T" for e in d["items"])')" true
r=$(api "$ALICE_KEY" GET '/audit?limit=1000')
expect_api "tenant admin lists its tenant's log" "$r" 200
expect_eq "only acme's entries" "$(jget "${r#* }" 'sorted(set(e["tenant"] for e in d["items"]))')" "[\"$ACME\"]"
expect_eq "all of acme's entries" "$(jget "${r#* }" 'len(d["items"])')" "$(psql -Atc "select count(*) from audit where tenant_id = '$ACME'")"
r=$(api "$GUS_KEY" GET '/audit?limit=1000')
expect_eq "globex sees only globex" "$(jget "${r#* }" 'sorted(set(e["tenant"] for e in d["items"]))')" "[\"$GLOBEX\"]"
expect_api "auditor lists" "$(api "$AUDREY_KEY" GET /audit)" 200
expect_api "operator may not" "$(api "$OLGA_KEY" GET /audit)" 403 forbidden

# filters
r=$(api "$ALICE_KEY" GET '/audit?action=user.create')
expect_eq "action filter" "$(jget "${r#* }" '[e["object_type"] for e in d["items"] if e["action"] == "user.create"] == [e["object_type"] for e in d["items"]] and len(d["items"])')" 6
r=$(api "$ALICE_KEY" GET "/audit?actor=$ALICE")
expect_eq "actor filter" "$(jget "${r#* }" '[e["action"] for e in d["items"]]')" \
	'["user.update", "user.create", "user.create", "user.create"]'
r=$(api "$ALICE_KEY" GET "/audit?object=$OLGA&action=user.update")
expect_eq "object filter" "$(jget "${r#* }" '[(e["object_id"], e["details"]["email"]["to"]) for e in d["items"]]')" \
	"[[\"$OLGA\", \"olga@acme.example\"]]"
expect_eq "since in the future" "$(jget "$(api "$ALICE_KEY" GET '/audit?since=2999-01-01T00:00:00Z' | cut -d' ' -f2-)" 'len(d["items"])')" 0
expect_eq "until in the past" "$(jget "$(api "$ALICE_KEY" GET '/audit?until=2000-01-01T00:00:00.5%2B02:00' | cut -d' ' -f2-)" 'len(d["items"])')" 0
expect_eq "since and until around now" \
	"$(jget "$(api "$ALICE_KEY" GET "/audit?since=2000-02-29T00:00:00Z&until=2999-12-31T23:59:59Z&limit=1000" | cut -d' ' -f2-)" 'len(d["items"])')" \
	"$(psql -Atc "select count(*) from audit where tenant_id = '$ACME'")"
expect_api "since not RFC 3339" "$(api "$ALICE_KEY" GET '/audit?since=yesterday')" 400 invalid_value since
expect_api "since without zone" "$(api "$ALICE_KEY" GET '/audit?since=2024-01-01T00:00:00')" 400 invalid_value since
expect_api "until impossible date" "$(api "$ALICE_KEY" GET '/audit?until=2023-02-29T00:00:00Z')" 400 invalid_value until
expect_api "until bad hour" "$(api "$ALICE_KEY" GET '/audit?until=2024-01-01T24:00:00Z')" 400 invalid_value until
expect_api "actor too long" "$(api "$ALICE_KEY" GET "/audit?actor=$(head -c 300 /dev/zero | tr '\0' a)")" 400 too_long actor

# pagination
ids=""; cursor=""; pages=0
while :; do
	r=$(api "$ALICE_KEY" GET "/audit?limit=2${cursor:+&cursor=$cursor}")
	expect_eq "page status" "${r%% *}" 200
	ids="$ids$(jget "${r#* }" '"".join(str(e["id"]) + "," for e in d["items"])')"
	cursor=$(field "${r#* }" next_cursor)
	pages=$((pages + 1))
	[ "$cursor" = null ] && break
	[ $pages -gt 50 ] && fail "pagination does not end"
done
expect_eq "pages walk the whole log newest first" "$ids" \
	"$(psql -Atc "select string_agg(id::text || ',', '' order by id desc) from audit where tenant_id = '$ACME'")"
expect_api "bad cursor" "$(api "$ALICE_KEY" GET '/audit?cursor=eHl6')" 400 invalid_cursor cursor
expect_api "limit out of range" "$(api "$ALICE_KEY" GET '/audit?limit=0')" 400 out_of_range limit

# verify
r=$(api "$ADMIN_KEY" GET /audit/verify)
expect_api "verify" "$r" 200
expect_eq "verify: intact" "$(field "${r#* }" ok)" true
expect_eq "verify: every entry sealed and checked" "$(field "${r#* }" entries)" "$(psql -Atc "select count(*) from audit")"
expect_api "auditor verifies" "$(api "$AUDREY_KEY" GET /audit/verify)" 200
expect_api "tenant admin may not verify" "$(api "$ALICE_KEY" GET /audit/verify)" 403 forbidden
psql -qc "set session_replication_role = replica; update audit set actor_id = 'mallory' where seq = 3"
r=$(api "$ADMIN_KEY" GET /audit/verify)
expect_api "verify after tampering" "$r" 200
expect_eq "verify: broken" "$(field "${r#* }" ok)" false
expect_eq "verify: first bad entry" "$(field "${r#* }" first_bad)" 3
expect_contains "verify: reason" "$(field "${r#* }" reason)" "seq 3"
stop_instance
