# Shared start of the FDO benchmarks: source it after lib.sh with the number of
# devices. Sets KEY, URL, api and post (the admin API as the platform admin) and
# json_id (the id of the JSON object on stdin), and makes the tenant "bench"
# (which MIDPKI_FDO_MANUFACTURER_TENANT must name) with the profiles fdo-device
# (DI) and iec62351-device (the enrollment token of TO2), both copies of the
# built-in iec62351-device, a P-256 manufacturer key, and the devices
# FDO-000000, FDO-000001, ... registered by bulk import; sets TENANT.
KEY=$(cat "$I_STATE/admin.key")
URL="https://127.0.0.1:$ADMIN_PORT/api/v1"
api() { curl -sS -f --cacert "$I_STATE/trust.pem" -H "Authorization: Bearer $KEY" "$@"; }
post() { api -H 'Content-Type: application/json' -d "$2" "$URL/$1"; }
json_id() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }

TENANT=$(post tenants '{"name":"bench"}' | json_id)
BODY=$(api "$URL/profiles?limit=1000" | python3 -c 'import json,sys
print(json.dumps([p["body"] for p in json.load(sys.stdin)["items"]
                  if p["name"] == "iec62351-device"][0]))')
for p in fdo-device iec62351-device; do
	post profiles "{\"tenant\":\"$TENANT\",\"name\":\"$p\",\"body\":$BODY}" >/dev/null
done
post fdo/keys "{\"tenant\":\"$TENANT\",\"role\":\"manufacturer\",\"algorithm\":\"ec-p256\"}" \
	>/dev/null
python3 -c 'import json,sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"serial": "FDO-%06d" % i, "model": "charger"}))' \
	"$1" >"$T/seed.ndjson"
api -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary @"$T/seed.ndjson" \
	"$URL/devices:import?tenant=$TENANT"
