/*
 * Database access: one libpq connection per mp_db, used by one thread at a
 * time (each worker thread owns one). Every statement is parameterized; SQL
 * errors are mapped onto mp_err:
 *
 *   23505 unique_violation, 23P01 exclusion          -> MP_ERR_CONFLICT
 *   23503 foreign key, 23514 check, 23502 not null,
 *   class 22 (bad value, e.g. a malformed uuid)      -> MP_ERR_INVALID
 *   connection lost, class 08, 57P01..57P03          -> MP_ERR_DB_UNAVAILABLE
 *   anything else                                    -> MP_ERR_DB
 *
 * Every helper first calls mp_db_ensure(), so a connection lost while the
 * server restarted is re-established by the next call. Re-connection attempts
 * that fail are spaced MP_DB_RETRY_MS apart; calls in between fail at once with
 * MP_ERR_DB_UNAVAILABLE, so requests fail fast while the database is down.
 */
#ifndef MP_DB_H
#define MP_DB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

typedef struct mp_db mp_db;

/* Minimum time between two failed re-connection attempts. */
#define MP_DB_RETRY_MS 1000

/*
 * Connects with conninfo (libpq keywords or a URI), waiting at most
 * connect_timeout_ms (0: libpq's default) and sets application_name=midpki,
 * client_encoding=UTF8, TimeZone=UTC and DateStyle=ISO. On failure returns
 * MP_ERR_DB_UNAVAILABLE with libpq's reason in err (any occurrence of the
 * password is masked), MP_ERR_CONFIG for a malformed conninfo (err does not
 * quote it) or MP_ERR_NOMEM.
 */
int mp_db_connect(const char *conninfo, uint64_t connect_timeout_ms, mp_db **out, char *err,
    size_t errsz);

/* Closes the connection and frees db. db may be NULL. */
void mp_db_close(mp_db *db);

/*
 * MP_OK when the connection is usable; otherwise tries one re-connection
 * (bounded by the connect timeout, at most one per MP_DB_RETRY_MS) and
 * returns MP_OK or MP_ERR_DB_UNAVAILABLE.
 */
int mp_db_ensure(mp_db *db);

/* The last error ("" when there was none), one line, fit for a log. */
const char *mp_db_errmsg(const mp_db *db);

/* The SQLSTATE of the last failed statement ("" when none or not a statement error). */
const char *mp_db_sqlstate(const mp_db *db);

/* The constraint named by the last failed statement ("" when none), e.g. "devices_tenant_id_serial_key". */
const char *mp_db_constraint(const mp_db *db);

/* counter is incremented (relaxed) on every database error; NULL stops counting. */
void mp_db_set_error_counter(mp_db *db, atomic_uint_fast64_t *counter);

/*
 * Runs one statement with nparams text parameters ($1..$n; a NULL value is SQL
 * NULL). On success *out (when out is not NULL) owns the result: PQclear() it.
 * Results are in text format.
 */
int mp_db_query(mp_db *db, const char *sql, int nparams, const char *const *values,
    PGresult **out);

/*
 * mp_db_query with per-parameter lengths and formats (1 = binary, e.g. raw
 * bytea bytes); lengths and formats may be NULL for all-text parameters.
 */
int mp_db_query_ex(mp_db *db, const char *sql, int nparams, const char *const *values,
    const int *lengths, const int *formats, PGresult **out);

/* mp_db_query that wants exactly one row: MP_ERR_NOT_FOUND when there is none. */
int mp_db_query_row(mp_db *db, const char *sql, int nparams, const char *const *values,
    PGresult **out);

/*
 * Runs trusted SQL text without parameters, possibly several statements
 * (migrations, BEGIN/COMMIT). Never pass anything derived from input.
 */
int mp_db_exec(mp_db *db, const char *sql);

/*
 * Runs fn(db, arg) inside BEGIN ... COMMIT, or ROLLBACK when fn or COMMIT
 * fails. On a serialization failure or deadlock (40001, 40P01) the whole
 * transaction, fn included, is retried up to MP_DB_TXN_TRIES times in all, so
 * fn must leave no effect outside the database before it succeeds (or undo
 * it at its start). Called while a transaction is already open on db, it just
 * runs fn as part of that transaction. Returns fn's error, a COMMIT error or
 * MP_ERR_DB_UNAVAILABLE when the connection was lost.
 */
#define MP_DB_TXN_TRIES 5
int mp_db_txn(mp_db *db, int (*fn)(mp_db *db, void *arg), void *arg);

/* The connection's socket, to poll() for notifications; -1 when there is none. */
int mp_db_socket(const mp_db *db);

/*
 * Reads whatever the server has sent, without blocking, and calls
 * fn(channel, payload, arg) for every notification received on a channel
 * this session LISTENs on, including those that arrived while earlier
 * statements ran. MP_ERR_DB_UNAVAILABLE when the connection is lost (a new
 * session, after mp_db_ensure, must LISTEN again).
 */
int mp_db_notifications(mp_db *db, void (*fn)(const char *channel, const char *payload,
    void *arg), void *arg);

/* SELECT 1 after mp_db_ensure: MP_OK or an error (for /readyz). */
int mp_db_ping(mp_db *db);

/* The text value at (row, col), or NULL for SQL NULL or out of range. */
const char *mp_db_value(const PGresult *res, int row, int col);

/*
 * Encodes bytes as a bytea text parameter ("\x" and hex) in a new string;
 * free() it.
 */
int mp_db_bytea_param(const uint8_t *p, size_t n, char **out);

/*
 * Decodes the bytea at (row, col) (hex output, as every connection sets) into
 * a new buffer of at most max bytes (free() it). MP_ERR_NOT_FOUND for NULL.
 */
int mp_db_bytea_value(const PGresult *res, int row, int col, size_t max, uint8_t **out,
    size_t *outlen);

#endif
