#include "migrate.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "num.h"

/* Session advisory lock key ("midpi" 0x000001) that serializes migration runs. */
#define LOCK_SQL "SELECT pg_advisory_lock(7883943056649486337)"
#define UNLOCK_SQL "SELECT pg_advisory_unlock(7883943056649486337)"

static const char create_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " number int PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

/* The number that sql (one row, one column; $1 is param when not NULL) returns. */
static int
recorded_number(mp_db *db, const char *sql, const char *param, uint64_t *out)
{
	PGresult *res = NULL;
	const char *v;
	uint64_t n = 0;
	int r;

	r = mp_db_query_row(db, sql, param != NULL ? 1 : 0, param != NULL ? &param : NULL, &res);
	if (r != MP_OK)
		goto out;
	if ((v = mp_db_value(res, 0, 0)) == NULL || (r = mp_parse_u64(v, UINT32_MAX, &n)) != MP_OK) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	*out = n;
	r = MP_OK;
out:
	PQclear(res);
	return r;
}

/* The highest migration number recorded in the database, 0 for none. */
static int
current_version(mp_db *db, uint64_t *out)
{
	return recorded_number(db, "SELECT coalesce(max(number), 0) FROM schema_migrations", NULL,
	    out);
}

/* Whether migration number m is recorded. */
static int
is_applied(mp_db *db, unsigned m, bool *out)
{
	char num[16];
	uint64_t n = 0;
	int r;

	snprintf(num, sizeof(num), "%u", m);
	if ((r = recorded_number(db, "SELECT count(*) FROM schema_migrations WHERE number = $1",
	    num, &n)) != MP_OK)
		return r;
	*out = n > 0;
	return MP_OK;
}

static int
apply_txn(mp_db *db, void *arg)
{
	const struct mp_migration *m = arg;
	char num[16];
	const char *params[2];
	int r;

	snprintf(num, sizeof(num), "%u", m->number);
	params[0] = num;
	params[1] = m->name;
	if ((r = mp_db_exec(db, m->sql)) != MP_OK)
		return r;
	return mp_db_query(db, "INSERT INTO schema_migrations (number, name) VALUES ($1, $2)", 2,
	    params, NULL);
}

unsigned
mp_migrations_latest(void)
{
	return mp_migrations_count > 0 ? mp_migrations[mp_migrations_count - 1].number : 0;
}

int
mp_db_migrate(mp_db *db, unsigned *applied, char *err, size_t errsz)
{
	uint64_t version = 0;
	unsigned i, n = 0, last;
	bool locked = false, done;
	int r;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if ((r = mp_db_exec(db, LOCK_SQL)) != MP_OK)
		goto fail;
	locked = true;
	if ((r = mp_db_exec(db, create_sql)) != MP_OK || (r = current_version(db, &version)) != MP_OK)
		goto fail;
	last = mp_migrations_count > 0 ? mp_migrations[mp_migrations_count - 1].number : 0;
	if (version > last) {
		r = MP_ERR_CONFLICT;
		if (err != NULL)
			snprintf(err, errsz, "database schema is newer than this midpki (database has "
			    "migration %" PRIu64 ", this midpki knows up to %u)", version, last);
		goto out;
	}
	/* by number, each one not recorded yet: numbers may have gaps (see embed_migrations.py) */
	for (i = 0; i < mp_migrations_count; i++) {
		if ((r = is_applied(db, mp_migrations[i].number, &done)) != MP_OK)
			goto fail;
		if (done)
			continue;
		if ((r = mp_db_txn(db, apply_txn, (void *)&mp_migrations[i])) != MP_OK) {
			if (err != NULL)
				snprintf(err, errsz, "migration %s failed: %s", mp_migrations[i].name,
				    mp_db_errmsg(db));
			goto out;
		}
		n++;
	}
	if (applied != NULL)
		*applied = n;
	r = MP_OK;
	goto out;
fail:
	if (err != NULL)
		snprintf(err, errsz, "migrations: %s", mp_db_errmsg(db));
out:
	if (locked)
		mp_db_exec(db, UNLOCK_SQL);
	return r;
}
