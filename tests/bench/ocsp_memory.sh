#!/bin/bash
# Resident memory of midpki serve while its OCSP responder answers one request
# for each of REQUESTS distinct certificates out of CERTS in the database (the
# issue's bar: 1,000,000 certificates, 100,000 requested, under 300 MB). The
# certificates rows are made by SQL (the responder reads serial and status,
# not the DER); with no pre-signed responses every first answer is signed on
# request and then cached. Prints figures; asserts nothing.
#   tests/bench/ocsp_memory.sh [CERTS] [REQUESTS]
# Uses the optimized build in build/ (make build).
CERTS=${1:-1000000}
REQUESTS=${2:-100000}
. "$(dirname "$0")/lib.sh" 10 1
. tests/integration/api_lib.sh

KEY=$(cat "$I_STATE/admin.key")
r=$(api "$KEY" POST /tenants '{"name":"bench"}'); TEN=$(field "${r#* }" id)
r=$(api "$KEY" POST /devices "{\"tenant\":\"$TEN\",\"serial\":\"M-1\"}"); DEV=$(field "${r#* }" id)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/d.key" \
	-out "$T/d.csr" -subj "/CN=M-1" 2>/dev/null
r=$(api "$KEY" POST /certificates "$(python3 -c 'import json,sys
print(json.dumps({"device": sys.argv[1], "profile": "iec62351-device", "csr_pem": open(sys.argv[2]).read()}))' "$DEV" "$T/d.csr")")
CERT=$(field "${r#* }" id)
jget "${r#* }" 'd["chain_pem"]' | openssl x509 -out "$T/issuer.pem"
CA=$(psql -tAc "SELECT ca_id FROM certificates WHERE id = '$CERT'")

start=$(date +%s)
psql -qc "WITH i AS (INSERT INTO identities (tenant_id, kind, device_id, profile_id, status)
	SELECT x.tenant_id, 'x509', x.device_id, x.profile_id, 'active'
	FROM identities x, generate_series(1, $CERTS) WHERE x.id = '$CERT' RETURNING id, tenant_id)
	INSERT INTO certificates (id, tenant_id, ca_id, serial, der, subject, not_before, not_after)
	SELECT id, tenant_id, '$CA', set_byte(s, 0, get_byte(s, 0) & 63 | 64), '\\x30', 'CN=x',
	now() - interval '1 hour', now() + interval '1 year'
	FROM (SELECT id, tenant_id, substring(sha256(id::text::bytea) FROM 1 FOR 16) AS s FROM i) c" \
	>/dev/null
echo "$CERTS certificates inserted in $(( $(date +%s) - start )) s"
psql -tAc "SELECT encode(serial, 'hex') FROM certificates WHERE ca_id = '$CA'
	AND octet_length(serial) = 16 LIMIT $REQUESTS" >"$T/serials"
openssl ocsp -issuer "$T/issuer.pem" -serial 0x41414141414141414141414141414141 -no_nonce \
	-reqout "$T/tmpl.der" >/dev/null 2>&1
rss() { awk '/VmRSS|VmHWM/ {printf "%s %d MB  ", $1, $2 / 1024}' "/proc/$I_PID/status"; }
echo "before: $(rss)"
python3 - "$T/tmpl.der" "$T/serials" "$OCSP_PORT" <<'PY'
import http.client, sys, time
tmpl = open(sys.argv[1], "rb").read()
mark = bytes([0x41] * 16)
at = tmpl.index(mark)
serials = [bytes.fromhex(l.strip()) for l in open(sys.argv[2]) if l.strip()]
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[3]))
counts = {}
t0 = time.time()
for rnd in range(2):
    for s in serials:
        body = tmpl[:at] + s + tmpl[at + 16:]
        c.request("POST", "/ocsp", body, {"Content-Type": "application/ocsp-request"})
        r = c.getresponse()
        data = r.read()
        k = (r.status, len(data) > 100)
        counts[k] = counts.get(k, 0) + 1
    print("round %d: %d requests in %.1f s" % (rnd + 1, len(serials), time.time() - t0))
    t0 = time.time()
print("answers (HTTP status, signed):", counts)
PY
echo "after:  $(rss)"
metrics=$(admin_curl /metrics | grep '^midpki_ocsp_' | tr '\n' ' ')
echo "$metrics"
stop_instance >/dev/null
