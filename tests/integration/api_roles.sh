#!/bin/bash
# Every admin API route × every role, read from GET /api/v1/openapi.json
# (x-roles): a role not listed gets exactly 403, a listed role never 401 or
# 403 (nor 5xx); a route with "security": [] answers 200 to anyone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance roles
start_instance
ADMIN_KEY=$(cat "$I_STATE/admin.key")

r=$(api "$ADMIN_KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
ROLES="platform-admin tenant-admin operator auditor technician"
declare -A KEY
for role in $ROLES; do
	r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$ACME\",\"name\":\"$role-user\",\"roles\":[\"$role\"]}")
	expect_api "create $role user" "$r" 201
	r=$(api "$ADMIN_KEY" POST "/users/$(field "${r#* }" id)/api-keys" '{}')
	KEY[$role]=$(field "${r#* }" key)
done
r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$ACME\",\"name\":\"victim\"}")
VICTIM=$(field "${r#* }" id)

r=$(api "" GET /openapi.json)
expect_api "OpenAPI document without a credential" "$r" 200
# one line per operation: METHOD PATH PUBLIC ROLES (comma-separated); the document comes
# on standard input, being larger than one command-line argument may be
printf '%s' "${r#* }" | python3 -c 'import json,sys
d=json.load(sys.stdin)
for p, ops in d["paths"].items():
    for m, o in ops.items():
        public = "public" if o.get("security") == [] else "auth"
        print(m.upper(), p, public, ",".join(o["x-roles"]) or "-")' >"$T/ops"
[ "$(wc -l <"$T/ops")" -ge 10 ] || fail "the OpenAPI document lists too few operations"

# path_for PATH: real ids where easy, random UUIDs otherwise
path_for() {
	local p=$1
	case "$p" in
	/tenants/{id}) p=/tenants/$ACME ;;
	/users/{id}*) p=${p/\{id\}/$VICTIM} ;;
	esac
	while [[ $p == *"{"* ]]; do
		p=$(python3 -c 'import re,sys,uuid; print(re.sub(r"\{[^}]*\}", str(uuid.uuid4()), sys.argv[1], count=1))' "$p")
	done
	echo "$p"
}

# status METHOD PATH KEY BODY: just the HTTP status
status() { local r; r=$(api "$3" "$1" "$2" "$4"); echo "${r%% *}"; }

checked=0
while read -r method path public roles; do
	url=$(path_for "$path")
	body=""
	case "$method" in POST|PATCH) body='{}' ;; esac
	if [ "$public" = public ]; then
		expect_eq "$method $path without credential" "$(status "$method" "$url" "" "$body")" 200
	else
		expect_eq "$method $path without credential" "$(status "$method" "$url" "" "$body")" 401
	fi
	for role in $ROLES; do
		st=$(status "$method" "$url" "${KEY[$role]}" "$body")
		if [ "$public" = public ]; then
			expect_eq "$method $path as $role" "$st" 200
		elif [[ ",$roles," == *",$role,"* ]]; then
			case "$st" in
			401|403|5??) fail "$method $path as $role (listed): got $st" ;;
			esac
			ok "$method $path as $role (listed): $st"
		else
			expect_eq "$method $path as $role (not listed)" "$st" 403
		fi
		checked=$((checked + 1))
	done
done <"$T/ops"
ok "$checked route × role pairs checked"
stop_instance
