#!/bin/bash
# The audit log's hash chain: entries written by the service are sealed,
# verification passes, and an altered or deleted row is detected.
. "$(dirname "$0")/lib.sh"

start_pg pg
export MIDPKI_DATABASE_URL=$MIDPKI_TEST_DATABASE_URL
new_instance audit
start_instance
for i in $(seq 1 50); do
	unsealed=$(psql -Atc "select count(*) from audit where hash is null")
	[ "$unsealed" = 0 ] && break
	sleep 0.1
done
expect_eq "entries left unsealed by the running service" "$unsealed" 0
stop_instance

entries=$(psql -Atc "select count(*) from audit")
[ "$entries" -ge 1 ] || fail "bootstrap wrote no audit entry"
out=$("$MIDPKI_BIN" audit verify --state-dir "$T/v"); rc=$?
expect_eq "verify exit on an intact chain" "$rc" 0
expect_eq "verify output" "$out" "audit chain intact: $entries entries verified"

head=$("$MIDPKI_BIN" audit head --state-dir "$T/v")
case "$head" in
"seq $entries hash "[0-9a-f]*) [ ${#head} -eq $((${#entries} + 10 + 64)) ] || fail "head: '$head'" ;;
*) fail "audit head printed '$head'" ;;
esac
expect_eq "head hash matches the database" "${head##* }" \
	"$(psql -Atc "select encode(hash, 'hex') from audit where seq = $entries")"

psql -qc "update audit set details = '{}' where seq = 1" 2>"$T/psql.err" &&
	fail "the audit table accepted an UPDATE"
expect_contains "append-only trigger" "$(cat "$T/psql.err")" "append-only"
psql -qc "delete from audit where seq = 1" 2>/dev/null && fail "the audit table accepted a DELETE"
ok "plain UPDATE and DELETE refused"

# someone with superuser rights bypasses the trigger and alters history
psql -qc "set session_replication_role = replica; update audit set actor_id = 'mallory' where seq = 1"
out=$("$MIDPKI_BIN" audit verify --state-dir "$T/v"); rc=$?
expect_eq "verify exit on an altered chain" "$rc" 1
expect_contains "verify names the entry" "$out" "audit chain BROKEN at seq 1"
