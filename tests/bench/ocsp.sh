#!/bin/bash
# OCSP benchmark (issue 5): midpki serve's OCSP listener answering GET
# /ocsp/<base64> with keep-alive, beside `openssl ocsp -index ... -port ...`
# answering the same kind of requests and nginx serving one response of the
# same size as a static file (the practical ceiling for HTTP on this machine),
# one after the other, with the same load generator. Prints figures; it is not
# a test and asserts nothing about speed.
#   tests/bench/ocsp.sh [CERTS] [SECONDS] [CONNECTIONS]    (1000000 30 64)
# Uses the optimized build in build/ (make build), wrk and nginx (Debian
# packages wrk, nginx-light; scripts/install-deps.sh).
#
# 1. midpki serve starts (MIDPKI_HTTP_WORKERS=0: one worker per core; log
#    level warn) on a throwaway PostgreSQL (fsync off: the bench measures
#    reads). CERTS certificates of the platform's `devices` CA are inserted
#    with SQL (an identity each, then the certificate), with distinct random
#    17-octet serials like the CA's own and 3% revoked. Their DER column is one
#    template certificate for all: the OCSP path reads only CA, serial and
#    status.
# 2. midpki serve's pre-signing service signs their responses (it picks up due
#    certificates by itself); the script waits until no certificate is due and
#    ocsp_responses holds a SHA-1 response for each, and prints the rate.
# 3. 100,000 of the serials (all when CERTS is smaller), drawn at random, are
#    turned into DER OCSP requests (SHA-1 CertID, no nonce) by
#    build/tests/bench/bench_ocsp_reqs (byte for byte what `openssl ocsp
#    -no_nonce -reqout` writes), which takes about 4 us per request; `openssl
#    ocsp -reqout` takes about 16 ms per request (a process each), 27 minutes
#    for 100,000. A wrk Lua script cycles through them as GET
#    requests (each thread from its own starting point), and checks every
#    answer: HTTP 200 and an OCSPResponse with status successful and
#    responseBytes; anything else counts as bad and is printed.
# 4. Runs, each `wrk -t2 -c<CONNECTIONS> -d<SECONDS> --latency`:
#    (a) midpki serve, twice: a first pass while its response cache fills
#        (answers read from the database), then the measured run, each
#        followed by the responder's counters from /metrics (answers by
#        status, cache hits and misses, responses signed on request). A
#        sample of the answers (good and revoked) is verified with `openssl
#        ocsp -respin` against the CA chain and the status in the database.
#    midpki serve and PostgreSQL are then stopped.
#    (b) `openssl ocsp -index` (one process, as the issue names it) with its
#        own throwaway P-256 CA and delegated signer, an index.txt of the same
#        CERTS serials with V/R lines (subject /CN=<serial>: it refuses an
#        index with repeated subjects), and requests for the same 100,000
#        serials built for its CA. OpenSSL 3.0's responder cannot keep a
#        connection alive: it answers HTTP/1.0 and closes when the request
#        says "Connection: close" or "keep-alive", and when it says nothing it
#        keeps the connection and, once the client closes it, loops reading
#        EOF at full CPU and answers nobody again. So its requests say
#        "Connection: close" (a connection per request), and every wrk script
#        here skips wrk's probe connection, which would hang it the same way.
#    (c) nginx (worker_processes 2, access_log off, keep-alive) serving one
#        of midpki serve's responses as a static file for every path.
#    Then the ratios: midpki/nginx requests/s (target >= 70%), midpki/openssl
#    ocsp (target >= 10x), midpki p99 (target < 5 ms).
# 5. midpki serve's resident memory (VmRSS) is sampled every second during
#    seeding, pre-signing and the load runs; the maximum of each phase is
#    printed (target < 300 MB throughout).
set -eu
certs=${1:-1000000}
case "$certs" in
'' | *[!0-9]* | 0*) echo "usage: tests/bench/ocsp.sh [CERTS] [SECONDS] [CONNECTIONS]" >&2; exit 2 ;;
esac
command -v nginx >/dev/null ||
	{ echo "bench: nginx is missing (apt-get install nginx-light)" >&2; exit 1; }
. "$(dirname "$0")/lib.sh" "${2:-30}" "${3:-64}"
reqgen=$PWD/build/tests/bench/bench_ocsp_reqs
[ -x "$reqgen" ] || fail "build first (make build): $reqgen is missing"
nreq=$((certs < 100000 ? certs : 100000))
MIDPKI_PID=$I_PID
HELPER_PIDS=""

bench_cleanup() {
	local p
	set +e
	for p in $HELPER_PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $HELPER_PIDS; do wait "$p" 2>/dev/null; done
	it_cleanup
}
trap bench_cleanup EXIT

stop_helper() { # stop_helper PID: SIGTERM, wait, and forget it
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	HELPER_PIDS=$(echo "$HELPER_PIDS" | sed "s/ $1\b//")
}

q() { psql -X -v ON_ERROR_STOP=1 -Atq "$@"; }

# Resident memory of midpki serve: "<phase> <kB>" every second into rss.txt.
echo seeding >"$T/phase"
(
	while kill -0 "$MIDPKI_PID" 2>/dev/null; do
		kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$MIDPKI_PID/status" 2>/dev/null) || true
		[ -n "$kb" ] && echo "$(cat "$T/phase") $kb"
		sleep 1
	done
) >"$T/rss.txt" &
HELPER_PIDS="$HELPER_PIDS $!"

since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

rss_max() { # rss_max [PHASE]: the largest sample in MB (of PHASE, else of all)
	awk -v p="${1:-}" 'p == "" || $1 == p { if ($2 > m) m = $2 } END { printf "%.0f", m / 1024 }' \
		"$T/rss.txt"
}

# --- 1. seeding ---------------------------------------------------------
SUBJECT='CN=MIDPKI OCSP bench'
start=$(date +%s.%N)
q -v n="$certs" -v subject="$SUBJECT" <<'SQL'
BEGIN;
CREATE TEMP TABLE bench ON COMMIT DROP AS SELECT
	t.id AS tenant,
	(SELECT id FROM cas WHERE tenant_id = t.id AND name = 'devices') AS ca,
	(SELECT id FROM profiles WHERE tenant_id = t.id AND name = 'iec62351-device') AS profile,
	(SELECT der FROM certificates ORDER BY created_at LIMIT 1) AS der
	FROM tenants t WHERE t.name = 'platform';
INSERT INTO devices (tenant_id, serial, model) SELECT tenant, 'OCSP-BENCH', 'bench' FROM bench;
WITH ids AS (
	INSERT INTO identities (tenant_id, kind, device_id, profile_id, status, not_before, not_after)
	SELECT b.tenant, 'x509', d.id, b.profile,
		CASE WHEN random() < 0.03 THEN 'revoked' ELSE 'active' END,
		now() - interval '1 day', now() + interval '1 year'
	FROM bench b JOIN devices d ON d.tenant_id = b.tenant AND d.serial = 'OCSP-BENCH'
	CROSS JOIN generate_series(1, :n)
	RETURNING id, status)
INSERT INTO certificates (id, tenant_id, ca_id, serial, der, subject, not_before, not_after,
	revoked_at, reason, status_changed_at)
SELECT ids.id, b.tenant, b.ca,
	decode(to_hex(64 + floor(random() * 64)::int) || md5(ids.id::text), 'hex'),
	b.der, :'subject', now() - interval '1 day', now() + interval '1 year', r.at,
	CASE WHEN r.at IS NOT NULL THEN (ARRAY['keyCompromise', 'superseded',
		'cessationOfOperation', 'unspecified'])[1 + floor(random() * 4)::int] END,
	r.at
FROM ids CROSS JOIN bench b
CROSS JOIN LATERAL (SELECT CASE WHEN ids.status = 'revoked'
	THEN date_trunc('second', now() - random() * interval '30 days') END AS at) r;
COMMIT;
ANALYZE certificates;
SQL
seeded=$(q -c "SELECT count(*) FROM certificates WHERE subject = '$SUBJECT'")
revoked=$(q -c "SELECT count(*) FROM certificates WHERE subject = '$SUBJECT' AND revoked_at IS NOT NULL")
echo "seeded $seeded certificates of the devices CA ($revoked revoked) in $(since "$start") s"

# --- 2. pre-signing by midpki serve -------------------------------------
echo presigning >"$T/phase"
DEVICES_CA=$(q -c "SELECT c.id FROM cas c JOIN tenants t ON t.id = c.tenant_id
	WHERE t.name = 'platform' AND c.name = 'devices'")
last=-1
stalled=0
while :; do
	due=$(q -c "SELECT count(*) FROM certificates WHERE ocsp_due_at <= now()")
	if [ "$due" -eq 0 ]; then
		have=$(q -c "SELECT count(*) FROM ocsp_responses r JOIN certificates c
			ON c.ca_id = r.ca_id AND c.serial = r.serial
			WHERE r.hash = 'sha1' AND c.subject = '$SUBJECT'")
		[ "$have" -ge "$seeded" ] && break
	fi
	if [ "$due" = "$last" ]; then
		stalled=$((stalled + 1))
		[ "$stalled" -lt 120 ] ||
			fail "pre-signing made no progress in 120 s ($due certificates due;" \
				"does this build have the OCSP pre-signing service?)"
	else
		stalled=0
	fi
	last=$due
	sleep 1
done
elapsed=$(since "$start")
sigs=$(q -c "SELECT count(*) FROM ocsp_responses r JOIN certificates c
	ON c.ca_id = r.ca_id AND c.serial = r.serial WHERE c.subject = '$SUBJECT'")
awk -v n="$seeded" -v s="$sigs" -v t="$elapsed" 'BEGIN {
	printf "pre-signed %d certificates (%d responses) in %.1f s: %.0f certificates/s, %.0f signatures/s\n",
		n, s, t, n / t, s / t }'

# --- 3. requests --------------------------------------------------------
q -c "SELECT encode(serial, 'hex'), CASE WHEN revoked_at IS NULL THEN 'good' ELSE 'revoked' END
	FROM certificates WHERE subject = '$SUBJECT' ORDER BY random() LIMIT $nreq" >"$T/sample"
cut -d'|' -f1 "$T/sample" >"$T/sample.hex"
q -c "SELECT CASE WHEN revoked_at IS NULL THEN 'V' ELSE 'R' END || E'\t' ||
	to_char(not_after AT TIME ZONE 'UTC', 'YYMMDDHH24MISS') || E'Z\t' ||
	COALESCE(to_char(revoked_at AT TIME ZONE 'UTC', 'YYMMDDHH24MISS') || 'Z,' || reason, '') ||
	E'\t' || upper(encode(serial, 'hex')) || E'\tunknown\t/CN=' || encode(serial, 'hex')
	FROM certificates WHERE subject = '$SUBJECT'" >"$T/index.txt"
q -c "SELECT encode(certificate, 'base64') FROM cas WHERE id = '$DEVICES_CA'" | tr -d '\n' |
	openssl base64 -d -A | openssl x509 -inform DER -out "$T/devices-ca.pem"
cat "$I_STATE/trust.pem" "$T/devices-ca.pem" >"$T/midpki-chain.pem"
printf 'requests for %s of them: ' "$nreq"
"$reqgen" "$T/devices-ca.pem" "$T/sample.hex" "$T/midpki.req"

# lua_script PREFIX REQUESTS OUT [CONNECTION]: a wrk script cycling through
# the GET paths PREFIX<line>, each of the 2 threads from its own starting
# point, that counts the answers that are not HTTP 200 with a successful
# OCSPResponse; CONNECTION, when given, is sent as the Connection header. It
# skips wrk's probe connection (opened and closed without a request).
lua_script() {
	cat >"$3" <<LUA
function wrk.resolve(host, service)
	wrk.addrs = wrk.lookup(host, service)
end
if "${4:-}" ~= "" then
	wrk.headers["Connection"] = "${4:-}"
end
local threads = {}
function setup(thread)
	thread:set("tid", #threads)
	table.insert(threads, thread)
end
-- built here, not when the script loads: wrk sets the Host header in between
function init(args)
	reqs = {}
	for line in io.lines("$2") do
		reqs[#reqs + 1] = wrk.format("GET", "$1" .. line)
	end
	i = math.floor(tid * #reqs / 2)
	seen = 0
	bad = 0
end
function request()
	i = i % #reqs + 1
	return reqs[i]
end
-- OCSPResponse: SEQUENCE { responseStatus ENUMERATED 0, [0] responseBytes }
local function successful(body)
	local l = body:byte(2)
	if body:byte(1) ~= 0x30 or l == nil then return false end
	local o = l < 0x80 and 3 or 3 + l - 0x80
	return body:byte(o) == 0x0a and body:byte(o + 1) == 1 and body:byte(o + 2) == 0 and
		body:byte(o + 3) == 0xa0
end
function response(status, headers, body)
	seen = seen + 1
	if status ~= 200 or not successful(body) then bad = bad + 1 end
end
function done(summary, latency, requests)
	local s, b = 0, 0
	for _, t in ipairs(threads) do
		s = s + t:get("seen")
		b = b + t:get("bad")
	end
	io.write(string.format("ocsp-check: %d %d\n", s, b))
end
LUA
}

RESULTS=""
# run LABEL URL SCRIPT: one wrk run; prints its line and adds "LABEL rps p50 p99" to RESULTS.
run() {
	local out rps p50 p99 seen bad errs
	out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$3" "$2")
	rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
	p50=$(echo "$out" | awk '$1 == "50%" { print $2 }')
	p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
	seen=$(echo "$out" | awk '$1 == "ocsp-check:" { print $2 }')
	bad=$(echo "$out" | awk '$1 == "ocsp-check:" { print $3 }')
	errs=$(echo "$out" | awk '/Non-2xx|Socket errors/' | tr -s ' \n' ' ')
	printf '%-26s %10s req/s   p50 %-9s p99 %-9s %s answers, %s not successful %s\n' \
		"$1" "$rps" "$p50" "$p99" "$seen" "$bad" "$errs"
	RESULTS="$RESULTS$1|$rps|$p50|$p99
"
}

# verify NAME URL-PREFIX ISSUER CHAIN REQUESTS: fetches a sample of answers
# (the first 10 requests and the first 5 of revoked certificates) and checks
# each with openssl ocsp -respin: signature and chain, and the status of $T/sample.
verify() {
	local k hex want got out n=0
	for k in $( (head -n 10 "$T/sample" | awk '{ print NR }'
		awk -F'|' '$2 == "revoked" { print NR }' "$T/sample" | head -n 5) | sort -nu); do
		hex=$(sed -n "${k}p" "$T/sample.hex")
		want=$(sed -n "${k}p" "$T/sample" | cut -d'|' -f2)
		curl -sS -f -o "$T/answer.der" "$2$(sed -n "${k}p" "$5")" ||
			fail "$1: GET of sample $k failed"
		out=$(openssl ocsp -respin "$T/answer.der" -issuer "$3" -serial "0x$hex" \
			-CAfile "$4" -no_nonce 2>&1) || fail "$1: openssl ocsp -respin: $out"
		got=$(echo "$out" | awk -v s="0x$hex:" 'toupper($1) == toupper(s) { print $2 }')
		case "$out" in *"Response verify OK"*) ;; *) fail "$1: sample $k: $out" ;; esac
		[ "$got" = "$want" ] || fail "$1: serial $hex: got '$got', want '$want'"
		n=$((n + 1))
	done
	echo "$1: $n sampled answers verified (signature, chain, status) with openssl ocsp -respin"
}

echo
echo "$(nproc) cores, $conns connections, ${secs}s per run, keep-alive, GET, $nreq distinct" \
	"certificates of $seeded"

# The responder's counters from /metrics (cumulative, those not 0), on one line.
ocsp_metrics() {
	admin_curl /metrics | awk '/^midpki_ocsp_(answers|cache|signed)/ && $2 != 0 {
		sub(/^midpki_ocsp_/, ""); sub(/_total/, ""); printf " %s", $0 } END { print "" }'
}

# --- 4a. midpki serve ---------------------------------------------------
# Millions of fresh rows leave PostgreSQL with autovacuum and checkpoint work that
# would share the cores with the measured runs: do it now.
start=$(date +%s.%N)
q -c "VACUUM ANALYZE" -c "CHECKPOINT" || fail "VACUUM"
echo "PostgreSQL vacuumed and checkpointed in $(since "$start") s"
echo load >"$T/phase"
MIDPKI_URL="http://127.0.0.1:$OCSP_PORT"
lua_script /ocsp/ "$T/midpki.req" "$T/midpki.lua"
verify "midpki serve" "$MIDPKI_URL/ocsp/" "$T/devices-ca.pem" "$T/midpki-chain.pem" "$T/midpki.req"
run "midpki serve (1st pass)" "$MIDPKI_URL" "$T/midpki.lua"
echo "  counters:$(ocsp_metrics)"
run "midpki serve" "$MIDPKI_URL" "$T/midpki.lua"
echo "  counters:$(ocsp_metrics)"
verify "midpki serve" "$MIDPKI_URL/ocsp/" "$T/devices-ca.pem" "$T/midpki-chain.pem" "$T/midpki.req"
mkdir -p "$T/nginx/www" "$T/nginx/tmp"
curl -sS -f -o "$T/nginx/www/response.der" "$MIDPKI_URL/ocsp/$(head -n 1 "$T/midpki.req")"
echo "midpki serve: answers of $(stat -c %s "$T/nginx/www/response.der") bytes;" \
	"resident memory max: seeding $(rss_max seeding) MB, pre-signing $(rss_max presigning) MB," \
	"load $(rss_max load) MB"
RSS_ALL=$(rss_max)
stop_instance >/dev/null
pg_stop "$T/pg"

# --- 4b. openssl ocsp ---------------------------------------------------
O="$T/openssl"
mkdir -p "$O"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$O/ca.key" \
	-out "$O/ca.pem" -subj "/CN=openssl ocsp bench CA" -days 3650 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
	2>/dev/null
printf 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = OCSPSigning\n' \
	>"$O/signer.ext"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$O/signer.key" \
	-subj "/CN=openssl ocsp bench signer" 2>/dev/null |
	openssl x509 -req -CA "$O/ca.pem" -CAkey "$O/ca.key" -set_serial 2 -days 365 \
		-extfile "$O/signer.ext" -out "$O/signer.pem" 2>/dev/null
printf 'requests for openssl ocsp: '
"$reqgen" "$O/ca.pem" "$T/sample.hex" "$O/openssl.req"
lua_script / "$O/openssl.req" "$O/openssl.lua" close
OPENSSL_PORT=$(free_port)
start=$(date +%s.%N)
openssl ocsp -index "$T/index.txt" -port "$OPENSSL_PORT" -rsigner "$O/signer.pem" \
	-rkey "$O/signer.key" -CA "$O/ca.pem" -nmin 60 -ignore_err >"$O/ocsp.log" 2>&1 &
OPENSSL_PID=$!
HELPER_PIDS="$HELPER_PIDS $OPENSSL_PID"
OPENSSL_URL="http://127.0.0.1:$OPENSSL_PORT"
until curl -sf -o /dev/null "$OPENSSL_URL/$(head -n 1 "$O/openssl.req")"; do
	kill -0 "$OPENSSL_PID" 2>/dev/null || fail "openssl ocsp exited: $(cat "$O/ocsp.log")"
	sleep 0.2
done
echo "openssl ocsp: index of $(wc -l <"$T/index.txt") serials loaded in $(since "$start") s"
verify "openssl ocsp" "$OPENSSL_URL/" "$O/ca.pem" "$O/ca.pem" "$O/openssl.req"
run "openssl ocsp" "$OPENSSL_URL" "$O/openssl.lua"
stop_helper "$OPENSSL_PID"

# --- 4c. nginx ----------------------------------------------------------
NGINX_PORT=$(free_port)
cat >"$T/nginx/nginx.conf" <<NGINX
worker_processes 2;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	keepalive_requests 1000000;
	keepalive_timeout 60s;
	client_body_temp_path $T/nginx/tmp/body;
	proxy_temp_path $T/nginx/tmp/proxy;
	fastcgi_temp_path $T/nginx/tmp/fastcgi;
	uwsgi_temp_path $T/nginx/tmp/uwsgi;
	scgi_temp_path $T/nginx/tmp/scgi;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $T/nginx/www;
		location / {
			default_type application/ocsp-response;
			try_files /response.der =404;
		}
	}
}
NGINX
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" &
NGINX_PID=$!
HELPER_PIDS="$HELPER_PIDS $NGINX_PID"
NGINX_URL="http://127.0.0.1:$NGINX_PORT"
until curl -sf -o /dev/null "$NGINX_URL/ocsp/x"; do
	kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx exited: $(cat "$T/nginx/error.log")"
	sleep 0.2
done
run "nginx (static file)" "$NGINX_URL" "$T/midpki.lua"
stop_helper "$NGINX_PID"

# --- ratios -------------------------------------------------------------
echo
echo "$RESULTS" | awk -F'|' -v rss="$RSS_ALL" '
	function ms(v) {
		if (v ~ /us$/) return v / 1000
		if (v ~ /ms$/) return v + 0
		if (v ~ /s$/) return v * 1000
		return v
	}
	$1 == "midpki serve" { m = $2; p99 = $4 }
	$1 == "openssl ocsp" { o = $2 }
	$1 ~ /^nginx/ { n = $2 }
	END {
		printf "midpki/nginx:        %5.1f%%  (target >= 70%%)\n", (n > 0 ? 100 * m / n : 0)
		printf "midpki/openssl ocsp: %5.1fx  (target >= 10x)\n", (o > 0 ? m / o : 0)
		printf "midpki p99:          %5.2f ms (target < 5 ms)\n", ms(p99)
		printf "midpki serve resident memory, max: %d MB (target < 300 MB)\n", rss
	}'
