#!/bin/bash
# midpki admin for the CA: cas, profiles, certs and requests commands round
# trip against a real server; --out files verify with openssl; a key file
# given to cas import is sent and never printed.
. "$(dirname "$0")/lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance clicerts
start_instance
export MIDPKI_URL="https://127.0.0.1:$ADMIN_PORT" MIDPKI_CACERT="$I_STATE/trust.pem"
export MIDPKI_API_KEY_FILE="$I_STATE/admin.key"
unset MIDPKI_API_KEY

adm() {
	"$MIDPKI_BIN" admin "$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
jq_() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$@"; }
expect_rc() { expect_eq "$1: exit code" "$RC" "$2"; }

# CAs
adm cas list
expect_rc "cas list" 0
expect_eq "cas list: title" "$(echo "$OUT" | head -1 | tr -s ' ')" "ID TENANT NAME SUBJECT ALGORITHM STATUS ROLE NOT AFTER"
expect_eq "cas list: names" "$(echo "$OUT" | tail -n +2 | awk '{print $3}' | sort | paste -sd, -)" "devices,root"
adm --json cas list
DEVCA=$(jq_ "$OUT" '[c["id"] for c in d["items"] if c["name"] == "devices"][0]')
adm cas chain "$DEVCA" --out "$T/chain.pem"
expect_rc "cas chain --out" 0
expect_eq "chain file: two certificates" "$(grep -c 'BEGIN CERTIFICATE' "$T/chain.pem")" 2
adm cas create --name lab-root --subject "CN=Lab Root,O=Lab" --validity 3650d --algorithm ec-p256
expect_rc "cas create" 0
expect_contains "cas create shows the CA" "$OUT" "name: lab-root"
LAB=$(echo "$OUT" | sed -n 's/^id: //p')
adm cas create --name lab-sub --subject "CN=Lab Sub" --parent "$LAB" --validity 365d --path-len 0 --permit dns:lab.example --exclude dns:x.lab.example
expect_rc "cas create intermediate with name constraints" 0
adm cas create --name nope
expect_rc "cas create without --subject" 2
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ext.key" \
	-out "$T/ext.pem" -subj "/CN=Ext CA" -days 30 -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null || fail "external CA"
adm cas import --name ext --cert "$T/ext.pem" --key "$T/ext.key"
expect_rc "cas import --key" 0
expect_contains "imported as an operated CA" "$OUT" "role: ca"
case "$OUT$ERR" in *PRIVATE*|*"$(sed -n 2p "$T/ext.key")"*) fail "cas import printed the key" ;; esac
ok "cas import does not print the key"
EXT=$(echo "$OUT" | sed -n 's/^id: //p')
adm cas retire "$EXT"
expect_rc "cas retire" 0
expect_contains "retired" "$OUT" "status: retired"
adm cas show "$EXT"
expect_contains "cas show" "$OUT" "status: retired"

# profiles
adm profiles list
expect_rc "profiles list" 0
expect_eq "profiles list: built-in" "$(echo "$OUT" | tail -n +2 | grep -c ' true *$')" 8
adm --json profiles list --kind x509 --limit 1000
jq_ "$OUT" 'json.dumps([p["body"] for p in d["items"] if p["name"] == "tls-client"][0])' >"$T/body.json"
adm profiles create --name lab --body "$T/body.json" --approval
expect_rc "profiles create --body --approval" 0
expect_contains "approval required" "$OUT" "approval_required: true"
PROF=$(echo "$OUT" | sed -n 's/^id: //p')
echo '{"validity": {"default": "9d"' >"$T/broken.json"
adm profiles create --name broken --body "$T/broken.json"
expect_rc "profiles create with a file that is not JSON" 2
expect_contains "says why" "$ERR" "is not JSON"
python3 -c 'import json; b=json.load(open("'"$T"'/body.json")); b["validity"]={"default":"9d","max":"1d"}; json.dump(b, open("'"$T"'/bad.json","w"))'
adm profiles update "$PROF" --body "$T/bad.json"
expect_rc "profiles update with an invalid body" 1
expect_contains "names the field" "$ERR" "(field body.validity.default)"
adm profiles show "$PROF"
expect_contains "profiles show" "$OUT" "name: lab"

# certificates
adm devices create --serial CLI-1
DEV=$(echo "$OUT" | sed -n 's/^id: //p')
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/d.key" \
	-out "$T/d.csr" -subj "/CN=CLI-1" 2>/dev/null
adm certs issue --device "$DEV" --profile iec62351-device --csr "$T/d.csr" --out "$T/d.pem"
expect_rc "certs issue --out" 0
CERT=$(echo "$OUT" | sed -n 's/^id: //p')
expect_eq "issued certificate verifies" \
	"$(openssl verify -CAfile "$I_STATE/trust.pem" -untrusted "$T/chain.pem" "$T/d.pem" 2>&1)" "$T/d.pem: OK"
adm certs issue --device "$DEV" --profile lab --csr "$T/d.csr" --out "$T/pending.pem"
expect_rc "certs issue under an approval profile" 0
expect_contains "nothing written" "$ERR" "nothing written to $T/pending.pem"
[ -e "$T/pending.pem" ] && fail "a pending request wrote a file"
adm --json requests list --status pending
REQ=$(jq_ "$OUT" 'd["items"][0]["id"]')
adm requests approve "$REQ"
expect_rc "approve own request" 4
expect_contains "refused" "$ERR" "forbidden"
adm requests reject "$REQ"
expect_rc "reject own request" 4
adm certs issue --device "$DEV" --profile iec62351-device --csr "$T/d.csr" --validity 9000d
expect_rc "certs issue beyond the profile's validity" 1
expect_contains "names the field" "$ERR" "refused_by_policy"
expect_contains "names the field" "$ERR" "(field validity)"
adm certs list --expiring-within 30d --device "$DEV"
expect_rc "certs list --expiring-within" 0
expect_eq "nothing expires within 30 days" "$(echo "$OUT" | tail -n +2 | wc -l)" 0
adm certs list --expiring-within 400d --device "$DEV"
expect_eq "one expires within 400 days" "$(echo "$OUT" | tail -n +2 | awk '{print $1}')" "$CERT"
adm certs show "$CERT" --out "$T/again.pem"
expect_rc "certs show --out" 0
expect_eq "the same certificate" "$(cat "$T/again.pem")" "$(cat "$T/d.pem")"
adm certs suspend "$CERT"
expect_rc "certs suspend" 0
expect_contains "suspended" "$OUT" "status: suspended"
adm certs resume "$CERT"
expect_contains "resumed" "$OUT" "status: active"
adm certs revoke "$CERT" --reason keyCompromise --invalidity-date 2024-05-01T10:00:00Z
expect_rc "certs revoke" 0
expect_contains "revoked" "$OUT" "status: revoked"
adm certs revoke "$CERT" --reason superseded
expect_rc "second revocation" 1
expect_contains "conflict" "$ERR" "midpki: conflict:"
adm certs list --status revoked
expect_eq "revoked list" "$(echo "$OUT" | tail -n +2 | awk '{print $1}')" "$CERT"
adm certs revoke "$CERT"
expect_rc "certs revoke without --reason" 2
stop_instance
