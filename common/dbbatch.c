#include "dbbatch.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "num.h"

/* One caller's row, on the caller's stack while it waits on its own condition. */
struct entry {
	json_t *row;
	int rc;
	char *result;
	bool done;
	pthread_cond_t wake;
	struct entry *next;
};

struct mp_db_batch {
	const char *sql;
	size_t max_rows;
	pthread_mutex_t lock;
	struct entry *head, **tail;
	bool running;
};

mp_db_batch *
mp_db_batch_new(const char *sql, size_t max_rows)
{
	mp_db_batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->sql = sql;
	b->max_rows = max_rows > 0 ? max_rows : 1;
	b->tail = &b->head;
	if (pthread_mutex_init(&b->lock, NULL) != 0) {
		free(b);
		return NULL;
	}
	return b;
}

void
mp_db_batch_free(mp_db_batch *b)
{
	if (b == NULL)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/*
 * Runs sql for the n rows from first on db and sets each entry's rc and
 * result; returns the statement's own error (every rc then holds it).
 */
static int
run_rows(mp_db *db, const char *sql, struct entry *first, size_t n)
{
	json_t *rows = json_array();
	struct entry *e;
	PGresult *res = NULL;
	char *text = NULL;
	size_t i;
	int r = MP_ERR_NOMEM;

	for (e = first, i = 0; i < n; e = e->next, i++) {
		e->rc = MP_ERR_CONFLICT;
		e->result = NULL;
	}
	if (rows == NULL)
		goto out;
	for (e = first, i = 0; i < n; e = e->next, i++)
		if (json_array_append(rows, e->row) != 0)
			goto out;
	if ((text = json_dumps(rows, JSON_COMPACT)) == NULL)
		goto out;
	{
		const char *params[1] = { text };

		if ((r = mp_db_query(db, sql, 1, params, &res)) != MP_OK)
			goto out;
	}
	for (int k = 0; k < PQntuples(res); k++) {
		uint64_t pos;

		if (mp_parse_u64(mp_db_value(res, k, 0), n, &pos) != MP_OK || pos == 0)
			continue;
		for (e = first, i = 1; i < pos; i++)
			e = e->next;
		e->rc = MP_OK;
		if (!PQgetisnull(res, k, 1) && (e->result = strdup(mp_db_value(res, k, 1))) == NULL)
			e->rc = MP_ERR_NOMEM;
	}
	r = MP_OK;
out:
	if (r != MP_OK)
		for (e = first, i = 0; i < n; e = e->next, i++)
			e->rc = r;
	PQclear(res);
	free(text);
	json_decref(rows);
	return r;
}

/* Runs one batch; when it fails as a whole and holds several rows, each row alone. */
static void
run_batch(mp_db *db, const char *sql, struct entry *first, size_t n)
{
	struct entry *e, *next;

	if (run_rows(db, sql, first, n) == MP_OK || n == 1)
		return;
	for (e = first; n > 0; e = next, n--) {
		next = e->next;
		e->next = NULL;
		run_rows(db, sql, e, 1);
		e->next = next;
	}
}

/* The entry's rc, with its result handed to *result on success. */
static int
entry_outcome(struct entry *e, char **result)
{
	if (e->rc == MP_OK)
		*result = e->result;
	else
		free(e->result);
	return e->rc;
}

int
mp_db_batch_run(mp_db_batch *b, mp_db *db, json_t *row, char **result)
{
	struct entry me = { row, MP_ERR_INTERNAL, NULL, false, PTHREAD_COND_INITIALIZER, NULL };
	struct entry *first, *last, *e, *next;
	size_t n;

	pthread_mutex_lock(&b->lock);
	*b->tail = &me;
	b->tail = &me.next;
	/* wait until done, or until no batch runs and this row is first in line */
	while (!me.done && (b->running || b->head != &me))
		pthread_cond_wait(&me.wake, &b->lock);
	if (!me.done) {
		/* this thread's turn: take up to max_rows rows and run them unlocked */
		first = last = b->head;
		for (n = 1; n < b->max_rows && last->next != NULL; n++)
			last = last->next;
		b->head = last->next;
		if (b->head == NULL)
			b->tail = &b->head;
		last->next = NULL;
		b->running = true;
		pthread_mutex_unlock(&b->lock);
		run_batch(db, b->sql, first, n);
		pthread_mutex_lock(&b->lock);
		b->running = false;
		for (e = first; e != NULL; e = next) {
			next = e->next;
			e->done = true;
			if (e != &me)
				pthread_cond_signal(&e->wake);
		}
		/* the row first in line now leads the next batch */
		if (b->head != NULL)
			pthread_cond_signal(&b->head->wake);
	}
	pthread_mutex_unlock(&b->lock);
	pthread_cond_destroy(&me.wake);
	return entry_outcome(&me, result);
}

int
mp_db_batch_one(mp_db *db, const char *sql, json_t *row, char **result)
{
	struct entry me = { row, MP_ERR_INTERNAL, NULL, false, PTHREAD_COND_INITIALIZER, NULL };

	run_rows(db, sql, &me, 1);
	return entry_outcome(&me, result);
}
