/*
 * The pattern every engine change follows, written once: run the statement
 * and its audit entry in one transaction (mp_db_txn), return the row as JSON
 * (dbjson.h). The SQL passed in is always a constant of the calling module.
 */
#ifndef MP_RECORD_H
#define MP_RECORD_H

#include <stdint.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"

/* Lists return at most this many rows; 0 asks for MP_RECORD_LIST_DEFAULT. */
#define MP_RECORD_LIST_MAX 1000
#define MP_RECORD_LIST_DEFAULT 100

/*
 * Runs sql (an INSERT ... RETURNING, one row; no row is MP_ERR_NOT_FOUND) and
 * writes the audit entry (action, object_type, the row's "id", details or,
 * when NULL, the row itself) into the log of the row's "tenant_id", or of
 * actor->tenant_id when the row has none, in one transaction. *out (may be
 * NULL) gets the row.
 */
int mp_record_insert(mp_db *db, const mp_actor *actor, const char *action,
    const char *object_type, const char *sql, int nparams, const char *const *params,
    json_t *details, json_t **out);

/*
 * Runs fn in one transaction (mp_db_txn, so fn may run again on a retry); fn
 * sets its row argument only when it succeeds. On success *out (may be NULL)
 * gets the row of the try that committed.
 */
typedef int (*mp_record_txn_fn)(mp_db *db, void *arg, json_t **row);
int mp_record_txn(mp_db *db, mp_record_txn_fn fn, void *arg, json_t **out);

/* Runs sql (a SELECT) wanting one row: its JSON in *out, or MP_ERR_NOT_FOUND. */
int mp_record_get(mp_db *db, const char *sql, int nparams, const char *const *params,
    json_t **out);

/* Runs sql (a SELECT): every row, as a JSON array in *out. */
int mp_record_list(mp_db *db, const char *sql, int nparams, const char *const *params,
    json_t **out);

/* A status column with its lock, update and terminal states. */
struct mp_status_spec {
	const char *lock_sql;   /* $1 id, $2 tenant or NULL -> (tenant_id, status) FOR UPDATE */
	const char *update_sql; /* $1 id, $2 new status -> RETURNING the row */
	const char *const *terminal; /* NULL-terminated: states that cannot be left */
	const char *action;
	const char *object_type;
};

/*
 * Moves the row id (in tenant_id, or any tenant when NULL) to status and audits
 * {"from": old, "to": new}, in one transaction. MP_ERR_NOT_FOUND for no such
 * row, MP_ERR_CONFLICT when leaving a terminal state, MP_ERR_INVALID for an
 * unknown status. Setting the current status again changes nothing and writes
 * no entry. *out (may be NULL) gets the row.
 */
int mp_record_set_status(mp_db *db, const mp_actor *actor, const struct mp_status_spec *spec,
    const char *tenant_id, const char *id, const char *status, json_t **out);

/*
 * The compact text of a JSON object parameter (NULL -> "{}") in a new string;
 * MP_ERR_INVALID when obj is not an object. free() it.
 */
int mp_record_object_text(json_t *obj, char **out);

/* Unix seconds as a parameter text, for to_timestamp($n::bigint). */
void mp_record_time(int64_t t, char buf[24]);

/* The limit parameter text for a list: 0 -> default, above the maximum -> maximum. */
void mp_record_limit(unsigned limit, char buf[16]);

#endif
