#!/bin/bash
# midpki admin, the admin API's command-line client, against a real server:
# tenants, users and API keys; table and --json output; every exit code
# (1 API error, 2 usage, 3 connection/TLS, 4 authentication).
. "$(dirname "$0")/lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance cli
start_instance
URL="https://127.0.0.1:$ADMIN_PORT"
export MIDPKI_URL=$URL MIDPKI_CACERT="$I_STATE/trust.pem" MIDPKI_API_KEY_FILE="$I_STATE/admin.key"
unset MIDPKI_API_KEY

# adm ARGS...: runs midpki admin; sets OUT, ERR, RC
adm() {
	"$MIDPKI_BIN" admin "$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
jq_() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$@"; }

# help
adm --help
expect_eq "admin --help exit" "$RC" 0
expect_contains "help lists commands" "$OUT" "users create --name NAME [--tenant TENANT-ID]"
expect_contains "help documents exit code 4" "$OUT" "4  authentication"

# tenants
adm tenants create acme
expect_eq "tenants create exit" "$RC" 0
expect_contains "tenants create shows the name" "$OUT" "name: acme"
ACME=$(echo "$OUT" | sed -n 's/^id: //p')
[ ${#ACME} -eq 36 ] || fail "tenant id '$ACME' is not a UUID"
adm --json tenants create globex
expect_eq "tenants create --json exit" "$RC" 0
GLOBEX=$(jq_ "$OUT" 'd["id"]')
expect_eq "--json prints the API object" "$(jq_ "$OUT" 'd["name"]')" globex
adm tenants list
expect_eq "tenants list exit" "$RC" 0
expect_eq "tenants list: nothing on stderr" "$ERR" ""
expect_eq "tenants list title row" "$(echo "$OUT" | head -1 | tr -s ' ')" "ID NAME CREATED"
expect_eq "tenants list rows" "$(echo "$OUT" | tail -n +2 | awk '{print $2}' | tr '\n' ,)" "acme,globex,platform,"
adm tenants list --limit 1
expect_eq "tenants list --limit 1 rows" "$(echo "$OUT" | tail -n +2 | wc -l)" 1
expect_contains "next page hint" "$ERR" "more: add --cursor "
CURSOR=${ERR#more: add --cursor }
adm tenants list --limit=1 --cursor "$CURSOR"
expect_eq "second page" "$(echo "$OUT" | tail -n +2 | awk '{print $2}')" globex
adm --json tenants list
expect_eq "tenants list --json items" "$(jq_ "$OUT" 'len(d["items"])')" 3
expect_eq "tenants list --json next_cursor" "$(jq_ "$OUT" 'd["next_cursor"]')" None
adm tenants show "$ACME"
expect_eq "tenants show exit" "$RC" 0
expect_contains "tenants show" "$OUT" "id: $ACME"

# users and API keys
adm users create --name alice --tenant "$ACME" --email alice@acme.example --role tenant-admin --role operator
expect_eq "users create exit" "$RC" 0
expect_contains "user roles" "$OUT" "roles: operator,tenant-admin"
ALICE=$(echo "$OUT" | sed -n 's/^id: //p')
adm --json users show "$ALICE"
expect_eq "users show --json tenant" "$(jq_ "$OUT" 'd["tenant"]')" "$ACME"
expect_eq "users show --json email" "$(jq_ "$OUT" 'd["email"]')" alice@acme.example
adm users list
expect_contains "users list" "$OUT" "alice"
expect_eq "users list title" "$(echo "$OUT" | head -1 | tr -s ' ')" "ID TENANT NAME EMAIL ROLES STATUS"
adm --json api-keys create "$ALICE" --ttl 1d
expect_eq "api-keys create exit" "$RC" 0
ALICE_KEY=$(jq_ "$OUT" 'd["key"]')
expect_contains "key format" "$ALICE_KEY" mpk_
adm api-keys create "$ALICE"
expect_contains "api-keys create table shows the key once" "$OUT" "key: mpk_"
# the new key works, from the environment, and confines alice to her tenant
MIDPKI_API_KEY=$ALICE_KEY adm tenants list
expect_eq "alice lists tenants" "$(echo "$OUT" | tail -n +2 | awk '{print $2}')" acme
printf '%s\n' "$ALICE_KEY" >"$T/alice.key"
adm --key-file "$T/alice.key" tenants show "$GLOBEX"
expect_eq "other tenant: exit 1" "$RC" 1
expect_contains "other tenant: not_found" "$ERR" "midpki: not_found: "

# exit 1: API errors, with code and field
adm tenants create acme
expect_eq "duplicate name: exit" "$RC" 1
expect_contains "duplicate name: message" "$ERR" "midpki: conflict: "
adm users create --name bob --tenant not-a-uuid
expect_eq "bad uuid: exit" "$RC" 1
expect_contains "bad uuid: code and field" "$ERR" "midpki: invalid_uuid: "
expect_contains "bad uuid: field" "$ERR" "(field tenant)"
adm api-keys create "$ALICE" --ttl 99999d
expect_eq "ttl out of range: exit" "$RC" 1
expect_contains "ttl out of range" "$ERR" "midpki: out_of_range: "
expect_eq "nothing on stdout after an error" "$OUT" ""
adm --json tenants create acme
expect_eq "--json error: exit" "$RC" 1
expect_eq "--json error: the API's document on stdout" "$(jq_ "$OUT" 'd["error"]["code"]')" conflict
expect_contains "--json error: message on stderr" "$ERR" "midpki: conflict: "

# exit 2: usage
adm tenants list --bogus
expect_eq "bad flag: exit" "$RC" 2
expect_contains "bad flag: message" "$ERR" "unknown option '--bogus'"
adm tenants frob
expect_eq "unknown verb: exit" "$RC" 2
adm tenants show
expect_eq "missing argument: exit" "$RC" 2
adm users create --tenant "$ACME"
expect_eq "missing required option: exit" "$RC" 2
expect_contains "missing required option" "$ERR" "needs --name"
adm --url http://127.0.0.1:1 tenants list
expect_eq "http URL: exit" "$RC" 2
MIDPKI_API_KEY_FILE="$T/none.key" adm tenants list
expect_eq "unreadable key file: exit" "$RC" 2
adm devices import "$T/devices.txt"
expect_eq "import of an unknown file type: exit" "$RC" 2

# exit 4: authentication
MIDPKI_API_KEY=mpk_00000000000000000000000000000000_AAAA adm tenants list
expect_eq "wrong key: exit" "$RC" 4
expect_contains "wrong key: message" "$ERR" "midpki: unauthenticated: "
r=$(MIDPKI_API_KEY=$ALICE_KEY "$MIDPKI_BIN" admin tenants create x 2>&1); rc=$?
expect_eq "forbidden: exit" "$rc" 4
expect_contains "forbidden: message" "$r" "midpki: forbidden: "

# exit 3: TLS and connection failures
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other.key" \
	-out "$T/other.pem" -subj /CN=other -days 1 2>/dev/null || fail "openssl req"
adm --cacert "$T/other.pem" tenants list
expect_eq "cacert mismatch: exit" "$RC" 3
expect_contains "cacert mismatch: message" "$ERR" "server certificate not accepted"
adm --url "https://localhost:$ADMIN_PORT" tenants list
expect_eq "host name in the certificate (localhost)" "$RC" 0
MIDPKI_CACERT= adm tenants list
expect_eq "system trust store does not know the server: exit" "$RC" 3
adm --cacert "$T/missing.pem" tenants list
expect_eq "unreadable cacert: exit" "$RC" 2

# an answer that is not TLS: a plain TCP server that talks nonsense
NPORT=$(free_port)
python3 -c '
import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(30)
open(sys.argv[2], "w").close()
c,_=s.accept(); c.sendall(b"garbage\r\n\r\n"); c.close()' "$NPORT" "$T/ready" &
NPID=$!
for i in $(seq 1 100); do [ -e "$T/ready" ] && break; sleep 0.1; done
adm --url "https://127.0.0.1:$NPORT" tenants list
expect_eq "not TLS: exit" "$RC" 3
expect_contains "not TLS: message" "$ERR" "TLS with 127.0.0.1 failed"
wait $NPID

stop_instance
adm tenants list
expect_eq "stopped server: exit" "$RC" 3
expect_contains "stopped server: message" "$ERR" "cannot connect to 127.0.0.1 port $ADMIN_PORT"
grep -qF "${ALICE_KEY: -43}" "$T/cli.log" && fail "an API key secret is in the server log"
ok "API key secrets not in the server log"
