#include "pg_harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "migrate.h"
#include "num.h"

const char *
pg_url(void)
{
	const char *u = getenv("MIDPKI_TEST_DATABASE_URL");

	ck_assert_ptr_nonnull(u);
	return u;
}

mp_db *
pg_connect(const char *conninfo)
{
	char err[256];
	mp_db *db = NULL;

	ck_assert_msg(mp_db_connect(conninfo, 5000, &db, err, sizeof(err)) == MP_OK, "%s", err);
	return db;
}

mp_db *
pg_connect_migrated(const char *conninfo)
{
	char err[256];
	mp_db *db = pg_connect(conninfo);

	ck_assert_msg(mp_db_migrate(db, NULL, err, sizeof(err)) == MP_OK, "%s", err);
	return db;
}

const char *
pg_fresh_database(const char *name)
{
	static char info[512];
	char sql[128];
	mp_db *db = pg_connect(pg_url());

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
	ck_assert_int_eq(mp_db_exec(db, sql), MP_OK);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	ck_assert_int_eq(mp_db_exec(db, sql), MP_OK);
	mp_db_close(db);
	snprintf(info, sizeof(info), "%s dbname=%s", pg_url(), name);
	return info;
}

uint64_t
pg_scalar_u64(mp_db *db, const char *sql, int nparams, const char *const *params)
{
	PGresult *res = NULL;
	uint64_t v = 0;

	ck_assert_int_eq(mp_db_query_row(db, sql, nparams, params, &res), MP_OK);
	ck_assert_int_eq(mp_parse_u64(PQgetvalue(res, 0, 0), UINT64_MAX, &v), MP_OK);
	PQclear(res);
	return v;
}
