#include "devices.h"

#include <stdlib.h>
#include <string.h>

#include "dbjson.h"
#include "err.h"
#include "identities.h"
#include "record.h"

#define COLUMNS "id, tenant_id, serial, model, manufacturer, dev_eui, fdo_guid, attributes," \
	" status, created_at, updated_at"

int
mp_device_create(mp_db *db, const mp_actor *actor, const mp_device_new *in, json_t **out)
{
	const char *params[7];
	char *attrs = NULL;
	int r;

	if (in == NULL || in->tenant_id == NULL || in->serial == NULL)
		return MP_ERR_INVALID;
	if ((r = mp_record_object_text(in->attributes, &attrs)) != MP_OK)
		return r;
	params[0] = in->tenant_id;
	params[1] = in->serial;
	params[2] = in->model;
	params[3] = in->manufacturer;
	params[4] = in->dev_eui;
	params[5] = in->fdo_guid;
	params[6] = attrs;
	r = mp_record_insert(db, actor, "device.create", "device",
	    "INSERT INTO devices (tenant_id, serial, model, manufacturer, dev_eui, fdo_guid,"
	    " attributes) VALUES ($1, $2, $3, $4, lower($5), $6, $7) RETURNING " COLUMNS,
	    7, params, NULL, out);
	free(attrs);
	return r;
}

int
mp_device_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	return mp_record_get(db, "SELECT " COLUMNS " FROM devices"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)", 2, params, out);
}

int
mp_device_find_by_serial(mp_db *db, const char *tenant_id, const char *serial, json_t **out)
{
	const char *params[2] = { tenant_id, serial };

	if (tenant_id == NULL || serial == NULL)
		return MP_ERR_INVALID;
	return mp_record_get(db, "SELECT " COLUMNS " FROM devices"
	    " WHERE tenant_id = $1 AND serial = $2", 2, params, out);
}

static const char *const device_final[] = { "decommissioned", NULL };

static const struct mp_status_spec device_status = {
	"SELECT tenant_id, status FROM devices"
	" WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE",
	"UPDATE devices SET status = $2, updated_at = now() WHERE id = $1 RETURNING " COLUMNS,
	device_final,
	"device.status",
	"device",
};

struct status_ctx {
	const mp_actor *actor;
	const char *tenant_id;
	const char *id;
	const char *status;
};

/* The device's status and, in the same transaction, its identities' (identities.h). */
static int
status_txn(mp_db *db, void *arg, json_t **row)
{
	struct status_ctx *c = arg;
	int r;

	if ((r = mp_record_set_status(db, c->actor, &device_status, c->tenant_id, c->id, c->status,
	    row)) != MP_OK)
		return r;
	return mp_identities_follow_device(db, c->actor,
	    json_string_value(json_object_get(*row, "tenant_id")), c->id, c->status);
}

int
mp_device_set_status(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id, const char *status, json_t **out)
{
	struct status_ctx c = { actor, tenant_id, id, status };

	return mp_record_txn(db, status_txn, &c, out);
}

int
mp_device_list(mp_db *db, const char *tenant_id, const mp_device_filter *f,
    const char *after_id, unsigned limit, json_t **out)
{
	static const mp_device_filter none;
	char lim[16];
	const char *params[7];

	if (f == NULL)
		f = &none;
	mp_record_limit(limit, lim);
	params[0] = tenant_id;
	params[1] = after_id;
	params[2] = f->serial;
	params[3] = f->status;
	params[4] = f->model;
	params[5] = f->site;
	params[6] = lim;
	return mp_record_list(db, "SELECT " COLUMNS " FROM devices"
	    " WHERE ($1::uuid IS NULL OR tenant_id = $1) AND ($2::uuid IS NULL OR id > $2)"
	    " AND ($3::text IS NULL OR serial = $3) AND ($4::text IS NULL OR status = $4)"
	    " AND ($5::text IS NULL OR model = $5)"
	    " AND ($6::text IS NULL OR attributes->>'site' = $6)"
	    " ORDER BY id LIMIT $7", 7, params, out);
}

struct update_ctx {
	const mp_actor *actor;
	const char *tenant_id;
	const char *id;
	const mp_device_patch *p;
};

/* The details of a device.update entry: the new value of every field that changes. */
static json_t *
update_details(const mp_device_patch *p)
{
	json_t *d = json_object();

	if (d == NULL)
		return NULL;
	if (p->set_model)
		json_object_set_new(d, "model", p->model ? json_string(p->model) : json_null());
	if (p->set_manufacturer)
		json_object_set_new(d, "manufacturer",
		    p->manufacturer ? json_string(p->manufacturer) : json_null());
	if (p->attributes != NULL)
		json_object_set(d, "attributes", p->attributes);
	return d;
}

static int
update_txn(mp_db *db, void *arg, json_t **out)
{
	struct update_ctx *c = arg;
	const mp_device_patch *p = c->p;
	bool fields = p->set_model || p->set_manufacturer || p->attributes != NULL;
	PGresult *res = NULL;
	json_t *row = NULL, *details = NULL;
	char *attrs = NULL;
	const char *params[7], *tenant, *status;
	int r;

	params[0] = c->id;
	params[1] = c->tenant_id;
	if ((r = mp_db_query_row(db, "SELECT tenant_id, status FROM devices"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE", 2, params,
	    &res)) != MP_OK)
		goto out;
	tenant = mp_db_value(res, 0, 0);
	status = mp_db_value(res, 0, 1);
	if (tenant == NULL || status == NULL) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	if (fields && strcmp(status, "decommissioned") == 0) {
		r = MP_ERR_CONFLICT;
		goto out;
	}
	if (fields) {
		if (p->attributes != NULL &&
		    (r = mp_record_object_text(p->attributes, &attrs)) != MP_OK)
			goto out;
		params[1] = p->set_model ? "t" : "f";
		params[2] = p->model;
		params[3] = p->set_manufacturer ? "t" : "f";
		params[4] = p->manufacturer;
		params[5] = attrs;
		if ((r = mp_db_query(db, "UPDATE devices SET"
		    " model = CASE WHEN $2::boolean THEN $3 ELSE model END,"
		    " manufacturer = CASE WHEN $4::boolean THEN $5 ELSE manufacturer END,"
		    " attributes = coalesce($6::jsonb, attributes), updated_at = now()"
		    " WHERE id = $1", 6, params, NULL)) != MP_OK)
			goto out;
		if ((details = update_details(p)) == NULL) {
			r = MP_ERR_NOMEM;
			goto out;
		}
		if ((r = mp_audit_write_in(db, c->actor, tenant, "device.update", "device", c->id,
			 details)) != MP_OK)
			goto out;
	}
	if (p->status != NULL &&
	    (r = mp_device_set_status(db, c->actor, tenant, c->id, p->status, NULL)) != MP_OK)
		goto out;
	if ((r = mp_device_get(db, tenant, c->id, &row)) != MP_OK)
		goto out;
	*out = row;
	row = NULL;
out:
	json_decref(details);
	json_decref(row);
	free(attrs);
	PQclear(res);
	return r;
}

int
mp_device_update(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id,
    const mp_device_patch *p, json_t **out)
{
	struct update_ctx c = { actor, tenant_id, id, p };

	if (actor == NULL || id == NULL || p == NULL)
		return MP_ERR_INVALID;
	return mp_record_txn(db, update_txn, &c, out);
}

struct import_ctx {
	const mp_actor *actor;
	const char *tenant_id;
	const char *rows;
	size_t count;
	const char *format;
	json_t *conflicts;
};

/*
 * One statement inserts every row that does not collide and returns the ones
 * that do (their serial is already in the tenant); any such row rolls the
 * whole import back.
 */
static int
import_txn(mp_db *db, void *arg)
{
	struct import_ctx *c = arg;
	PGresult *res = NULL;
	json_t *conflicts = NULL, *details = NULL;
	const char *params[2] = { c->tenant_id, c->rows };
	int r;

	json_decref(c->conflicts);
	c->conflicts = NULL;
	if ((r = mp_db_query(db, "WITH x AS (SELECT * FROM jsonb_to_recordset($2::jsonb)"
	    " AS x(line bigint, serial text, model text, manufacturer text, attributes jsonb)),"
	    " ins AS (INSERT INTO devices (tenant_id, serial, model, manufacturer, attributes)"
	    " SELECT $1, serial, model, manufacturer, coalesce(attributes, '{}') FROM x"
	    " ORDER BY line ON CONFLICT (tenant_id, serial) DO NOTHING RETURNING serial)"
	    " SELECT x.line, x.serial FROM x"
	    " WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.serial = x.serial) ORDER BY x.line",
	    2, params, &res)) != MP_OK)
		goto out;
	if ((r = mp_db_rows_json(res, &conflicts)) != MP_OK)
		goto out;
	if (json_array_size(conflicts) > 0) {
		c->conflicts = conflicts;
		conflicts = NULL;
		r = MP_ERR_CONFLICT;
		goto out;
	}
	if ((details = json_pack("{s:I, s:s}", "count", (json_int_t)c->count, "format",
		 c->format)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((r = mp_audit_write_in(db, c->actor, c->tenant_id, "device.import", "device", NULL,
		 details)) != MP_OK)
		goto out;
	c->conflicts = conflicts;
	conflicts = NULL;
out:
	json_decref(details);
	json_decref(conflicts);
	PQclear(res);
	return r;
}

int
mp_device_import(mp_db *db, const mp_actor *actor, const char *tenant_id, json_t *rows,
    const char *format, json_t **conflicts)
{
	struct import_ctx c = { actor, tenant_id, NULL, 0, format, NULL };
	char *text = NULL;
	int r;

	if (actor == NULL || tenant_id == NULL || format == NULL || !json_is_array(rows) ||
	    conflicts == NULL) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((text = json_dumps(rows, JSON_COMPACT)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	c.rows = text;
	c.count = json_array_size(rows);
	r = mp_db_txn(db, import_txn, &c);
	if (r == MP_ERR_CONFLICT && c.conflicts != NULL)
		r = MP_OK;
	if (r != MP_OK)
		goto out;
	*conflicts = c.conflicts;
	c.conflicts = NULL;
out:
	json_decref(c.conflicts);
	free(text);
	return r;
}

int
mp_device_registered(mp_db *db, const char *tenant_id, json_t *rows, json_t **out)
{
	const char *params[2];
	char *text = NULL;
	int r;

	if (tenant_id == NULL || !json_is_array(rows))
		return MP_ERR_INVALID;
	if ((text = json_dumps(rows, JSON_COMPACT)) == NULL)
		return MP_ERR_NOMEM;
	params[0] = tenant_id;
	params[1] = text;
	r = mp_record_list(db, "SELECT x.line, x.serial"
	    " FROM jsonb_to_recordset($2::jsonb) AS x(line bigint, serial text)"
	    " JOIN devices d ON d.tenant_id = $1 AND d.serial = x.serial ORDER BY x.line",
	    2, params, out);
	free(text);
	return r;
}
