# Helpers for admin API tests; source after lib.sh, with an instance started.
API=/api/v1

# api KEY METHOD PATH [JSON]: prints "STATUS BODY"
api() {
	local key=$1 method=$2 path=$3 body=${4-}
	local args=(-X "$method" -o "$T/body" -w '%{http_code}')
	[ -n "$key" ] && args+=(-H "Authorization: Bearer $key")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
	local code
	code=$(admin_curl "$API$path" "${args[@]}")
	echo "$code $(cat "$T/body")"
}
# jget JSON-TEXT EXPR: a Python expression over the parsed document d, as text
jget() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); v=eval(sys.argv[2]); print(v if isinstance(v,str) else json.dumps(v))' "$1" "$2"; }
# field JSON-TEXT NAME: one top-level member as text
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print(v if isinstance(v,str) else json.dumps(v))' "$1" "$2"; }
expect_api() { # expect_api WHAT "STATUS BODY" STATUS [ERROR-CODE [FIELD]]
	local st=${2%% *} body=${2#* }
	expect_eq "$1: status" "$st" "$3"
	if [ -n "${4-}" ]; then
		expect_eq "$1: error code" "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["error"]["code"])' "$body")" "$4"
	fi
	if [ -n "${5-}" ]; then
		expect_eq "$1: error field" "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["error"].get("field"))' "$body")" "$5"
	fi
}

# user_key TENANT NAME ROLE: creates the user (as $ADMIN_KEY), prints a fresh API key of theirs
user_key() {
	local r
	r=$(api "$ADMIN_KEY" POST /users "{\"tenant\":\"$1\",\"name\":\"$2\",\"roles\":[\"$3\"]}")
	expect_api "create user $2" "$r" 201 >/dev/null
	r=$(api "$ADMIN_KEY" POST "/users/$(field "${r#* }" id)/api-keys" '{}')
	field "${r#* }" key
}

# builtin_body NAME: the body of the built-in x509 profile NAME as JSON (read as $KEY)
builtin_body() {
	local r
	r=$(api "$KEY" GET "/profiles?kind=x509&limit=1000")
	jget "${r#* }" "json.dumps([p['body'] for p in d['items'] if p['name'] == '$1'][0])"
}

# issue_cert NAME DEVICE PROFILE SUBJECT: a P-256 key in $T/NAME.key and a certificate for
# its CSR issued through the API (as $KEY); prints "STATUS BODY" as api does
issue_cert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
		-out "$T/$1.csr" -subj "$4" 2>/dev/null || fail "csr $1"
	api "$KEY" POST /certificates "$(python3 -c 'import json,sys
print(json.dumps({"device": sys.argv[1], "profile": sys.argv[2], "csr_pem": open(sys.argv[3]).read()}))' "$2" "$3" "$T/$1.csr")"
}

# device_in TENANT SERIAL: registers a device (as $KEY); prints its id
device_in() {
	local r
	r=$(api "$KEY" POST /devices "{\"tenant\":\"$1\",\"serial\":\"$2\"}")
	expect_api "register $2" "$r" 201 >/dev/null
	field "${r#* }" id
}

# fdo_start NAME: PostgreSQL and an instance whose FDO manufacturer tenant is acme; sets
# ADMIN_KEY and URL (the FDO listener)
fdo_start() {
	start_pg pg
	export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
	new_instance "$1"
	start_instance MIDPKI_FDO_MANUFACTURER_TENANT=acme
	ADMIN_KEY=$(cat "$I_STATE/admin.key")
	URL="http://127.0.0.1:$FDO_PORT"
}

# fdo_device_profile KEY [NAME]: the X.509 profile NAME (default fdo-device) in KEY's
# tenant, as the platform's iec62351-device
fdo_device_profile() {
	local r body name=${2:-fdo-device}
	r=$(api "$1" GET "/profiles?limit=1000")
	body=$(jget "${r#* }" 'json.dumps([p["body"] for p in d["items"] if p["name"] == "iec62351-device" and p.get("builtin")][0])')
	expect_api "$name profile" "$(api "$1" POST /profiles "{\"name\":\"$name\",\"body\":$body}")" 201
}
