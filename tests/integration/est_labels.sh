#!/bin/bash
# EST labels: /api/v1/est/labels (create, list, show, change, delete; roles;
# audited; names unique across tenants and never an operation's) and
# /.well-known/est/<label>/<operation>: cacerts and csrattrs of the label's
# profile and CA, enrollment with a token into the label's tenant under its
# profile (a device of another tenant: 403), answers wrapped at the label's
# width (76, or one unbroken line) while unlabelled answers keep [est]
# base64_line; unknown labels and operations 404, another method 405; a
# manufacturer certificate counts only the anchors of the label's tenant; the
# project's client with --label; midpki admin est-labels.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance estl
start_instance
KEY=$(cat "$I_STATE/admin.key")
ADMIN_KEY=$KEY
EST="https://127.0.0.1:$EST_PORT/.well-known/est"

# est_req PATH [curl args...]: headers to $T/h, body to $T/b; prints the status
est_req() {
	local path=$1; shift
	curl -sS --cacert "$I_STATE/trust.pem" -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "$EST/$path"
}
header() { tr -d '\r' <"$T/h" | sed -n "s/^$1: //Ip" | tail -n 1; }
longest() { awk '{ print length($0) }' "$T/b" | sort -n | tail -n 1; }
token() {
	local r
	r=$(api "$KEY" POST "/devices/$1/enrollment-tokens" "{\"profile\":\"$2\",\"uses\":1}")
	expect_api "token for $1" "$r" 201 >/dev/null
	field "${r#* }" token
}
csr() {
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$T/$1.key" \
		-subj "/CN=$1" -outform DER 2>/dev/null | base64 >"$T/$1.b64" || fail "csr $1"
}

r=$(api "$KEY" POST /tenants '{"name":"acme"}'); ACME=$(field "${r#* }" id)
r=$(api "$KEY" POST /tenants '{"name":"other"}'); OTHER=$(field "${r#* }" id)
ALICE=$(user_key "$ACME" alice tenant-admin)
OPER=$(user_key "$ACME" oscar operator)
AUDI=$(user_key "$ACME" audrey auditor)
BOB=$(user_key "$OTHER" bob tenant-admin)

# the label's own CA and a profile of acme issuing from it
r=$(api "$ALICE" POST /cas '{"name":"acme-ca","subject":"CN=Acme Stations CA,O=Acme","algorithm":"ec-p256","validity":"3650d"}')
expect_api "acme CA" "$r" 201
api "$ALICE" GET "/cas/$(field "${r#* }" id)" | cut -d' ' -f2- >"$T/ca.json"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificate_pem"], end="")' "$T/ca.json" >"$T/acme-ca.pem"
BODY=$(builtin_body iec62351-device | python3 -c 'import json,sys; b=json.load(sys.stdin); b["ca"]="acme-ca"; print(json.dumps(b))')
r=$(api "$ALICE" POST /profiles "{\"name\":\"stations\",\"body\":$BODY}")
expect_api "acme profile" "$r" 201
PROFILE=$(field "${r#* }" id)
# the profiles the tokens name: under a label the label's profile applies instead
PLATFORM_BODY=$(builtin_body iec62351-device)
r=$(api "$KEY" POST /profiles "{\"tenant\":\"$ACME\",\"name\":\"tokens\",\"body\":$PLATFORM_BODY}")
expect_api "acme token profile" "$r" 201
TOKPROF=$(field "${r#* }" id)
r=$(api "$KEY" POST /profiles "{\"tenant\":\"$OTHER\",\"name\":\"tokens\",\"body\":$PLATFORM_BODY}")
expect_api "other token profile" "$r" 201
OTHERPROF=$(field "${r#* }" id)

# --- the admin API
r=$(api "$ALICE" POST /est/labels '{"name":"acme","profile":"stations","base64_line":76}')
expect_api "create label" "$r" 201
LABEL=$(field "${r#* }" id)
expect_eq "label: fields" "$(jget "${r#* }" '[d["name"], d["tenant"], d["profile_id"], d["profile"], d["ca"], d["base64_line"]]')" \
	"[\"acme\", \"$ACME\", \"$PROFILE\", \"stations\", \"acme-ca\", 76]"
r=$(api "$ALICE" POST /est/labels '{"name":"plain","profile":"iec62351-device"}')
expect_api "label of a platform profile, default width" "$r" 201
expect_eq "default width 64" "$(field "${r#* }" base64_line)" 64
PLAIN=$(field "${r#* }" id)
expect_api "the same name again" "$(api "$BOB" POST /est/labels '{"name":"acme","profile":"iec62351-device"}')" 409 conflict name
expect_api "an operation's name" "$(api "$ALICE" POST /est/labels '{"name":"cacerts","profile":"stations"}')" 400 invalid_value name
expect_api "a slash in the name" "$(api "$ALICE" POST /est/labels '{"name":"a/b","profile":"stations"}')" 400 invalid_value name
expect_api "width 50" "$(api "$ALICE" POST /est/labels '{"name":"w","profile":"stations","base64_line":50}')" 400 invalid_value base64_line
expect_api "width as text" "$(api "$ALICE" POST /est/labels '{"name":"w","profile":"stations","base64_line":"76"}')" 400 wrong_type base64_line
expect_api "unknown profile" "$(api "$ALICE" POST /est/labels '{"name":"w","profile":"nope"}')" 422 refused_by_policy profile
expect_api "another tenant's profile" "$(api "$BOB" POST /est/labels '{"name":"w","profile":"stations"}')" 422 refused_by_policy profile
expect_api "operator may not create" "$(api "$OPER" POST /est/labels '{"name":"w","profile":"stations"}')" 403
r=$(api "$AUDI" GET /est/labels)
expect_api "auditor lists" "$r" 200
expect_eq "list: by name" "$(jget "${r#* }" '[i["name"] for i in d["items"]]')" '["acme", "plain"]'
expect_eq "other tenant lists none" "$(jget "$(api "$BOB" GET /est/labels | cut -d' ' -f2-)" 'len(d["items"])')" 0
expect_api "other tenant cannot see it" "$(api "$BOB" GET "/est/labels/$LABEL")" 404
expect_api "operator shows it" "$(api "$OPER" GET "/est/labels/$LABEL")" 200
expect_api "operator may not change" "$(api "$OPER" PATCH "/est/labels/$PLAIN" '{"base64_line":0}')" 403
expect_api "empty change" "$(api "$ALICE" PATCH "/est/labels/$PLAIN" '{}')" 400 missing_field
r=$(api "$ALICE" PATCH "/est/labels/$PLAIN" '{"base64_line":0,"profile":"stations"}')
expect_api "change width and profile" "$r" 200
expect_eq "changed" "$(jget "${r#* }" '[d["base64_line"], d["profile"]]')" '[0, "stations"]'
expect_eq "audited" "$(psql -tAc "SELECT string_agg(action, ' ' ORDER BY id) FROM audit WHERE object_type = 'est_label'")" \
	"est_label.create est_label.create est_label.update"

# --- /.well-known/est/<label>/...
expect_eq "labelled cacerts" "$(est_req acme/cacerts)" 200
expect_eq "labelled cacerts: lines of 76" "$(longest)" 76
base64 -d "$T/b" | openssl pkcs7 -inform DER -print_certs | sed -n '/BEGIN/,/END/p' >"$T/chain.pem"
expect_eq "labelled cacerts: the label's CA" "$(openssl x509 -in "$T/chain.pem" -noout -fingerprint -sha256)" \
	"$(openssl x509 -in "$T/acme-ca.pem" -noout -fingerprint -sha256)"
expect_eq "unlabelled cacerts: still lines of 64" "$(est_req cacerts) $(longest)" "200 64"
expect_eq "labelled csrattrs" "$(est_req acme/csrattrs)" 200
expect_eq "labelled csrattrs: content type" "$(header Content-Type)" application/csrattrs
expect_eq "unknown label" "$(est_req nope/cacerts)" 404
expect_contains "unknown label: reason" "$(cat "$T/b")" "no such EST label"
expect_eq "unknown operation" "$(est_req acme/nope)" 404
expect_eq "unknown operation without a label" "$(est_req nope)" 404
expect_eq "three segments" "$(est_req acme/x/cacerts)" 404
expect_eq "GET of an enrollment" "$(est_req acme/simpleenroll)" 405
expect_eq "405: Allow" "$(header Allow)" POST
expect_eq "POST of cacerts" "$(est_req acme/cacerts -X POST)" 405

DEV=$(device_in "$ACME" CS-1)
csr CS-1
expect_eq "labelled enroll" "$(est_req acme/simpleenroll -u "CS-1:$(token "$DEV" "$TOKPROF")" \
	-H 'Content-Type: application/pkcs10' --data-binary "@$T/CS-1.b64")" 200
expect_eq "labelled enroll: lines of 76" "$(longest)" 76
base64 -d "$T/b" | openssl pkcs7 -inform DER -print_certs | sed -n '/BEGIN/,/END/p' >"$T/cs1.pem"
expect_eq "issued by the label's CA" "$(openssl verify -CAfile "$T/acme-ca.pem" "$T/cs1.pem" 2>&1)" "$T/cs1.pem: OK"
expect_eq "under the label's profile" \
	"$(psql -tAc "SELECT profile_id FROM identities WHERE device_id = '$DEV'")" "$PROFILE"
FOREIGN=$(device_in "$OTHER" OT-1)
csr OT-1
expect_eq "device of another tenant" "$(est_req acme/simpleenroll -u "OT-1:$(token "$FOREIGN" "$OTHERPROF")" \
	-H 'Content-Type: application/pkcs10' --data-binary "@$T/OT-1.b64")" 403
expect_contains "another tenant: reason" "$(cat "$T/b")" "not of the tenant of this EST label"
DEV2=$(device_in "$ACME" CS-2)
csr CS-2
expect_eq "enroll under a label without wrapping" "$(est_req plain/simpleenroll -u "CS-2:$(token "$DEV2" "$TOKPROF")" \
	-H 'Content-Type: application/pkcs10' --data-binary "@$T/CS-2.b64")" 200
expect_eq "one unbroken line" "$(wc -l <"$T/b")" 0
base64 -d "$T/b" | openssl pkcs7 -inform DER -print_certs >/dev/null || fail "unwrapped answer does not decode"

# a manufacturer certificate under a label: only the anchors of the label's tenant count
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' >"$T/ca.ext"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/mfr.key" \
	-subj "/O=Wallbox/CN=mfr" -out "$T/mfr.csr" 2>/dev/null &&
	openssl x509 -req -in "$T/mfr.csr" -key "$T/mfr.key" -days 30 -extfile "$T/ca.ext" \
		-out "$T/mfr.pem" 2>/dev/null || fail "manufacturer CA"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/id.key" \
	-subj "/O=Wallbox/serialNumber=WB-1" -out "$T/id.csr" 2>/dev/null &&
	openssl x509 -req -in "$T/id.csr" -CA "$T/mfr.pem" -CAkey "$T/mfr.key" -days 10 \
		-out "$T/id.pem" 2>/dev/null || fail "IDevID"
anchor_in() {
	api "$KEY" POST /trust-anchors "$(python3 -c 'import json,sys
print(json.dumps({"tenant": sys.argv[1], "name": "wallbox", "certificate_pem": open(sys.argv[2]).read(), "auto_register": True, "profile": sys.argv[3]}))' "$1" "$T/mfr.pem" "$2")"
}
expect_api "anchor of the other tenant" "$(anchor_in "$OTHER" tokens)" 201
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$T/wb.key" -subj "/CN=WB-1" \
	-outform DER 2>/dev/null | base64 >"$T/wb.b64"
idevid_req() { est_req "$1" --cert "$T/id.pem" --key "$T/id.key" -H 'Content-Type: application/pkcs10' --data-binary "@$T/wb.b64"; }
expect_eq "IDevID under a label of a tenant without its anchor" "$(idevid_req acme/simpleenroll)" 403
expect_contains "IDevID, no anchor of the label's tenant: reason" "$(cat "$T/b")" "no trust anchor of the tenant of this EST label"
expect_api "anchor of acme too" "$(anchor_in "$ACME" tokens)" 201
expect_eq "IDevID of two tenants' anchors, no label" "$(idevid_req simpleenroll)" 403
expect_contains "two tenants: reason" "$(cat "$T/b")" "more than one tenant"
expect_eq "IDevID of two tenants' anchors, under acme's label" "$(idevid_req acme/simpleenroll)" 200
base64 -d "$T/b" | openssl pkcs7 -inform DER -print_certs | sed -n '/BEGIN/,/END/p' >"$T/wb.pem"
expect_eq "IDevID under the label: the label's CA" "$(openssl verify -CAfile "$T/acme-ca.pem" "$T/wb.pem" 2>&1)" "$T/wb.pem: OK"
expect_eq "IDevID under the label: registered in acme only" \
	"$(psql -tAc "SELECT string_agg(tenant_id::text, ' ') FROM devices WHERE serial = 'WB-1'")" "$ACME"

# the project's client with --label
DEV3=$(device_in "$ACME" CS-3)
MIDPKI_EST_TOKEN=$(token "$DEV3" "$TOKPROF") "$MIDPKI_BIN" est enroll --server "https://127.0.0.1:$EST_PORT" \
	--trust "$I_STATE/trust.pem" --label acme --serial CS-3 --out-key "$T/cs3.key" --out-cert "$T/cs3.pem" \
	--out-chain "$T/cs3-chain.pem" 2>"$T/err" || fail "midpki est enroll --label: $(cat "$T/err")"
expect_eq "client --label: issued by the label's CA" "$(openssl verify -CAfile "$T/acme-ca.pem" "$T/cs3.pem" 2>&1)" "$T/cs3.pem: OK"

# midpki admin est-labels
madmin() { MIDPKI_URL="https://127.0.0.1:$ADMIN_PORT" MIDPKI_CACERT="$I_STATE/trust.pem" \
	MIDPKI_API_KEY_FILE="$I_STATE/admin.key" "$MIDPKI_BIN" admin "$@"; }
madmin --json est-labels create --name libest --profile stations --tenant "$ACME" --base64-line 76 \
	>"$T/cli.json" 2>"$T/err" || fail "midpki admin est-labels create: $(cat "$T/err")"
CLI_LABEL=$(field "$(cat "$T/cli.json")" id)
expect_eq "admin est-labels create" "$(field "$(cat "$T/cli.json")" base64_line)" 76
madmin --json est-labels update "$CLI_LABEL" --base64-line 0 >"$T/cli.json" 2>"$T/err" ||
	fail "midpki admin est-labels update: $(cat "$T/err")"
expect_eq "admin est-labels update" "$(field "$(cat "$T/cli.json")" base64_line)" 0
expect_contains "admin est-labels list" "$(madmin est-labels list 2>&1)" libest
madmin est-labels delete "$CLI_LABEL" >/dev/null 2>&1 || fail "midpki admin est-labels delete"
ok "admin est-labels delete"

expect_eq "delete" "$(api "$ALICE" DELETE "/est/labels/$PLAIN" | cut -d' ' -f1)" 204
expect_eq "deleted label" "$(est_req plain/cacerts)" 404
expect_eq "delete: audited" "$(psql -tAc "SELECT count(*) FROM audit WHERE action = 'est_label.delete' AND object_id = '$PLAIN'")" 1
stop_instance
