#!/bin/bash
# A private SoftHSM2 token for tests, in a directory of its own (never the
# system's /var/lib/softhsm). Either source this file and call
#   softhsm_start DIR   writes DIR/softhsm2.conf and DIR/tokens, initializes the
#                       token "midpki-test" (user PIN 1234, SO PIN 5678) and exports
#                       SOFTHSM2_CONF, MIDPKI_TEST_PKCS11_MODULE,
#                       MIDPKI_TEST_PKCS11_SLOT and MIDPKI_TEST_PKCS11_PIN_FILE
# or run it as a wrapper around a command, with a temporary directory:
#   softhsm.sh PROGRAM [ARGS...]

SOFTHSM_MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}

softhsm_start() {
	local dir=$1 slot
	if [ ! -f "$SOFTHSM_MODULE" ] || ! command -v softhsm2-util >/dev/null; then
		echo "softhsm.sh: SoftHSM2 is not installed (Debian package softhsm2;" \
			"scripts/install-deps.sh installs it)" >&2
		return 1
	fi
	mkdir -p "$dir/tokens" || return 1
	cat >"$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
	export SOFTHSM2_CONF="$dir/softhsm2.conf"
	softhsm2-util --init-token --free --label midpki-test --pin 1234 --so-pin 5678 \
		>"$dir/init.log" 2>&1 || { cat "$dir/init.log" >&2; return 1; }
	# the slot whose token carries our label
	slot=$(softhsm2-util --show-slots | awk '
		/^Slot [0-9]+$/ { slot = $2 }
		$1 == "Label:" && $2 == "midpki-test" { print slot; exit }')
	if [ -z "$slot" ]; then
		echo "softhsm.sh: token midpki-test not found in softhsm2-util --show-slots" >&2
		return 1
	fi
	printf '1234\n' >"$dir/pin"
	chmod 600 "$dir/pin"
	export MIDPKI_TEST_PKCS11_MODULE="$SOFTHSM_MODULE"
	export MIDPKI_TEST_PKCS11_SLOT="$slot"
	export MIDPKI_TEST_PKCS11_PIN_FILE="$dir/pin"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	[ $# -ge 1 ] || { echo "usage: softhsm.sh PROGRAM [ARGS...]" >&2; exit 2; }
	tmp=$(mktemp -d /tmp/midpki-softhsm.XXXXXX)
	trap 'rm -rf "$tmp"' EXIT
	softhsm_start "$tmp" || exit 1
	"$@"
fi
