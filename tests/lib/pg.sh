# Throwaway PostgreSQL clusters for tests. Source this file, then:
#   pg_start DIR     initdb (first time) and start a cluster in DIR, unix socket only;
#                    exports PGHOST, PGUSER, PGDATABASE and MIDPKI_TEST_DATABASE_URL
#   pg_stop DIR      fast shutdown
# As root the cluster runs as the 'postgres' user, as PostgreSQL requires.
# fsync is off (tests need no durability) unless MIDPKI_TEST_PG_FSYNC=on, as
# benchmarks of committed work set.

pg_bindir() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return 0; }
	echo "pg.sh: PostgreSQL server binaries not found (Debian package postgresql-15)" >&2
	return 1
}

pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	local dir=$1 bin
	bin=$(pg_bindir) || return 1
	mkdir -p "$dir/sock"
	chmod 755 "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir" "$dir/sock"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		pg_as_owner "$bin/initdb" -D "$dir/data" -U midpki --auth=trust -E UTF8 \
			--no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
	fi
	pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-k $dir/sock -c listen_addresses='' -c fsync=${MIDPKI_TEST_PG_FSYNC:-off} -c max_connections=200" \
		start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
	export PGHOST="$dir/sock" PGUSER=midpki PGDATABASE=postgres
	export MIDPKI_TEST_DATABASE_URL="host=$dir/sock user=midpki dbname=postgres"
}

pg_stop() {
	local dir=$1 bin
	bin=$(pg_bindir) || return 1
	[ -f "$dir/data/postmaster.pid" ] || return 0
	pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}
