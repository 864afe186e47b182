#!/bin/bash
# Against an external PostgreSQL: two instances migrating at once, two
# instances serving one database, and the database going away and coming back.
. "$(dirname "$0")/lib.sh"

start_pg pg
url=$MIDPKI_TEST_DATABASE_URL

# two `midpki migrate` at the same moment: both succeed, each migration once
MIDPKI_DATABASE_URL=$url "$MIDPKI_BIN" migrate --state-dir "$T/m1" >"$T/m1.log" 2>&1 &
p1=$!
MIDPKI_DATABASE_URL=$url "$MIDPKI_BIN" migrate --state-dir "$T/m2" >"$T/m2.log" 2>&1 &
p2=$!
wait $p1; expect_eq "first migrate exit" "$?" 0
wait $p2; expect_eq "second migrate exit" "$?" 0
dups=$(psql -Atc "select count(*) - count(distinct number) from schema_migrations")
expect_eq "duplicate migrations" "$dups" 0
applied=0
for n in $(cat "$T/m1.log" "$T/m2.log" | grep -o '([0-9]* migrations\? applied now)' | grep -o '[0-9]*'); do
	applied=$((applied + n))
done
expect_eq "migrations applied in total by both" "$applied" \
	"$(psql -Atc 'select count(*) from schema_migrations')"

# two serving instances on one database; the bootstrap admin is created once
new_instance a
start_instance MIDPKI_DATABASE_URL="$url"
A_PORT=$ADMIN_PORT; A_STATE=$I_STATE; A_PID=$I_PID
new_instance b
# every instance of one database needs the same master key (docs/keystore.md)
start_instance MIDPKI_DATABASE_URL="$url" MIDPKI_KEYSTORE_MASTER_KEY_FILE="$A_STATE/master.key"
expect_eq "instance b /readyz" "$(http_status /readyz)" 200
expect_eq "instance a /readyz" "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$A_STATE/trust.pem" https://127.0.0.1:$A_PORT/readyz)" 200
expect_eq "platform admins" "$(psql -Atc "select count(*) from user_roles where role = 'platform-admin'")" 1
[ -f "$A_STATE/admin.key" ] && [ ! -f "$I_STATE/admin.key" ] ||
	fail "exactly the first instance writes admin.key"
ok "admin.key written by the first instance only"

# an instance with another master key cannot open the CA keys: it says so and exits
mkdir -p "$T/c" && chmod 755 "$T/c"
MIDPKI_DATABASE_URL=$url MIDPKI_STATE_DIR=$T/c MIDPKI_ADMIN_LISTEN= MIDPKI_EST_LISTEN= \
	MIDPKI_OCSP_LISTEN= MIDPKI_LORAWAN_LISTEN= MIDPKI_FDO_LISTEN= \
	timeout 60 "$MIDPKI_BIN" serve >"$T/c.log" 2>&1
expect_eq "another master key: exit status" "$?" 1
expect_contains "another master key: message" "$(cat "$T/c.log")" "needs the same master key file"

# the database goes away: 503 with a clear message, then back: 200
pg_stop "$T/pg"
for i in 1 2 3; do
	code=$(admin_curl /readyz -o "$T/readyz.json" -w '%{http_code}')
	expect_eq "/readyz while the database is down (try $i)" "$code" 503
done
expect_contains "503 body" "$(cat "$T/readyz.json")" '"code":"database_unavailable"'
expect_eq "/healthz while the database is down" "$(http_status /healthz)" 200
pg_start "$T/pg" || fail "PostgreSQL did not restart"
# reconnection attempts are spaced one second apart: ready again within a few seconds
for i in $(seq 1 50); do
	code=$(http_status /readyz)
	[ "$code" = 200 ] && break
	sleep 0.1
done
expect_eq "/readyz after the database is back" "$code" 200
sleep 1.2 # every worker is past its reconnection spacing now
for i in 1 2 3 4; do
	expect_eq "/readyz after recovery (request $i, any worker)" "$(http_status /readyz)" 200
done
metrics=$(admin_curl /metrics)
db_errors=$(echo "$metrics" | awk '/^midpki_db_errors_total/ {print $2}')
[ "${db_errors:-0}" -ge 1 ] || fail "midpki_db_errors_total should count the outage, got '$db_errors'"
ok "database errors counted: $db_errors"
stop_instance
