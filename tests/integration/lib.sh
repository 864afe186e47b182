# Helpers for integration tests: a temp dir per test, free ports, the real
# midpki daemon, and assertions that name what differed. Source it first.
set -u
. "$MIDPKI_SOURCE_DIR/tests/lib/pg.sh"

T=$(mktemp -d /tmp/midpki-it.XXXXXX)
chmod 755 "$T"
MIDPKI_PIDS=""
PG_DIRS=""

it_cleanup() {
	local p d
	for p in $MIDPKI_PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $MIDPKI_PIDS; do wait "$p" 2>/dev/null; done
	for d in $PG_DIRS; do pg_stop "$d" 2>/dev/null; done
	if [ "${IT_FAILED:-0}" -ne 0 ] || [ -n "${IT_KEEP:-}" ]; then
		for f in "$T"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }; done
	fi
	rm -rf "$T"
}
trap it_cleanup EXIT

fail() {
	IT_FAILED=1
	echo "FAIL: $*" >&2
	exit 1
}

ok() { echo "ok: $*"; }

expect_eq() { # expect_eq WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
	ok "$1 = '$3'"
}

expect_contains() { # expect_contains WHAT HAYSTACK NEEDLE
	case "$2" in
	*"$3"*) ok "$1 contains '$3'" ;;
	*) fail "$1: '$2' does not contain '$3'" ;;
	esac
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Starts a throwaway PostgreSQL in $T/NAME; exports MIDPKI_TEST_DATABASE_URL.
start_pg() {
	local dir="$T/$1"
	mkdir -p "$dir"
	pg_start "$dir" || fail "PostgreSQL did not start"
	PG_DIRS="$PG_DIRS $dir"
}

# new_instance NAME: state dir $T/NAME, free ports; sets ADMIN_PORT etc. and I_ENV
new_instance() {
	I_NAME=$1
	I_STATE="$T/$1"
	# five different ports: free_port may hand out the same free port twice
	local ports=""
	while [ "$(echo $ports | wc -w)" -lt 5 ]; do
		ports=$(for i in 1 2 3 4 5; do free_port; done | sort -u | tr '\n' ' ')
	done
	set -- $ports
	ADMIN_PORT=$1; EST_PORT=$2; OCSP_PORT=$3; LORAWAN_PORT=$4; FDO_PORT=$5
	I_ENV="MIDPKI_STATE_DIR=$I_STATE MIDPKI_ADMIN_LISTEN=127.0.0.1:$ADMIN_PORT
MIDPKI_EST_LISTEN=127.0.0.1:$EST_PORT MIDPKI_OCSP_LISTEN=127.0.0.1:$OCSP_PORT
MIDPKI_OCSP_PUBLIC_URL=http://127.0.0.1:$OCSP_PORT
MIDPKI_LORAWAN_LISTEN=127.0.0.1:$LORAWAN_PORT MIDPKI_FDO_LISTEN=127.0.0.1:$FDO_PORT
MIDPKI_HTTP_WORKERS=2"
}

# start_instance [extra VAR=value...]: runs midpki serve for the current
# instance in the background and waits until /healthz answers; sets I_PID.
start_instance() {
	local i
	env $I_ENV "$@" "$MIDPKI_BIN" serve >>"$T/$I_NAME.log" 2>&1 &
	I_PID=$!
	MIDPKI_PIDS="$MIDPKI_PIDS $I_PID"
	for i in $(seq 1 600); do
		if [ -f "$I_STATE/trust.pem" ] &&
		   curl -sf --cacert "$I_STATE/trust.pem" "https://127.0.0.1:$ADMIN_PORT/healthz" \
			>/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$I_PID" 2>/dev/null || fail "midpki serve exited during start-up"
		sleep 0.1
	done
	fail "midpki serve did not answer /healthz within 60 s"
}

# stop_instance: SIGTERM, wait, and check the exit code is 0
stop_instance() {
	local rc
	kill -TERM "$I_PID"
	wait "$I_PID"
	rc=$?
	MIDPKI_PIDS=$(echo "$MIDPKI_PIDS" | sed "s/ $I_PID\b//")
	expect_eq "midpki serve exit code after SIGTERM" "$rc" 0
}

# admin_curl PATH [curl args...]: HTTPS to the admin listener, verified with trust.pem
admin_curl() {
	local path=$1; shift
	curl -sS --cacert "$I_STATE/trust.pem" "$@" "https://127.0.0.1:$ADMIN_PORT$path"
}

# http_status PATH [curl args...]: just the status code
http_status() {
	local path=$1; shift
	admin_curl "$path" -o /dev/null -w '%{http_code}' "$@"
}

# fdo_post TYPE CONTENT-TYPE BODY-HEX: status and Message-Type of one FDO message
fdo_post() {
	printf '%s' "$3" | xxd -r -p >"$T/msg.bin"
	curl -sS -o "$T/answer.bin" -D "$T/answer.h" -w '%{http_code}' -X POST \
		-H "Content-Type: $2" --data-binary @"$T/msg.bin" "http://127.0.0.1:$FDO_PORT/fdo/101/msg/$1"
	echo " $(grep -i '^Message-Type:' "$T/answer.h" | tr -d '\r' | cut -d' ' -f2)"
}
