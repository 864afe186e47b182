/* The database layer and the migrations runner against a throwaway PostgreSQL (with-pg.sh). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "db.h"
#include "err.h"
#include "migrate.h"
#include "pg_harness.h"

static char *
scalar(mp_db *db, const char *sql)
{
	PGresult *res = NULL;
	char *v;

	ck_assert_int_eq(mp_db_query_row(db, sql, 0, NULL, &res), MP_OK);
	v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

START_TEST(connect_sets_session)
{
	mp_db *db = pg_connect(pg_url());
	char *v;

	v = scalar(db, "SELECT current_setting('TimeZone') || ',' ||"
	    " current_setting('application_name') || ',' || current_setting('client_encoding')");
	ck_assert_str_eq(v, "UTC,midpki,UTF8");
	free(v);
	ck_assert_int_eq(mp_db_ping(db), MP_OK);
	mp_db_close(db);
	mp_db_close(NULL);
}
END_TEST

START_TEST(connect_failure)
{
	char err[256], info[600];
	mp_db *db = NULL;

	snprintf(info, sizeof(info), "%s dbname=does_not_exist password=hunter2", pg_url());
	ck_assert_int_eq(mp_db_connect(info, 2000, &db, err, sizeof(err)), MP_ERR_DB_UNAVAILABLE);
	ck_assert_ptr_null(db);
	ck_assert_ptr_nonnull(strstr(err, "does_not_exist"));
	ck_assert_ptr_null(strstr(err, "hunter2"));
	ck_assert_int_eq(mp_db_connect("host=/nonexistent/socket", 1000, &db, err, sizeof(err)),
	    MP_ERR_DB_UNAVAILABLE);
	ck_assert_ptr_null(db);
	ck_assert_uint_gt(strlen(err), 0);
	ck_assert_int_eq(mp_db_connect("host=/x password=hunter2 oops", 1000, &db, err,
	    sizeof(err)), MP_ERR_CONFIG);
	ck_assert_ptr_null(db);
	ck_assert_str_eq(err, "the database connection string is malformed");
	ck_assert_int_eq(mp_db_connect("host=/nonexistent/hunter2 password=hunter2", 1000, &db,
	    err, sizeof(err)), MP_ERR_DB_UNAVAILABLE);
	ck_assert_ptr_null(strstr(err, "hunter2"));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/*******"));
}
END_TEST

START_TEST(error_mapping)
{
	atomic_uint_fast64_t errors = 0;
	mp_db *db = pg_connect(pg_url());
	const char *one[1] = { "x" };
	PGresult *res = NULL;

	mp_db_set_error_counter(db, &errors);
	ck_assert_int_eq(mp_db_exec(db, "DROP TABLE IF EXISTS t_map; DROP TABLE IF EXISTS t_parent;"
	    "CREATE TABLE t_parent (id int PRIMARY KEY);"
	    "CREATE TABLE t_map (k text UNIQUE, n int CHECK (n > 0), p int REFERENCES t_parent)"),
	    MP_OK);
	ck_assert_int_eq(mp_db_query(db, "INSERT INTO t_map (k) VALUES ($1)", 1, one, NULL), MP_OK);
	ck_assert_int_eq(mp_db_query(db, "INSERT INTO t_map (k) VALUES ($1)", 1, one, NULL),
	    MP_ERR_CONFLICT);
	ck_assert_str_eq(mp_db_sqlstate(db), "23505");
	ck_assert_str_eq(mp_db_constraint(db), "t_map_k_key");
	ck_assert_ptr_nonnull(strstr(mp_db_errmsg(db), "duplicate key"));
	ck_assert_int_eq(mp_db_exec(db, "INSERT INTO t_map (n) VALUES (0)"), MP_ERR_INVALID);
	ck_assert_str_eq(mp_db_sqlstate(db), "23514");
	ck_assert_int_eq(mp_db_exec(db, "INSERT INTO t_map (p) VALUES (42)"), MP_ERR_INVALID);
	ck_assert_str_eq(mp_db_sqlstate(db), "23503");
	ck_assert_int_eq(mp_db_query(db, "SELECT $1::uuid", 1, one, NULL), MP_ERR_INVALID);
	ck_assert_int_eq(mp_db_exec(db, "SELECT * FROM no_such_table"), MP_ERR_DB);
	ck_assert_str_eq(mp_db_sqlstate(db), "42P01");
	ck_assert_uint_eq(atomic_load(&errors), 5);
	/* NULL parameter is SQL NULL; a success clears the last error */
	one[0] = NULL;
	ck_assert_int_eq(mp_db_query_row(db, "SELECT $1::text IS NULL", 1, one, &res), MP_OK);
	ck_assert_str_eq(PQgetvalue(res, 0, 0), "t");
	ck_assert_ptr_null(mp_db_value(res, 0, 1));
	PQclear(res);
	ck_assert_str_eq(mp_db_errmsg(db), "");
	ck_assert_int_eq(mp_db_query_row(db, "SELECT 1 WHERE false", 0, NULL, &res),
	    MP_ERR_NOT_FOUND);
	mp_db_close(db);
}
END_TEST

START_TEST(bytea_params)
{
	static const uint8_t raw[4] = { 0x00, 0xff, 0x10, 0x5c };
	mp_db *db = pg_connect(pg_url());
	char *hex = NULL;
	const char *p[1];
	int len[1] = { sizeof(raw) }, fmt[1] = { 1 };
	PGresult *res = NULL;

	ck_assert_int_eq(mp_db_bytea_param(raw, sizeof(raw), &hex), MP_OK);
	ck_assert_str_eq(hex, "\\x00ff105c");
	p[0] = hex;
	ck_assert_int_eq(mp_db_query_row(db, "SELECT encode($1::bytea, 'hex')", 1, p, &res), MP_OK);
	ck_assert_str_eq(PQgetvalue(res, 0, 0), "00ff105c");
	PQclear(res);
	p[0] = (const char *)raw;
	ck_assert_int_eq(mp_db_query_ex(db, "SELECT encode($1::bytea, 'hex')", 1, p, len, fmt,
	    &res), MP_OK);
	ck_assert_str_eq(PQgetvalue(res, 0, 0), "00ff105c");
	PQclear(res);
	free(hex);
	mp_db_close(db);
}
END_TEST

struct txn_arg {
	int calls;
	int fail_with;
};

static int
insert_then(mp_db *db, void *arg)
{
	struct txn_arg *a = arg;
	int r;

	a->calls++;
	if ((r = mp_db_exec(db, "INSERT INTO t_txn VALUES (1)")) != MP_OK)
		return r;
	return a->fail_with;
}

/* Fails with a serialization failure on the first two calls. */
static int
flaky(mp_db *db, void *arg)
{
	struct txn_arg *a = arg;

	a->calls++;
	if (a->calls <= 2)
		return mp_db_exec(db, "DO $$ BEGIN RAISE EXCEPTION 'try again'"
		    " USING ERRCODE = 'serialization_failure'; END $$");
	return mp_db_exec(db, "INSERT INTO t_txn VALUES (2)");
}

static int
ignores_error(mp_db *db, void *arg)
{
	(void)arg;
	(void)mp_db_exec(db, "SELECT * FROM no_such_table");
	return MP_OK;
}

static int
nested(mp_db *db, void *arg)
{
	struct txn_arg inner = { 0, MP_OK };

	(void)arg;
	return mp_db_txn(db, insert_then, &inner);
}

START_TEST(transactions)
{
	mp_db *db = pg_connect(pg_url());
	struct txn_arg a = { 0, MP_OK };
	char *v;

	ck_assert_int_eq(mp_db_exec(db, "DROP TABLE IF EXISTS t_txn; CREATE TABLE t_txn (n int)"),
	    MP_OK);
	ck_assert_int_eq(mp_db_txn(db, insert_then, &a), MP_OK);
	a.fail_with = MP_ERR_POLICY;
	ck_assert_int_eq(mp_db_txn(db, insert_then, &a), MP_ERR_POLICY);
	v = scalar(db, "SELECT count(*) FROM t_txn");
	ck_assert_str_eq(v, "1");
	free(v);

	a.calls = 0;
	ck_assert_int_eq(mp_db_txn(db, flaky, &a), MP_OK);
	ck_assert_int_eq(a.calls, 3);
	v = scalar(db, "SELECT count(*) FROM t_txn WHERE n = 2");
	ck_assert_str_eq(v, "1");
	free(v);

	ck_assert_int_eq(mp_db_txn(db, ignores_error, NULL), MP_ERR_INTERNAL);
	ck_assert_int_eq(mp_db_txn(db, nested, NULL), MP_OK);
	v = scalar(db, "SELECT count(*) FROM t_txn");
	ck_assert_str_eq(v, "3");
	free(v);
	mp_db_close(db);
}
END_TEST

/*
 * A lost connection fails the statement with MP_ERR_DB_UNAVAILABLE and the next
 * call reconnects; mp_db_ping repeats its SELECT 1 once and so succeeds at once.
 */
START_TEST(reconnect)
{
	atomic_uint_fast64_t errors = 0;
	mp_db *db = pg_connect(pg_url()), *killer = pg_connect(pg_url());
	char *pid = scalar(db, "SELECT pg_backend_pid()"), *pid2, *tz;
	const char *p[1] = { pid };

	mp_db_set_error_counter(db, &errors);
	ck_assert_int_eq(mp_db_query(killer, "SELECT pg_terminate_backend($1::int)", 1, p, NULL),
	    MP_OK);
	ck_assert_int_eq(mp_db_query(db, "SELECT 1", 0, NULL, NULL), MP_ERR_DB_UNAVAILABLE);
	ck_assert_uint_eq(atomic_load(&errors), 1);
	ck_assert_uint_gt(strlen(mp_db_errmsg(db)), 0);
	ck_assert_int_eq(mp_db_query(db, "SELECT 1", 0, NULL, NULL), MP_OK);
	pid2 = scalar(db, "SELECT pg_backend_pid()");
	ck_assert_str_ne(pid, pid2);
	tz = scalar(db, "SELECT current_setting('TimeZone')");
	ck_assert_str_eq(tz, "UTC");
	free(tz);
	ck_assert_int_eq(mp_db_query(killer, "SELECT pg_terminate_backend($1::int)", 1,
			     (const char *const *)&pid2, NULL), MP_OK);
	ck_assert_int_eq(mp_db_ping(db), MP_OK);
	ck_assert_uint_eq(atomic_load(&errors), 2);
	free(pid);
	free(pid2);
	mp_db_close(killer);
	mp_db_close(db);
}
END_TEST

struct lose_arg {
	mp_db *killer;
	int first, second;
};

/* Loses its connection mid-transaction, then carries on regardless. */
static int
lose_connection(mp_db *db, void *arg)
{
	struct lose_arg *a = arg;
	PGresult *res = NULL;
	const char *p[1];

	if (mp_db_query_row(db, "SELECT pg_backend_pid()::text", 0, NULL, &res) != MP_OK)
		return MP_ERR_INTERNAL;
	p[0] = PQgetvalue(res, 0, 0);
	ck_assert_int_eq(mp_db_query(a->killer, "SELECT pg_terminate_backend($1::int)", 1, p, NULL),
	    MP_OK);
	PQclear(res);
	a->first = mp_db_exec(db, "INSERT INTO t_lost VALUES (1)");
	a->second = mp_db_exec(db, "INSERT INTO t_lost VALUES (2)");
	return MP_OK;
}

/* No statement of a transaction whose connection was lost runs on a new connection. */
START_TEST(connection_lost_in_transaction)
{
	mp_db *db = pg_connect(pg_url());
	struct lose_arg a = { pg_connect(pg_url()), 0, 0 };
	char *v;

	ck_assert_int_eq(mp_db_exec(db, "DROP TABLE IF EXISTS t_lost; CREATE TABLE t_lost (n int)"),
	    MP_OK);
	ck_assert_int_eq(mp_db_txn(db, lose_connection, &a), MP_ERR_DB_UNAVAILABLE);
	ck_assert_int_eq(a.first, MP_ERR_DB_UNAVAILABLE);
	ck_assert_int_eq(a.second, MP_ERR_DB_UNAVAILABLE);
	v = scalar(db, "SELECT count(*) FROM t_lost");
	ck_assert_str_eq(v, "0");
	free(v);
	mp_db_close(a.killer);
	mp_db_close(db);
}
END_TEST

START_TEST(migrate_twice)
{
	mp_db *db = pg_connect(pg_fresh_database("m_twice"));
	unsigned applied = 99;
	char err[256], *v;

	ck_assert_msg(mp_db_migrate(db, &applied, err, sizeof(err)) == MP_OK, "%s", err);
	ck_assert_uint_eq(applied, mp_migrations_count);
	ck_assert_msg(mp_db_migrate(db, &applied, err, sizeof(err)) == MP_OK, "%s", err);
	ck_assert_uint_eq(applied, 0);
	v = scalar(db, "SELECT string_agg(number || ':' || name, ',' ORDER BY number)"
	    " FROM schema_migrations");
	/* every embedded migration recorded once, in order, under its name */
	{
		char want[4096] = "";
		size_t off = 0;

		for (unsigned i = 0; i < mp_migrations_count; i++)
			off += (size_t)snprintf(want + off, sizeof(want) - off, "%s%u:%s",
			    i ? "," : "", mp_migrations[i].number, mp_migrations[i].name);
		ck_assert_str_eq(v, want);
		ck_assert_str_eq(mp_migrations[0].name, "0001_engine");
	}
	free(v);
	/* the advisory lock was released */
	v = scalar(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'");
	ck_assert_str_eq(v, "0");
	free(v);
	mp_db_close(db);
}
END_TEST

START_TEST(migrate_newer_schema)
{
	mp_db *db = pg_connect(pg_fresh_database("m_newer"));
	unsigned applied = 99;
	char err[256];

	ck_assert_int_eq(mp_db_migrate(db, &applied, err, sizeof(err)), MP_OK);
	ck_assert_int_eq(mp_db_exec(db, "INSERT INTO schema_migrations (number, name)"
	    " VALUES (9999, '9999_future')"), MP_OK);
	applied = 99;
	ck_assert_int_eq(mp_db_migrate(db, &applied, err, sizeof(err)), MP_ERR_CONFLICT);
	ck_assert_uint_eq(applied, 99);
	ck_assert_ptr_nonnull(strstr(err, "database schema is newer than this midpki"));
	mp_db_close(db);
}
END_TEST

struct migrate_thread {
	const char *conninfo;
	int r;
	unsigned applied;
};

static void *
migrate_thread(void *arg)
{
	struct migrate_thread *t = arg;
	char err[256];
	mp_db *db = NULL;

	t->r = mp_db_connect(t->conninfo, 5000, &db, err, sizeof(err));
	if (t->r == MP_OK)
		t->r = mp_db_migrate(db, &t->applied, err, sizeof(err));
	mp_db_close(db);
	return NULL;
}

START_TEST(migrate_concurrently)
{
	enum { N = 4 };
	struct migrate_thread t[N];
	pthread_t th[N];
	const char *info = pg_fresh_database("m_race");
	unsigned total = 0;
	mp_db *db;
	char *v, want[16];
	int i;

	for (i = 0; i < N; i++) {
		t[i].conninfo = info;
		t[i].r = MP_ERR_INTERNAL;
		t[i].applied = 99;
		ck_assert_int_eq(pthread_create(&th[i], NULL, migrate_thread, &t[i]), 0);
	}
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_int_eq(t[i].r, MP_OK);
		total += t[i].applied;
	}
	ck_assert_uint_eq(total, mp_migrations_count);
	db = pg_connect(info);
	v = scalar(db, "SELECT count(*) FROM schema_migrations");
	snprintf(want, sizeof(want), "%u", mp_migrations_count);
	ck_assert_str_eq(v, want);
	free(v);
	mp_db_close(db);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("db");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, connect_sets_session);
	tcase_add_test(tc, connect_failure);
	tcase_add_test(tc, error_mapping);
	tcase_add_test(tc, bytea_params);
	tcase_add_test(tc, transactions);
	tcase_add_test(tc, reconnect);
	tcase_add_test(tc, connection_lost_in_transaction);
	tcase_add_test(tc, migrate_twice);
	tcase_add_test(tc, migrate_newer_schema);
	tcase_add_test(tc, migrate_concurrently);
	suite_add_tcase(s, tc);
	return s;
}
