#!/bin/bash
# Benchmark of the Join Server: DEVICES (100,000) LoRaWAN 1.0.4 devices with
# sealed AppKeys are seeded (build/tests/bench/bench_lw_seed), one network
# server is registered with a token and a KEK, and wrk sends every device's
# JoinReq (each a fresh DevNonce, so each one joins: MIC checked, nonces moved
# on and committed under the device's row lock, the join recorded, session
# keys wrapped) with keep-alive to POST / on the lorawan listener. Prints
# joins/s (answers with ResultCode Success), requests/s and p50/p99 latency.
# It is not a test and asserts nothing about speed.
#   tests/bench/lorawan_join.sh [SECONDS] [CONNECTIONS] [DEVICES]
# Uses the optimized build in build/ (make build) and wrk (Debian package wrk).
. "$(dirname "$0")/lib.sh"
devices=${3:-100000}
SEED=$PWD/build/tests/bench/bench_lw_seed
[ -x "$SEED" ] || { echo "bench: build first (make build)" >&2; exit 1; }
KEY=$(cat "$I_STATE/admin.key")
URL="https://127.0.0.1:$ADMIN_PORT/api/v1"
admin() { curl -sS -f --cacert "$I_STATE/trust.pem" -H "Authorization: Bearer $KEY" \
	-H 'Content-Type: application/json' "$@"; }
json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

TENANT=$(admin -d '{"name":"lorawan-bench"}' "$URL/tenants" | json id)
TOKEN=$(admin -d "{\"tenant\":\"$TENANT\",\"kind\":\"ns\",\"net_id\":\"000013\",\"kek_label\":\"ns\",\"kek\":\"000102030405060708090a0b0c0d0e0f\",\"auth\":\"token\"}" \
	"$URL/lorawan/peers" | json token)
seeded=$("$SEED" "$MIDPKI_TEST_DATABASE_URL" "$I_STATE/master.key" "$TENANT" 000013 "$devices" \
	"$T/joinreqs")
echo "seeding: $seeded"
psql -qc "vacuum analyze"

cat >"$T/join.lua" <<LUA
-- each thread sends its share of the JoinReqs, one device after the other
local threads = {}
local reqs, n, next = {}, 0, 0
function setup(thread)
	thread:set("tid", #threads)
	table.insert(threads, thread)
end
function init(args)
	local i = 0
	for line in io.lines("$T/joinreqs") do
		if i % 2 == tid then
			n = n + 1
			reqs[n] = line
		end
		i = i + 1
	end
	ok = 0
end
function request()
	next = next % n + 1
	return wrk.format("POST", "/", {
		["Authorization"] = "Bearer $TOKEN",
		["Content-Type"] = "application/json" }, reqs[next])
end
function response(status, headers, body)
	if status == 200 and string.find(body, '"ResultCode":"Success"', 1, true) then
		ok = ok + 1
	end
end
function done(summary, latency, requests)
	local joined = 0
	for _, t in ipairs(threads) do
		joined = joined + t:get("ok")
	end
	io.write(string.format("joins %d\n", joined))
end
LUA

out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$T/join.lua" "http://127.0.0.1:$LORAWAN_PORT/")
joins=$(echo "$out" | awk '$1 == "joins" {print $2}')
rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
echo "midpki Join Server, $(nproc) cores, $conns connections, ${secs}s, keep-alive, $devices devices (LoRaWAN 1.0.4)"
printf 'joins/s %s (%s joins)   requests/s %s   p50 %s   p99 %s\n' \
	"$(python3 -c "print(round($joins / $secs))")" "$joins" "$rps" \
	"$(echo "$out" | awk '$1 == "50%" {print $2}')" "$(echo "$out" | awk '$1 == "99%" {print $2}')"
echo "$out" | awk '/Non-2xx|Socket errors/ {print}'
echo "joins recorded: $(psql -Atc "select result, count(*) from lorawan_joins group by 1 order by 1" | tr '\n' ' ')"
stop_instance >/dev/null
