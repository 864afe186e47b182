#include "db.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "err.h"
#include "monotime.h"
#include "secure.h"

/*
 * Statements run on a connection are prepared once and executed by name after
 * that, which spares the server parsing them again; the cache holds the first
 * DB_STMT_MAX distinct statements (the rest run unprepared) and is emptied
 * with the session it belongs to.
 */
#define DB_STMT_MAX 128

struct mp_db {
	PGconn *conn;
	char *stmts[DB_STMT_MAX]; /* SQL text of prepared statement "s<i>" */
	unsigned nstmts;
	atomic_uint_fast64_t *errors;
	uint64_t failed_at_ms; /* monotonic time of the last failed re-connection, 0 = none */
	bool in_txn;           /* inside mp_db_txn: a lost connection must not be replaced */
	char errmsg[512];
	char sqlstate[6];
	char constraint[64];
};

/* Sent after every (re)connection: PQreset keeps the keywords but not SET. */
static const char session_sql[] =
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET bytea_output = 'hex'";

/* Server notices (e.g. "already exists, skipping") are not errors; library code does not print them. */
static void
ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Copies s into dst as one line: newlines become spaces, trailing space dropped. */
static void
copy_line(char *dst, size_t dstsz, const char *s)
{
	size_t i, n = 0;

	if (dstsz == 0)
		return;
	for (i = 0; s != NULL && s[i] != '\0' && n + 1 < dstsz; i++)
		dst[n++] = (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') ? ' ' : s[i];
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

static void
count_error(mp_db *db)
{
	if (db->errors != NULL)
		atomic_fetch_add_explicit(db->errors, 1, memory_order_relaxed);
}

static void
clear_error(mp_db *db)
{
	db->errmsg[0] = '\0';
	db->sqlstate[0] = '\0';
	db->constraint[0] = '\0';
}

static int
map_sqlstate(const char *st)
{
	if (strcmp(st, "23505") == 0 || strcmp(st, "23P01") == 0)
		return MP_ERR_CONFLICT;
	if (strcmp(st, "23503") == 0 || strcmp(st, "23514") == 0 || strcmp(st, "23502") == 0 ||
	    strncmp(st, "22", 2) == 0)
		return MP_ERR_INVALID;
	if (strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 ||
	    strcmp(st, "57P03") == 0)
		return MP_ERR_DB_UNAVAILABLE;
	return MP_ERR_DB;
}

/* Records why res (possibly NULL) failed and maps it; counts the error. */
static int
fail_result(mp_db *db, const PGresult *res)
{
	const char *st = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *cons = res != NULL ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	const char *msg = res != NULL ? PQresultErrorMessage(res) : NULL;

	clear_error(db);
	count_error(db);
	if (msg == NULL || msg[0] == '\0')
		msg = PQerrorMessage(db->conn);
	copy_line(db->errmsg, sizeof(db->errmsg), msg);
	if (db->errmsg[0] == '\0')
		copy_line(db->errmsg, sizeof(db->errmsg), "statement failed without a message");
	if (st != NULL)
		copy_line(db->sqlstate, sizeof(db->sqlstate), st);
	if (cons != NULL)
		copy_line(db->constraint, sizeof(db->constraint), cons);
	if (PQstatus(db->conn) != CONNECTION_OK)
		return MP_ERR_DB_UNAVAILABLE;
	return st != NULL ? map_sqlstate(st) : MP_ERR_DB;
}

/* MP_OK for a result that succeeded, else the mapped error. */
static int
check_result(mp_db *db, const PGresult *res)
{
	ExecStatusType s = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		clear_error(db);
		return MP_OK;
	}
	return fail_result(db, res);
}

static int
session_setup(mp_db *db)
{
	PGresult *res = PQexec(db->conn, session_sql);
	int r = check_result(db, res);

	PQclear(res);
	return r == MP_OK ? MP_OK : MP_ERR_DB_UNAVAILABLE;
}

/* Overwrites every occurrence of secret in s with '*'. */
static void
scrub(char *s, const char *secret)
{
	size_t n;
	char *p;

	if (secret == NULL || (n = strlen(secret)) == 0)
		return;
	while ((p = strstr(s, secret)) != NULL)
		memset(p, '*', n);
}

/*
 * Checks that conninfo parses and copies its password (if any) for scrubbing
 * messages; libpq's parse errors quote fragments of the string, so they are
 * not passed on.
 */
static int
parse_conninfo(const char *conninfo, char **password, char *err, size_t errsz)
{
	PQconninfoOption *opts, *o;
	char *msg = NULL;
	int r = MP_OK;

	if ((opts = PQconninfoParse(conninfo, &msg)) == NULL) {
		PQfreemem(msg);
		if (err != NULL)
			copy_line(err, errsz, "the database connection string is malformed");
		return MP_ERR_CONFIG;
	}
	*password = NULL;
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL &&
		    (*password = strdup(o->val)) == NULL)
			r = MP_ERR_NOMEM;
	}
	PQconninfoFree(opts);
	return r;
}

int
mp_db_connect(const char *conninfo, uint64_t connect_timeout_ms, mp_db **out, char *err,
    size_t errsz)
{
	/* dbname first: keywords after it override what the conninfo string says. */
	const char *keys[] = { "dbname", "connect_timeout", "application_name",
		"client_encoding", NULL };
	const char *vals[5];
	char timeout[24], *password = NULL;
	mp_db *db = NULL;
	int r;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if (conninfo == NULL)
		conninfo = "";
	if ((r = parse_conninfo(conninfo, &password, err, errsz)) != MP_OK)
		goto out;
	r = MP_ERR_DB_UNAVAILABLE;
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	/* libpq counts whole seconds; round up so that a short timeout is not "wait forever". */
	snprintf(timeout, sizeof(timeout), "%llu",
	    (unsigned long long)((connect_timeout_ms + 999) / 1000));
	vals[0] = conninfo;
	vals[1] = timeout;
	vals[2] = "midpki";
	vals[3] = "UTF8";
	vals[4] = NULL;
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		if (err != NULL)
			copy_line(err, errsz, PQerrorMessage(db->conn));
		goto out;
	}
	PQsetNoticeProcessor(db->conn, ignore_notice, NULL);
	if (session_setup(db) != MP_OK) {
		if (err != NULL)
			copy_line(err, errsz, db->errmsg);
		goto out;
	}
	*out = db;
	db = NULL;
	r = MP_OK;
out:
	if (err != NULL && errsz > 0)
		scrub(err, password);
	mp_free_secret_str(password);
	mp_db_close(db);
	return r;
}

/* Forgets every prepared statement (they went with their session). */
static void
stmts_forget(mp_db *db)
{
	for (unsigned i = 0; i < db->nstmts; i++)
		free(db->stmts[i]);
	db->nstmts = 0;
}

void
mp_db_close(mp_db *db)
{
	if (db == NULL)
		return;
	stmts_forget(db);
	PQfinish(db->conn);
	free(db);
}

int
mp_db_ensure(mp_db *db)
{
	uint64_t now;

	if (PQstatus(db->conn) == CONNECTION_OK)
		return MP_OK;
	if (db->in_txn) {
		/* a fresh session would run the rest of the transaction in autocommit */
		count_error(db);
		return MP_ERR_DB_UNAVAILABLE;
	}
	now = mp_monotonic_ms();
	if (db->failed_at_ms != 0 && now - db->failed_at_ms < MP_DB_RETRY_MS) {
		count_error(db);
		return MP_ERR_DB_UNAVAILABLE;
	}
	stmts_forget(db);
	PQreset(db->conn);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		clear_error(db);
		count_error(db);
		copy_line(db->errmsg, sizeof(db->errmsg), PQerrorMessage(db->conn));
		db->failed_at_ms = mp_monotonic_ms() | 1;
		return MP_ERR_DB_UNAVAILABLE;
	}
	if (session_setup(db) != MP_OK) {
		db->failed_at_ms = mp_monotonic_ms() | 1;
		return MP_ERR_DB_UNAVAILABLE;
	}
	db->failed_at_ms = 0;
	return MP_OK;
}

const char *
mp_db_errmsg(const mp_db *db)
{
	return db->errmsg;
}

const char *
mp_db_sqlstate(const mp_db *db)
{
	return db->sqlstate;
}

const char *
mp_db_constraint(const mp_db *db)
{
	return db->constraint;
}

void
mp_db_set_error_counter(mp_db *db, atomic_uint_fast64_t *counter)
{
	db->errors = counter;
}

/*
 * Sets name to sql's prepared statement, preparing it on first use, or to ""
 * when the cache is full. A statement that does not prepare is an error
 * (the same the execution would give).
 */
static int
stmt_find(mp_db *db, const char *sql, int nparams, char name[16])
{
	PGresult *res;
	char *copy;
	int r;

	for (unsigned i = 0; i < db->nstmts; i++)
		if (strcmp(db->stmts[i], sql) == 0) {
			snprintf(name, 16, "s%u", i);
			return MP_OK;
		}
	name[0] = '\0';
	if (db->nstmts == DB_STMT_MAX)
		return MP_OK;
	if ((copy = strdup(sql)) == NULL)
		return MP_ERR_NOMEM;
	snprintf(name, 16, "s%u", db->nstmts);
	res = PQprepare(db->conn, name, sql, nparams, NULL);
	if ((r = check_result(db, res)) != MP_OK) {
		PQclear(res);
		free(copy);
		return r;
	}
	PQclear(res);
	db->stmts[db->nstmts++] = copy;
	return MP_OK;
}

int
mp_db_query_ex(mp_db *db, const char *sql, int nparams, const char *const *values,
    const int *lengths, const int *formats, PGresult **out)
{
	PGresult *res = NULL;
	char name[16];
	int r;

	if (nparams < 0 || (nparams > 0 && values == NULL))
		return MP_ERR_INTERNAL;
	if ((r = mp_db_ensure(db)) != MP_OK)
		return r;
	if ((r = stmt_find(db, sql, nparams, name)) != MP_OK)
		return r;
	if (name[0] != '\0')
		res = PQexecPrepared(db->conn, name, nparams, values, lengths, formats, 0);
	else
		res = PQexecParams(db->conn, sql, nparams, NULL, values, lengths, formats, 0);
	if ((r = check_result(db, res)) != MP_OK)
		goto out;
	if (out != NULL) {
		*out = res;
		res = NULL;
	}
out:
	PQclear(res);
	return r;
}

int
mp_db_query(mp_db *db, const char *sql, int nparams, const char *const *values,
    PGresult **out)
{
	return mp_db_query_ex(db, sql, nparams, values, NULL, NULL, out);
}

int
mp_db_query_row(mp_db *db, const char *sql, int nparams, const char *const *values,
    PGresult **out)
{
	PGresult *res = NULL;
	int r;

	if ((r = mp_db_query(db, sql, nparams, values, &res)) != MP_OK)
		goto out;
	if (PQntuples(res) == 0) {
		r = MP_ERR_NOT_FOUND;
		goto out;
	}
	if (out != NULL) {
		*out = res;
		res = NULL;
	}
out:
	PQclear(res);
	return r;
}

int
mp_db_exec(mp_db *db, const char *sql)
{
	PGresult *res;
	int r;

	if ((r = mp_db_ensure(db)) != MP_OK)
		return r;
	res = PQexec(db->conn, sql);
	r = check_result(db, res);
	PQclear(res);
	return r;
}

static bool
retryable(const mp_db *db, int r)
{
	return r == MP_ERR_DB && (strcmp(db->sqlstate, "40001") == 0 ||
	    strcmp(db->sqlstate, "40P01") == 0);
}

/* ROLLBACK that keeps the error of the statement that failed. */
static void
rollback(mp_db *db)
{
	PGresult *res;

	if (PQstatus(db->conn) != CONNECTION_OK)
		return;
	res = PQexec(db->conn, "ROLLBACK");
	PQclear(res);
}

int
mp_db_txn(mp_db *db, int (*fn)(mp_db *db, void *arg), void *arg)
{
	unsigned attempt;
	int r;

	if ((r = mp_db_ensure(db)) != MP_OK)
		return r;
	if (PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		return fn(db, arg);
	for (attempt = 1;; attempt++) {
		if ((r = mp_db_exec(db, "BEGIN")) != MP_OK)
			return r;
		db->in_txn = true;
		r = fn(db, arg);
		if (r == MP_OK && PQtransactionStatus(db->conn) != PQTRANS_INTRANS) {
			/* fn ignored a failed statement: COMMIT would silently roll back */
			if (PQstatus(db->conn) != CONNECTION_OK) {
				r = MP_ERR_DB_UNAVAILABLE;
			} else {
				r = MP_ERR_INTERNAL;
				copy_line(db->errmsg, sizeof(db->errmsg),
				    "transaction function succeeded after a failed statement");
			}
		}
		if (r == MP_OK)
			r = mp_db_exec(db, "COMMIT");
		db->in_txn = false;
		if (r == MP_OK)
			return MP_OK;
		rollback(db);
		if (PQstatus(db->conn) != CONNECTION_OK)
			return MP_ERR_DB_UNAVAILABLE;
		if (!retryable(db, r) || attempt >= MP_DB_TXN_TRIES)
			return r;
	}
}

int
mp_db_socket(const mp_db *db)
{
	return PQstatus(db->conn) == CONNECTION_OK ? PQsocket(db->conn) : -1;
}

int
mp_db_notifications(mp_db *db, void (*fn)(const char *channel, const char *payload,
    void *arg), void *arg)
{
	PGnotify *n;

	if (PQstatus(db->conn) != CONNECTION_OK || !PQconsumeInput(db->conn)) {
		clear_error(db);
		count_error(db);
		copy_line(db->errmsg, sizeof(db->errmsg), PQerrorMessage(db->conn));
		return MP_ERR_DB_UNAVAILABLE;
	}
	while ((n = PQnotifies(db->conn)) != NULL) {
		fn(n->relname, n->extra, arg);
		PQfreemem(n);
	}
	return MP_OK;
}

int
mp_db_ping(mp_db *db)
{
	int r = mp_db_query(db, "SELECT 1", 0, NULL, NULL);

	/* a connection that died while idle is noticed only now; SELECT 1 is safe to repeat */
	if (r == MP_ERR_DB_UNAVAILABLE)
		r = mp_db_query(db, "SELECT 1", 0, NULL, NULL);
	return r;
}

const char *
mp_db_value(const PGresult *res, int row, int col)
{
	if (res == NULL || row < 0 || col < 0 || row >= PQntuples(res) || col >= PQnfields(res) ||
	    PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

int
mp_db_bytea_param(const uint8_t *p, size_t n, char **out)
{
	char *hex = NULL, *s = NULL;
	size_t len;
	int r;

	if ((r = mp_hex_encode(p, n, &hex)) != MP_OK)
		goto out;
	len = strlen(hex);
	if ((s = malloc(len + 3)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	s[0] = '\\';
	s[1] = 'x';
	memcpy(s + 2, hex, len + 1);
	*out = s;
	r = MP_OK;
out:
	free(hex);
	return r;
}

int
mp_db_bytea_value(const PGresult *res, int row, int col, size_t max, uint8_t **out,
    size_t *outlen)
{
	const char *v = mp_db_value(res, row, col);

	if (v == NULL)
		return MP_ERR_NOT_FOUND;
	if (v[0] != '\\' || v[1] != 'x')
		return MP_ERR_INVALID;
	return mp_hex_decode(v + 2, strlen(v + 2), max, out, outlen);
}
