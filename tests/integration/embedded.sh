#!/bin/bash
# make-run path: the embedded PostgreSQL starts, TLS verifies with trust.pem,
# the bootstrap key is written once, SIGTERM stops PostgreSQL too, and data
# survives a restart.
. "$(dirname "$0")/lib.sh"

new_instance embedded
start_instance

body=$(admin_curl /healthz)
expect_eq "/healthz body" "$body" '{"status":"alive"}'
expect_eq "/readyz status" "$(http_status /readyz)" 200
expect_eq "TLS without trust.pem is refused" \
	"$(curl -s -o /dev/null -w '%{http_code}' https://127.0.0.1:$ADMIN_PORT/healthz)" 000
expect_eq "admin.key mode" "$(stat -c %a "$I_STATE/admin.key")" 600
key=$(cat "$I_STATE/admin.key")
expect_contains "admin key format" "$key" "mpk_"
grep -qF "$key" "$T/embedded.log" && fail "the admin key appears in the log"
ok "the admin key is not in the log"
expect_contains "log names the key file" "$(cat "$T/embedded.log")" "$I_STATE/admin.key"
expect_eq "pg socket dir mode" "$(stat -c %a "$I_STATE/pg/run")" 700
# no TCP port for the embedded database
grep -q "listen_addresses" "$I_STATE/pg/data/postmaster.opts" ||
	fail "postgres not started with listen_addresses"
ok "embedded postgres has no TCP listener"
pg_pid=$(head -1 "$I_STATE/pg/data/postmaster.pid")
expect_eq "embedded postgres runs as" "$(ps -o user= -p "$pg_pid")" postgres

stop_instance
[ ! -e "$I_STATE/pg/data/postmaster.pid" ] || fail "postmaster.pid left after SIGTERM"
kill -0 "$pg_pid" 2>/dev/null && fail "postgres ($pg_pid) still runs after SIGTERM"
ok "postgres stopped with midpki"

start_instance
expect_eq "admin.key unchanged after restart" "$(cat "$I_STATE/admin.key")" "$key"
users=$(psql -h "$I_STATE/pg/run" -U midpki -d midpki -Atc "select count(*) from users")
expect_eq "one bootstrap user after restart" "$users" 1
expect_eq "migrations applied once" \
	"$(psql -h "$I_STATE/pg/run" -U midpki -d midpki -Atc 'select count(*) from schema_migrations')" \
	"$(psql -h "$I_STATE/pg/run" -U midpki -d midpki -Atc 'select count(distinct number) from schema_migrations')"
pg_pid=$(head -1 "$I_STATE/pg/data/postmaster.pid")
kill -INT "$I_PID"
wait "$I_PID"; expect_eq "exit code after SIGINT" "$?" 0
MIDPKI_PIDS=""
kill -0 "$pg_pid" 2>/dev/null && fail "postgres still runs after SIGINT"
ok "SIGINT stops postgres too"
