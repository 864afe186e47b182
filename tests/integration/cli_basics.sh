#!/bin/bash
# The command line: help, version, and configuration errors that stop start-up
# with exit code 2 and a message naming the file, line and key.
. "$(dirname "$0")/lib.sh"

out=$("$MIDPKI_BIN" --help); rc=$?
expect_eq "midpki --help exit" "$rc" 0
expect_contains "midpki --help" "$out" "serve"
out=$("$MIDPKI_BIN" serve --help); rc=$?
expect_eq "midpki serve --help exit" "$rc" 0
expect_contains "serve --help" "$out" "usage: midpki serve [--config FILE] [--state-dir DIR]"
out=$("$MIDPKI_BIN" version)
expect_contains "midpki version" "$out" "midpki 0."
"$MIDPKI_BIN" frobnicate 2>/dev/null; expect_eq "unknown command exit" "$?" 2

# every key documented in the example configuration, and the example is what the binary prints
"$MIDPKI_BIN" config defaults >"$T/defaults.conf"
cmp -s "$T/defaults.conf" "$MIDPKI_SOURCE_DIR/deploy/midpki.conf.example" ||
	fail "deploy/midpki.conf.example differs from 'midpki config defaults'"
ok "deploy/midpki.conf.example is current"
# the defaults file loads as a configuration, unchanged
MIDPKI_STATE_DIR="$T/none" "$MIDPKI_BIN" serve --config "$T/defaults.conf" --help >/dev/null ||
	fail "defaults file rejected"

check_bad_config() { # check_bad_config CONTENT EXPECTED-MESSAGE
	printf '%b' "$1" >"$T/bad.conf"
	err=$("$MIDPKI_BIN" serve --config "$T/bad.conf" --state-dir "$T/state" 2>&1 >/dev/null)
	rc=$?
	expect_eq "exit code for bad config ($2)" "$rc" 2
	expect_contains "error message" "$err" "$T/bad.conf:$2"
}
check_bad_config '[admin]\nlisten = 127.0.0.1:9443\nlisen = 1\n' "3: unknown key 'lisen' in section [admin]"
check_bad_config '[http]\nmax_body_bytes = lots\n' "2: key 'max_body_bytes' in [http]: 'lots' is not a whole number"
check_bad_config '# c\n\n[nosuch]\n' "3: unknown section [nosuch]"
check_bad_config '[est]\nlisten = 127.0.0.1:99999\n' "2: key 'listen' in [est]: invalid listen address '127.0.0.1:99999'"

err=$(MIDPKI_OCSP_LISTEN=nowhere "$MIDPKI_BIN" serve --state-dir "$T/state" 2>&1 >/dev/null)
expect_eq "exit code for bad environment value" "$?" 2
expect_contains "env error" "$err" "environment variable MIDPKI_OCSP_LISTEN: key 'listen' in [ocsp]: invalid listen address 'nowhere'"
err=$("$MIDPKI_BIN" serve --config "$T/missing.conf" 2>&1 >/dev/null)
expect_eq "exit code for a missing config file" "$?" 2
expect_contains "missing file" "$err" "$T/missing.conf: cannot open configuration file"
[ ! -e "$T/state" ] || fail "a configuration error must stop before anything is created"
ok "nothing created on configuration error"
