#!/bin/bash
# Benchmark of EST enrollment: CHARGERS simulated chargers, THREADS at a time,
# each enrolling on /simpleenroll on a fresh TLS 1.3 connection (P-256
# throughout) authenticated by its own manufacturer certificate (IDevID) under
# a trust anchor, every certificate committed to the database before it is
# returned. Prints enrollments/s and p50/p99 latency beside the crypto-only
# bound for the same work from `openssl speed` in the same run. 500 more chargers
# enroll first, unmeasured, and the tables are analyzed after them, as on a
# database that has been running for a while. Then nginx makes the same
# handshakes with the same load generator and answers without enrolling: the
# handshake-only ceiling, and midpki's share of it. Prints figures; it asserts
# nothing about speed.
#   tests/bench/est_enroll.sh [CHARGERS] [THREADS]
# Uses the optimized build in build/ (make build) and nginx (nginx-light).
. "$(dirname "$0")/lib.sh"
. tests/integration/api_lib.sh
chargers=${1:-2000}
threads=${2:-32}
bin=$PWD/build/tests/bench/bench_est_enroll
[ -x "$bin" ] || { echo "bench: build first (make build)" >&2; exit 1; }
KEY=$(cat "$I_STATE/admin.key")

r=$(api "$KEY" POST /tenants '{"name":"bench"}'); TEN=$(field "${r#* }" id)
BODY=$(builtin_body iec62351-device)
api "$KEY" POST /profiles "{\"tenant\":\"$TEN\",\"name\":\"chargers\",\"body\":$BODY}" >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/mfr.key" \
	-out "$T/mfr.pem" -subj "/O=Wallbox/CN=Wallbox Manufacturing CA" -days 30 \
	-addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign' 2>/dev/null
api "$KEY" POST /trust-anchors "$(python3 -c 'import json,sys
print(json.dumps({"tenant": sys.argv[1], "name": "wallbox", "certificate_pem": open(sys.argv[2]).read(), "profile": "chargers"}))' "$TEN" "$T/mfr.pem")" >/dev/null
# 500 more chargers (WARM-*) enroll before the measured ones, unmeasured: see below
warm=500
python3 -c 'import json,sys
for p, n in (("EVSE", sys.argv[1]), ("WARM", sys.argv[2])):
    for i in range(int(n)):
        print(json.dumps({"serial": "%s-%d" % (p, i)}))' "$chargers" "$warm" >"$T/devices.ndjson"
curl -sS -f -o /dev/null --cacert "$I_STATE/trust.pem" -H "Authorization: Bearer $KEY" \
	-H 'Content-Type: application/x-ndjson' --data-binary @"$T/devices.ndjson" \
	"https://127.0.0.1:$ADMIN_PORT/api/v1/devices:import?tenant=$TEN"
# statistics, as autovacuum keeps them: on a table never analyzed the planner may find a
# device by its tenant alone and filter the tenant's devices one by one
psql -qc "ANALYZE"

# The chargers trust the issuing CA of the EST server's certificate (P-256, as the
# rest): the platform root is P-384, and a chain verified up to it would add a P-384
# verification (about as much CPU as all the P-256 work of an enrollment) to every
# connection. The CA is taken from the chain the server sends, verified to the root.
openssl s_client -connect "127.0.0.1:$EST_PORT" -CAfile "$I_STATE/trust.pem" \
	-verify_return_error -showcerts </dev/null 2>/dev/null |
	awk '/-----BEGIN CERTIFICATE-----/ { n++ } n == 2 { print } n == 2 && /-----END/ { exit }' \
	>"$T/issuing.pem"
[ -s "$T/issuing.pem" ] || { echo "bench: the EST server sent no verified chain" >&2; exit 1; }

# The crypto-only bound: the public-key operations of one enrollment, server and
# load generator together (both run on this machine), at `openssl speed` rates on
# every core. ECDH counts key generation and derivation on each side at the
# derivation rate (key generation is the cheaper of the two).
speed=$(openssl speed -seconds 2 ecdsap256 ecdhp256 2>/dev/null)
sign=$(echo "$speed" | awk '/256 bits ecdsa/ { print $(NF-1) }')
verify=$(echo "$speed" | awk '/256 bits ecdsa/ { print $NF }')
ecdh=$(echo "$speed" | awk '/256 bits ecdh/ { print $NF }')
cores=$(nproc)
echo "openssl speed (1 core): ecdsa P-256 $sign signs/s, $verify verifies/s; ecdh P-256 $ecdh ops/s"
python3 -c 'import sys
s, v, e, c = map(float, sys.argv[1:])
ops = [("ECDSA P-256 signatures", 5, s, "server CertificateVerify, client CertificateVerify,"
        " the certificate, its 2 pre-signed OCSP responses (SHA-1 and SHA-256 CertID)"),
       ("ECDSA P-256 verifications", 5, v, "client CertificateVerify, IDevID under its anchor,"
        " CSR (server); server CertificateVerify, server certificate (load generator)"),
       ("ECDH P-256", 4, e, "key generation and derivation, on each side")]
per = 0
print("crypto per enrollment:")
for name, n, rate, what in ops:
    print("  %d %s, %.0f us: %s" % (n, name, 1e6 * n / rate, what))
    per += n / rate
print("  %.0f us on one core; not counted: the charger\x27s own key and CSR, made before it"
      " connects" % (1e6 * per))
print("%.0f" % (c / per))' "$sign" "$verify" "$ecdh" "$cores" >"$T/bound"
head -n -1 "$T/bound"
bound=$(tail -n 1 "$T/bound")
echo "crypto-only bound on $cores cores: $bound enrollments/s"
# CPU seconds used so far by the process PID and, with "tree", by its children
# (live ones, and those it has reaped): midpki serve, and PostgreSQL's postmaster
# with its backends. The machine may be shared, so CPU per enrollment says more
# than wall-clock figures.
cpu_of() {
	python3 -c 'import os, sys
pid, tree = int(sys.argv[1]), len(sys.argv) > 2
def stat(p):
    f = open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()
    return int(f[1]), int(f[11]) + int(f[12]), int(f[13]) + int(f[14])
ppid, own, reaped = stat(pid)
total = own + (reaped if tree else 0)
for d in os.listdir("/proc") if tree else []:
    try:
        if d.isdigit() and stat(int(d))[0] == pid:
            total += stat(int(d))[1]
    except OSError:
        pass
print(total / os.sysconf("SC_CLK_TCK"))' "$@"
}
# the OCSP responses are signed by the server's pre-signing thread: wait for them
ocsp_wait() {
	for i in $(seq 1 300); do
		[ "$(psql -tAc "SELECT count(*) FROM certificates WHERE ocsp_due_at <= now()")" = 0 ] &&
			break
		sleep 0.1
	done
}
# A warm-up round, then statistics as autovacuum keeps them once the tables hold rows.
# Without it the measured round runs on the plans PostgreSQL made for empty tables:
# prepared statements and the foreign-key checks of the commit switch to a generic plan
# after five runs, and the one made while certificates and identities held a page or
# two scans them in full; it stays until the next ANALYZE, so every enrollment would
# read all certificates issued so far four times (the foreign keys of its two OCSP
# responses) and all identities once (the certificate's), which a database that has
# been running for a minute does not do. With fewer than about 250 rows analyzed the
# generic plan of the identities check is still a full scan.
"$bin" "127.0.0.1:$EST_PORT" "$T/issuing.pem" "$T/mfr.pem" "$T/mfr.key" WARM "$warm" \
	"$threads" >/dev/null || { echo "bench: the warm-up round failed" >&2; exit 1; }
ocsp_wait
psql -qc "ANALYZE"
pg_pid=$(head -n 1 "$T/pg/data/postmaster.pid")
srv0=$(cpu_of "$I_PID"); pg0=$(cpu_of "$pg_pid" tree)
out=$("$bin" "127.0.0.1:$EST_PORT" "$T/issuing.pem" "$T/mfr.pem" "$T/mfr.key" EVSE \
	"$chargers" "$threads") || true
ocsp_wait
srv1=$(cpu_of "$I_PID"); pg1=$(cpu_of "$pg_pid" tree)
echo "$out"
ok=$(echo "$out" | awk '/enrolled \(HTTP 200\)/ { print $5 }')
gen=$(echo "$out" | awk '/load generator CPU/ { print $4 }')
[ -n "$ok" ] && [ "$ok" -gt 0 ] && python3 -c 'import sys
ok, gen, c = float(sys.argv[1]), float(sys.argv[6]), float(sys.argv[7])
srv = 1000 * (float(sys.argv[3]) - float(sys.argv[2])) / ok
pg = 1000 * (float(sys.argv[5]) - float(sys.argv[4])) / ok
print("CPU per enrollment: midpki serve %.3f ms (OCSP pre-signing included), PostgreSQL %.3f ms,"
      " load generator %.3f ms; together %.3f ms, at most %.0f enrollments/s on %d cores"
      % (srv, pg, gen, srv + pg + gen, 1000 * c / (srv + pg + gen), c))' \
	"$ok" "$srv0" "$srv1" "$pg0" "$pg1" "${gen:-0}" "$cores"
rate=$(echo "$out" | awk '/enrollments\/s/ { print $2 }')
[ -n "$rate" ] && python3 -c 'import sys; print("midpki/bound: %.0f%%" % (100 * float(sys.argv[1]) / float(sys.argv[2])))' "$rate" "$bound"
echo "certificates in the database: $(psql -tAc "SELECT count(*) FROM identities WHERE tenant_id = '$TEN'") ($warm of the warm-up round)"
stop_instance >/dev/null

# The handshake-only ceiling: nginx (one worker per core, OpenSSL as midpki) makes the
# same TLS 1.3 handshakes with the same load generator and certificates of the same
# shape (a P-256 server certificate sent with its P-256 issuing CA, the chargers'
# IDevIDs verified under the manufacturer CA) and answers each POST with a fixed 200,
# no enrollment behind it. What midpki reaches of that rate is what its enrollment
# (CSR, issuance, database, OCSP) costs on top of the handshake.
command -v nginx >/dev/null ||
	{ echo "bench: nginx is missing (apt-get install nginx-light)" >&2; exit 1; }
N=$T/nginx
mkdir -p "$N/tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$N/ca.key" \
	-out "$N/ca.pem" -subj "/CN=Handshake Baseline CA" -days 2 \
	-addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign' 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$N/server.key" \
	-subj "/CN=127.0.0.1" 2>/dev/null |
	openssl x509 -req -CA "$N/ca.pem" -CAkey "$N/ca.key" -days 2 -out "$N/server.pem" \
	-extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') 2>/dev/null
cat "$N/server.pem" "$N/ca.pem" >"$N/chain.pem"
NGINX_PORT=$(free_port)
cat >"$N/nginx.conf" <<NGINX
worker_processes $cores;
daemon off;
pid $N/nginx.pid;
error_log $N/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $N/tmp/body;
	proxy_temp_path $N/tmp/proxy;
	fastcgi_temp_path $N/tmp/fastcgi;
	uwsgi_temp_path $N/tmp/uwsgi;
	scgi_temp_path $N/tmp/scgi;
	server {
		listen 127.0.0.1:$NGINX_PORT ssl;
		ssl_certificate $N/chain.pem;
		ssl_certificate_key $N/server.key;
		ssl_protocols TLSv1.3;
		ssl_ecdh_curve prime256v1;
		ssl_session_tickets off;
		ssl_session_cache off;
		ssl_verify_client on;
		ssl_verify_depth 1;
		ssl_client_certificate $T/mfr.pem;
		location / { return 200 "handshake only\n"; }
	}
}
NGINX
nginx -p "$N" -c "$N/nginx.conf" -e "$N/error.log" &
NGINX_PID=$!
until curl -s -o /dev/null --cacert "$N/ca.pem" "https://127.0.0.1:$NGINX_PORT/"; do
	kill -0 "$NGINX_PID" 2>/dev/null || { echo "bench: nginx exited: $(cat "$N/error.log")" >&2; exit 1; }
	sleep 0.2
done
ng0=$(cpu_of "$NGINX_PID" tree)
nout=$("$bin" "127.0.0.1:$NGINX_PORT" "$N/ca.pem" "$T/mfr.pem" "$T/mfr.key" NGINX "$chargers" \
	"$threads") || true
ng1=$(cpu_of "$NGINX_PID" tree)
kill -TERM "$NGINX_PID"
wait "$NGINX_PID" 2>/dev/null || true
nrate=$(echo "$nout" | awk '/enrollments\/s/ { print $2 }')
nok=$(echo "$nout" | awk '/enrolled \(HTTP 200\)/ { print $5 }')
ngen=$(echo "$nout" | awk '/load generator CPU/ { print $4 }')
[ -n "$nrate" ] && [ -n "$nok" ] && [ "$nok" -gt 0 ] && python3 -c 'import sys
rate, p50, p99, ok, n0, n1, gen = sys.argv[1:8]
srv = 1000 * (float(n1) - float(n0)) / float(ok)
print("handshake only, nginx: %s connections/s   p50 %s ms   p99 %s ms; CPU per connection:"
      " nginx %.3f ms, load generator %s ms; together %.3f ms" % (rate, p50, p99, srv, gen,
      srv + float(gen)))' "$nrate" "$(echo "$nout" | awk '/enrollments\/s/ { print $4 }')" \
	"$(echo "$nout" | awk '/enrollments\/s/ { print $7 }')" "$nok" "$ng0" "$ng1" "$ngen"
[ -n "$rate" ] && [ -n "$nrate" ] && python3 -c 'import sys
print("midpki/handshake only: %.0f%%" % (100 * float(sys.argv[1]) / float(sys.argv[2])))' \
	"$rate" "$nrate"
