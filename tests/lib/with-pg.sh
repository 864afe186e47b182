#!/bin/bash
# Runs a command against a throwaway PostgreSQL cluster:
#   with-pg.sh PROGRAM [ARGS...]
# The cluster lives in a temporary directory and is removed afterwards;
# MIDPKI_TEST_DATABASE_URL tells the program where it is.
set -u
. "$(dirname "$0")/pg.sh"
tmp=$(mktemp -d /tmp/midpki-pg.XXXXXX)
cleanup() { pg_stop "$tmp"; rm -rf "$tmp"; }
trap cleanup EXIT
pg_start "$tmp" || exit 1
"$@"
