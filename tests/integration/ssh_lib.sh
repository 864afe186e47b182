# Helpers for tests with a throwaway OpenSSH server; source after lib.sh.
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || fail "$SSHD missing (openssh-server, scripts/install-deps.sh)"
# sshd checks its privilege separation directory even when it does not use it
if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then mkdir -m 0755 /run/sshd; fi

# sshd_start CONFIG LOG PORT: sshd in the foreground with CONFIG, its log in LOG, until PORT answers
sshd_start() {
	local i
	"$SSHD" -t -f "$1" || fail "sshd refuses its configuration"
	"$SSHD" -D -e -f "$1" 2>"$2" &
	MIDPKI_PIDS="$MIDPKI_PIDS $!"
	for i in $(seq 1 50); do
		python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$3" 2>/dev/null && return
		sleep 0.1
	done
	fail "sshd did not listen on port $3"
}
