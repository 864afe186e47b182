#!/bin/sh
# Installs the Debian 12 packages that building, running and testing MIDPKI need,
# only those missing, then the npm packages the tests use as peers
# (scripts/install-test-peers.sh). Safe to run again; does nothing when all are present.
set -eu

PACKAGES="gcc pkg-config meson ninja-build python3 libssl-dev libevent-dev libpq-dev
libjansson-dev check postgresql-15 openssl curl ca-certificates procps
clang libclang-rt-14-dev wrk nginx-light softhsm2 libp11-kit-dev libcbor-dev nodejs
openssh-client openssh-server strongswan-pki libstrongswan-extra-plugins python3-cryptography"

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
# Debian's nodejs comes without npm; a nodejs that bundles npm needs no other package
command -v npm >/dev/null 2>&1 || missing="$missing npm"
peers="$(dirname "$0")/install-test-peers.sh"
[ -z "$missing" ] && exec sh "$peers"

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing Debian packages:$missing" >&2
	echo "install-deps: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# no PostgreSQL cluster of the distribution's own: MIDPKI runs its own
mkdir -p /etc/postgresql-common
if [ ! -f /etc/postgresql-common/createcluster.conf ]; then
	echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
exec sh "$peers"
