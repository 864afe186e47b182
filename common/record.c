#include "record.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbjson.h"
#include "err.h"

struct row_txn {
	mp_record_txn_fn fn;
	void *arg;
	json_t *row;
};

/* Keeps the row of the try that committed; a retry replaces a rolled-back one. */
static int
row_txn(mp_db *db, void *arg)
{
	struct row_txn *t = arg;
	json_t *row = NULL;
	int r;

	if ((r = t->fn(db, t->arg, &row)) != MP_OK)
		return r;
	json_decref(t->row);
	t->row = row;
	return MP_OK;
}

int
mp_record_txn(mp_db *db, mp_record_txn_fn fn, void *arg, json_t **out)
{
	struct row_txn t = { fn, arg, NULL };
	int r;

	if ((r = mp_db_txn(db, row_txn, &t)) != MP_OK)
		goto out;
	if (out != NULL) {
		*out = t.row;
		t.row = NULL;
	}
out:
	json_decref(t.row);
	return r;
}

int
mp_record_get(mp_db *db, const char *sql, int nparams, const char *const *params,
    json_t **out)
{
	PGresult *res = NULL;
	int r;

	if ((r = mp_db_query_row(db, sql, nparams, params, &res)) == MP_OK)
		r = mp_db_row_json(res, 0, out);
	PQclear(res);
	return r;
}

int
mp_record_list(mp_db *db, const char *sql, int nparams, const char *const *params,
    json_t **out)
{
	PGresult *res = NULL;
	int r;

	if ((r = mp_db_query(db, sql, nparams, params, &res)) == MP_OK)
		r = mp_db_rows_json(res, out);
	PQclear(res);
	return r;
}

struct insert_ctx {
	const mp_actor *actor;
	const char *action;
	const char *object_type;
	const char *sql;
	int nparams;
	const char *const *params;
	json_t *details;
};

static int
insert_txn(mp_db *db, void *arg, json_t **out)
{
	struct insert_ctx *c = arg;
	json_t *row = NULL;
	const char *tenant;
	int r;

	if ((r = mp_record_get(db, c->sql, c->nparams, c->params, &row)) != MP_OK)
		goto out;
	tenant = json_string_value(json_object_get(row, "tenant_id"));
	r = mp_audit_write_in(db, c->actor, tenant != NULL ? tenant : c->actor->tenant_id,
	    c->action, c->object_type,
	    json_string_value(json_object_get(row, "id")),
	    c->details != NULL ? c->details : row);
	if (r != MP_OK)
		goto out;
	*out = row;
	row = NULL;
out:
	json_decref(row);
	return r;
}

int
mp_record_insert(mp_db *db, const mp_actor *actor, const char *action,
    const char *object_type, const char *sql, int nparams, const char *const *params,
    json_t *details, json_t **out)
{
	struct insert_ctx c = { actor, action, object_type, sql, nparams, params, details };

	if (actor == NULL)
		return MP_ERR_INVALID;
	return mp_record_txn(db, insert_txn, &c, out);
}

struct status_ctx {
	const mp_actor *actor;
	const struct mp_status_spec *spec;
	const char *tenant_id;
	const char *id;
	const char *status;
};

static bool
is_terminal(const struct mp_status_spec *spec, const char *status)
{
	size_t i;

	for (i = 0; spec->terminal[i] != NULL; i++) {
		if (strcmp(status, spec->terminal[i]) == 0)
			return true;
	}
	return false;
}

static int
status_txn(mp_db *db, void *arg, json_t **out)
{
	struct status_ctx *c = arg;
	PGresult *res = NULL;
	json_t *row = NULL, *details = NULL;
	const char *params[2], *old, *tenant;
	bool changed;
	int r;

	params[0] = c->id;
	params[1] = c->tenant_id;
	if ((r = mp_db_query_row(db, c->spec->lock_sql, 2, params, &res)) != MP_OK)
		goto out;
	tenant = mp_db_value(res, 0, 0);
	old = mp_db_value(res, 0, 1);
	if (old == NULL) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	changed = strcmp(old, c->status) != 0;
	if (changed && is_terminal(c->spec, old)) {
		r = MP_ERR_CONFLICT;
		goto out;
	}
	params[1] = c->status;
	if ((r = mp_record_get(db, c->spec->update_sql, 2, params, &row)) != MP_OK)
		goto out;
	if (changed) {
		if ((details = json_pack("{s:s, s:s}", "from", old, "to", c->status)) == NULL) {
			r = MP_ERR_NOMEM;
			goto out;
		}
		r = mp_audit_write_in(db, c->actor, tenant, c->spec->action, c->spec->object_type,
		    c->id, details);
		if (r != MP_OK)
			goto out;
	}
	*out = row;
	row = NULL;
	r = MP_OK;
out:
	json_decref(details);
	json_decref(row);
	PQclear(res);
	return r;
}

int
mp_record_set_status(mp_db *db, const mp_actor *actor, const struct mp_status_spec *spec,
    const char *tenant_id, const char *id, const char *status, json_t **out)
{
	struct status_ctx c = { actor, spec, tenant_id, id, status };

	if (actor == NULL || id == NULL || status == NULL)
		return MP_ERR_INVALID;
	return mp_record_txn(db, status_txn, &c, out);
}

void
mp_record_limit(unsigned limit, char buf[16])
{
	if (limit == 0)
		limit = MP_RECORD_LIST_DEFAULT;
	if (limit > MP_RECORD_LIST_MAX)
		limit = MP_RECORD_LIST_MAX;
	snprintf(buf, 16, "%u", limit);
}

int
mp_record_object_text(json_t *obj, char **out)
{
	char *s;

	if (obj != NULL && !json_is_object(obj))
		return MP_ERR_INVALID;
	s = obj != NULL ? json_dumps(obj, JSON_COMPACT) : strdup("{}");
	if (s == NULL)
		return MP_ERR_NOMEM;
	*out = s;
	return MP_OK;
}

void
mp_record_time(int64_t t, char buf[24])
{
	snprintf(buf, 24, "%" PRId64, t);
}
