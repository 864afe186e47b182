/* Group commit (mp_db_batch) against a throwaway PostgreSQL (with-pg.sh). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "dbbatch.h"
#include "err.h"
#include "pg_harness.h"

/*
 * Rows {"k": text, "v": int}: inserted unless v is negative (left out); a
 * k seen before violates the primary key. Returns each row's position and k.
 */
static const char insert_sql[] =
    "WITH r AS (SELECT o.n, x.k, x.v FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY"
    " AS o(e, n), jsonb_to_record(o.e) AS x(k text, v int)),"
    " i AS (INSERT INTO batch_t (k, v) SELECT k, v FROM r WHERE v >= 0 RETURNING k)"
    " SELECT r.n, r.k FROM r JOIN i ON i.k = r.k";

static const char *db_url;

static mp_db *
fresh(void)
{
	mp_db *db;

	db_url = pg_fresh_database("midpki_dbbatch");
	db = pg_connect(db_url);
	ck_assert_int_eq(mp_db_exec(db, "CREATE TABLE batch_t (k text PRIMARY KEY, v int)"), MP_OK);
	return db;
}

static int
one(mp_db *db, mp_db_batch *b, const char *k, int v, char **result)
{
	json_t *row = json_pack("{s:s, s:i}", "k", k, "v", v);
	int r;

	ck_assert_ptr_nonnull(row);
	r = b != NULL ? mp_db_batch_run(b, db, row, result) :
	    mp_db_batch_one(db, insert_sql, row, result);
	json_decref(row);
	return r;
}

START_TEST(alone)
{
	mp_db *db = fresh();
	char *res = NULL;

	ck_assert_int_eq(one(db, NULL, "a", 1, &res), MP_OK);
	ck_assert_str_eq(res, "a");
	free(res);
	/* left out by the statement's condition */
	ck_assert_int_eq(one(db, NULL, "b", -1, &res), MP_ERR_CONFLICT);
	/* the database's own error */
	ck_assert_int_eq(one(db, NULL, "a", 2, &res), MP_ERR_CONFLICT);
	ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM batch_t", 0, NULL), 1);
	mp_db_close(db);
}
END_TEST

#define THREADS 8
#define PER_THREAD 200

struct worker {
	mp_db_batch *b;
	int id;
	int ok, refused, dup;
};

/*
 * Each thread inserts its own keys: every 10th refused by the statement, four
 * duplicates of its first key that fail (and so fail their whole batch).
 */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	mp_db *db = pg_connect(db_url);

	for (int i = 0; i < PER_THREAD; i++) {
		char k[32], *res = NULL;
		int dup = i % 50 == 48, v = i % 10 == 9 ? -1 : i, r;

		snprintf(k, sizeof(k), "t%d-%d", w->id, dup ? 0 : i);
		r = one(db, w->b, k, v, &res);
		if (r == MP_OK) {
			ck_assert_str_eq(res, k);
			w->ok++;
		} else if (dup) {
			ck_assert_int_eq(r, MP_ERR_CONFLICT);
			w->dup++;
		} else {
			ck_assert_int_eq(r, MP_ERR_CONFLICT);
			ck_assert_int_eq(v, -1);
			w->refused++;
		}
		free(res);
	}
	mp_db_close(db);
	return NULL;
}

START_TEST(concurrent_rows_keep_their_own_outcome)
{
	mp_db *db = fresh();
	mp_db_batch *b = mp_db_batch_new(insert_sql, 16);
	struct worker w[THREADS];
	pthread_t th[THREADS];
	int ok = 0;

	ck_assert_ptr_nonnull(b);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ b, i, 0, 0, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].refused, 20);
		ck_assert_int_eq(w[i].dup, 4);
		ck_assert_int_eq(w[i].ok, PER_THREAD - 24);
		ok += w[i].ok;
	}
	ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM batch_t", 0, NULL),
	    (uint64_t)ok);
	mp_db_batch_free(b);
	mp_db_batch_free(NULL);
	mp_db_close(db);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("dbbatch");
	TCase *tc = tcase_create("dbbatch");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, alone);
	tcase_add_test(tc, concurrent_rows_keep_their_own_outcome);
	suite_add_tcase(s, tc);
	return s;
}
