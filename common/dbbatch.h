/*
 * Group commit. Threads that each commit one row with the same statement hand
 * the row to a shared batcher; whoever arrives while no batch is running runs
 * the statement for every row waiting, on its own connection, in one round
 * trip and one commit, and the others wait for their row's outcome. A call
 * returns only after its row is committed (or refused), so each row is as
 * durable as if committed alone, while commits, round trips and the
 * statement's fixed cost are shared by the rows of a batch.
 *
 * The statement takes the rows as $1, a JSON array of the row objects in
 * order, and returns one result row per committed input row: the row's
 * 1-based position (e.g. from jsonb_array_elements ... WITH ORDINALITY) in
 * the first column, a text value for the caller (or NULL) in the second.
 * Rows must be independent: when the statement fails for a whole batch, each
 * row is run again alone, so one row's error is never another row's.
 */
#ifndef MP_DBBATCH_H
#define MP_DBBATCH_H

#include <stddef.h>

#include <jansson.h>

#include "db.h"

typedef struct mp_db_batch mp_db_batch;

/* A batcher for sql (which must outlive it), at most max_rows rows per batch. NULL on ENOMEM. */
mp_db_batch *mp_db_batch_new(const char *sql, size_t max_rows);
/* b may be NULL. No call may be running. */
void mp_db_batch_free(mp_db_batch *b);

/*
 * Commits row (a JSON object, borrowed) through b, running batches on db
 * when it is this thread's turn. MP_OK with *result (a new string, NULL when
 * the statement returned NULL) when the statement returned the row;
 * MP_ERR_CONFLICT when it did not (its conditions left the row out); the
 * database's error otherwise.
 */
int mp_db_batch_run(mp_db_batch *b, mp_db *db, json_t *row, char **result);
/* mp_db_batch_run for a caller with no batcher: row alone, as a batch of one. */
int mp_db_batch_one(mp_db *db, const char *sql, json_t *row, char **result);

#endif
