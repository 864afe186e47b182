#!/bin/bash
# Benchmark of SSH user certificates through the admin API: a technician's
# POST /api/v1/ssh/user-certificates from CONNECTIONS concurrent clients (wrk,
# TLS, keep-alive), each certificate signed by the tenant's Ed25519 user CA and
# committed with its identity and audit entry before it is answered; then, in
# the same run, `ssh-keygen -s` signing as many certificates (at most
# BENCH_KEYGEN_MAX, default 2000) with one process per certificate, as scripts
# use it, CONNECTIONS at a time. Also the CPU time per certificate of midpki serve
# and of PostgreSQL, which a busy machine disturbs less than the rate. Prints
# figures; asserts nothing about speed.
#   tests/bench/ssh_issue.sh [SECONDS] [CONNECTIONS]   (defaults 10 16)
# Uses the optimized build in build/ (make build), wrk and ssh-keygen.
set -- "${1:-10}" "${2:-16}"
. "$(dirname "$0")/lib.sh"
KEY=$(cat "$I_STATE/admin.key")
URL="https://127.0.0.1:$ADMIN_PORT/api/v1"

call() { # call KEY METHOD PATH JSON: the response body; fails on an HTTP error
	curl -sS -f --cacert "$I_STATE/trust.pem" -H "Authorization: Bearer $1" -X "$2" \
		-H 'Content-Type: application/json' --data-binary "$4" "$URL$3"
}
get() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

TENANT=$(call "$KEY" POST /tenants '{"name":"bench"}' | get id)
TECH=$(call "$KEY" POST /users "{\"tenant\":\"$TENANT\",\"name\":\"tech\",\"roles\":[\"technician\"],\"attributes\":{\"sites\":[\"site-a\",\"site-b\"]}}" | get id)
TECH_KEY=$(call "$KEY" POST "/users/$TECH/api-keys" '{}' | get key)
ssh-keygen -q -t ed25519 -N '' -C tech@laptop -f "$T/tech"
BODY=$(python3 -c 'import json,sys; print(json.dumps({"public_key": open(sys.argv[1]).read().strip()}))' "$T/tech.pub")
# the first certificate makes the tenant's user CA
call "$TECH_KEY" POST /ssh/user-certificates "$BODY" >/dev/null

cat >"$T/issue.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$BODY]]
wrk.headers["Authorization"] = "Bearer $TECH_KEY"
wrk.headers["Content-Type"] = "application/json"
LUA

# cpu_ms PID...: CPU time (user and system, ms) of the processes, their live children and
# the children they have waited for: midpki serve, and PostgreSQL's postmaster with its backends
cpu_ms() {
	python3 - "$@" <<'PY'
import os, sys
roots = set(int(p) for p in sys.argv[1:])
ticks = 0
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        f = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    pid, ppid = int(d), int(f[1])
    if pid in roots:
        ticks += sum(int(x) for x in f[11:15])
    elif ppid in roots:
        ticks += int(f[11]) + int(f[12])
print(ticks * 1000 // os.sysconf("SC_CLK_TCK"))
PY
}
PG_PID=$(head -1 "$T/pg/data/postmaster.pid")

before=$(psql -Atc 'select count(*) from ssh_certificates')
cpu_mid=$(cpu_ms "$I_PID"); cpu_pg=$(cpu_ms "$PG_PID")
out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$T/issue.lua" "$URL/ssh/user-certificates")
made=$(( $(psql -Atc 'select count(*) from ssh_certificates') - before ))
cpu_mid=$(( $(cpu_ms "$I_PID") - cpu_mid )); cpu_pg=$(( $(cpu_ms "$PG_PID") - cpu_pg ))
rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
echo "midpki SSH user certificates, $(nproc) cores, $conns clients, ${secs}s, TLS keep-alive"
printf '%-34s %8s certificates/s  (%s committed; p50 %s, p99 %s) %s\n' \
	"POST /ssh/user-certificates" "$(awk -v n="$made" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')" \
	"$made" "$p50" "$p99" "$errs"
[ -n "$rps" ] || echo "wrk printed no rate: $out"
printf '%-34s %8s ms of midpki serve, %s ms of PostgreSQL (%s workers)\n' "CPU per certificate" \
	"$(awk -v c="$cpu_mid" -v n="$made" 'BEGIN {printf "%.3f", n ? c / n : 0}')" \
	"$(awk -v c="$cpu_pg" -v n="$made" 'BEGIN {printf "%.3f", n ? c / n : 0}')" \
	"${BENCH_WORKERS:-one per core}"

# ssh-keygen -s, one process per certificate, $conns at a time
n=$made
[ "$n" -le "${BENCH_KEYGEN_MAX:-2000}" ] || n=${BENCH_KEYGEN_MAX:-2000}
[ "$n" -ge 1 ] || n=1
ssh-keygen -q -t ed25519 -N '' -f "$T/ca"
mkdir "$T/keys"
for i in $(seq 1 "$n"); do cp "$T/tech.pub" "$T/keys/k$i.pub"; done
start=$(date +%s.%N)
ls "$T/keys" | xargs -P "$conns" -I{} ssh-keygen -q -s "$T/ca" -I "tech serial {}" \
	-n tech:site-a,tech:site-b,user:tech -V +8h "$T/keys/{}"
end=$(date +%s.%N)
signed=$(ls "$T/keys" | grep -c -- '-cert.pub$')
printf '%-34s %8s certificates/s  (%s signed in %.1fs, nothing stored)\n' \
	"ssh-keygen -s (a process each)" \
	"$(awk -v n="$signed" -v a="$start" -v b="$end" 'BEGIN {printf "%.0f", n / (b - a)}')" \
	"$signed" "$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')"
stop_instance >/dev/null
