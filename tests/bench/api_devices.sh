#!/bin/bash
# Benchmark of the device routes of the admin API with 10,000 devices in the
# database: requests/s and p50/p99 latency for GET /api/v1/devices/{id} and
# POST /api/v1/devices (unique serials from a wrk Lua script), over TLS with
# keep-alive. Prints figures; it is not a test and asserts nothing about speed.
#   tests/bench/api_devices.sh [SECONDS] [CONNECTIONS]
# Uses the optimized build in build/ (make build) and wrk (Debian package wrk).
. "$(dirname "$0")/lib.sh"
KEY=$(cat "$I_STATE/admin.key")
URL="https://127.0.0.1:$ADMIN_PORT/api/v1"

python3 -c 'import json
for i in range(10000):
    print(json.dumps({"serial": "SEED-%05d" % i, "model": "wallbox-22", "attributes": {"site": "s%d" % (i % 40)}}))' \
	>"$T/seed.ndjson"
curl -sS -f -o /dev/null --cacert "$I_STATE/trust.pem" -H "Authorization: Bearer $KEY" \
	-H 'Content-Type: application/x-ndjson' --data-binary @"$T/seed.ndjson" "$URL/devices:import"
ID=$(curl -sS --cacert "$I_STATE/trust.pem" -H "Authorization: Bearer $KEY" \
	"$URL/devices?serial=SEED-05000" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')

cat >"$T/post.lua" <<LUA
local n = 0
local threads = 0
function setup(thread)
	thread:set("tid", threads)
	threads = threads + 1
end
function request()
	n = n + 1
	local body = string.format('{"serial":"W-%s-%d-%d","model":"bench","attributes":{"site":"b"}}',
		"$$", tid, n)
	return wrk.format("POST", "/api/v1/devices", {
		["Authorization"] = "Bearer $KEY",
		["Content-Type"] = "application/json" }, body)
end
LUA

report() { # report LABEL WRK-OUTPUT
	local rps p50 p99 errs
	rps=$(echo "$2" | awk '/Requests\/sec/ {print $2}')
	p50=$(echo "$2" | awk '$1 == "50%" {print $2}')
	p99=$(echo "$2" | awk '$1 == "99%" {print $2}')
	errs=$(echo "$2" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
	printf '%-22s %10s req/s   p50 %-9s p99 %-9s %s\n' "$1" "$rps" "$p50" "$p99" "$errs"
}

echo "midpki admin API, $(nproc) cores, $conns connections, ${secs}s per route, keep-alive, 10,000 devices"
report "GET /devices/{id}" "$(wrk -t2 -c"$conns" -d"${secs}s" --latency \
	-H "Authorization: Bearer $KEY" "$URL/devices/$ID")"
report "POST /devices" "$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$T/post.lua" "$URL/devices")"
echo "devices now: $(psql -Atc 'select count(*) from devices')"
stop_instance >/dev/null
