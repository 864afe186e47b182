#include "profiles.h"

#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "err.h"
#include "record.h"

#define COLUMNS "id, tenant_id, name, kind, body, approval_required, created_at, updated_at"

int
mp_profile_create(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *name,
    const char *kind, json_t *body, bool approval_required, json_t **out)
{
	const char *params[5];
	char *text = NULL;
	int r;

	if (tenant_id == NULL || name == NULL || kind == NULL)
		return MP_ERR_INVALID;
	if ((r = mp_record_object_text(body, &text)) != MP_OK)
		return r;
	params[0] = tenant_id;
	params[1] = name;
	params[2] = kind;
	params[3] = text;
	params[4] = approval_required ? "true" : "false";
	r = mp_record_insert(db, actor, "profile.create", "profile",
	    "INSERT INTO profiles (tenant_id, name, kind, body, approval_required)"
	    " VALUES ($1, $2, $3, $4, $5) RETURNING " COLUMNS, 5, params, NULL, out);
	free(text);
	return r;
}

int
mp_profile_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	return mp_record_get(db, "SELECT " COLUMNS " FROM profiles"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)", 2, params, out);
}

int
mp_profile_find_by_name(mp_db *db, const char *tenant_id, const char *name, json_t **out)
{
	const char *params[2] = { tenant_id, name };

	if (tenant_id == NULL || name == NULL)
		return MP_ERR_INVALID;
	return mp_record_get(db, "SELECT " COLUMNS " FROM profiles"
	    " WHERE tenant_id = $1 AND name = $2", 2, params, out);
}

int
mp_profile_ensure(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *name,
    const char *kind, const char *body_json, bool approval_required)
{
	json_t *row = NULL, *body;
	int r;

	if ((r = mp_profile_find_by_name(db, tenant_id, name, &row)) != MP_ERR_NOT_FOUND) {
		json_decref(row);
		return r;
	}
	if ((body = json_loads(body_json, 0, NULL)) == NULL)
		return MP_ERR_INTERNAL;
	r = mp_profile_create(db, actor, tenant_id, name, kind, body, approval_required, NULL);
	json_decref(body);
	return r;
}

/* The platform tenant's id, as a CTE every visible-profile query starts with ($1: its name). */
#define PLATFORM_CTE "WITH pt AS (SELECT id FROM tenants WHERE name = $1) "
#define VISIBLE_COLUMNS COLUMNS ", tenant_id IN (SELECT id FROM pt) AS builtin"
/* $2: the caller's tenant or NULL. */
#define VISIBLE_TO \
	"($2::uuid IS NULL OR tenant_id = $2 OR tenant_id IN (SELECT id FROM pt))"

int
mp_profile_list(mp_db *db, const char *tenant_id, const char *kind, const char *after_id,
    unsigned limit, json_t **out)
{
	const char *params[5] = { MP_BOOTSTRAP_TENANT, tenant_id, kind, after_id, NULL };
	char lim[16];

	mp_record_limit(limit, lim);
	params[4] = lim;
	return mp_record_list(db, PLATFORM_CTE "SELECT " VISIBLE_COLUMNS " FROM profiles"
	    " WHERE " VISIBLE_TO " AND ($3::text IS NULL OR kind = $3)"
	    " AND ($4::uuid IS NULL OR id > $4) ORDER BY id LIMIT $5::int", 5, params, out);
}

int
mp_profile_get_visible(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[3] = { MP_BOOTSTRAP_TENANT, tenant_id, id };

	if (id == NULL)
		return MP_ERR_INVALID;
	return mp_record_get(db, PLATFORM_CTE "SELECT " VISIBLE_COLUMNS " FROM profiles"
	    " WHERE " VISIBLE_TO " AND id = $3", 3, params, out);
}

int
mp_profile_update(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id,
    const mp_profile_patch *p, json_t **out)
{
	const char *params[5] = { MP_BOOTSTRAP_TENANT, tenant_id, id, NULL, NULL };
	json_t *details = NULL;
	char *text = NULL;
	int r = MP_ERR_NOMEM;

	if (actor == NULL || id == NULL || p == NULL)
		return MP_ERR_INVALID;
	if ((details = json_object()) == NULL)
		goto out;
	if (p->body != NULL) {
		if ((r = mp_record_object_text(p->body, &text)) != MP_OK)
			goto out;
		r = MP_ERR_NOMEM;
		if (json_object_set(details, "body", p->body) != 0)
			goto out;
		params[3] = text;
	}
	if (p->set_approval) {
		params[4] = p->approval_required ? "true" : "false";
		if (json_object_set_new(details, "approval_required",
			json_boolean(p->approval_required)) != 0)
			goto out;
	}
	r = mp_record_insert(db, actor, "profile.update", "profile",
	    PLATFORM_CTE "UPDATE profiles SET body = COALESCE($4::jsonb, body),"
	    " approval_required = COALESCE($5::boolean, approval_required), updated_at = now()"
	    " WHERE id = $3 AND ($2::uuid IS NULL OR tenant_id = $2)"
	    " RETURNING " VISIBLE_COLUMNS, 5, params, details, out);
out:
	json_decref(details);
	free(text);
	return r;
}

struct profile_delete {
	const mp_actor *actor;
	const char *tenant_id;
	const char *id;
};

/* Locks the profile, refuses while anything refers to it, deletes it with its audit entry. */
static int
profile_delete_txn(mp_db *db, void *arg, json_t **row)
{
	struct profile_delete *d = arg;
	const char *params[2] = { d->id, d->tenant_id };
	PGresult *res = NULL;
	int r;

	if ((r = mp_db_query_row(db, "SELECT id FROM profiles WHERE id = $1"
		 " AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE", 2, params, &res)) != MP_OK)
		goto out;
	PQclear(res);
	res = NULL;
	if ((r = mp_db_query_row(db, "SELECT EXISTS (SELECT 1 FROM identities WHERE profile_id = $1)"
		 " OR EXISTS (SELECT 1 FROM enrollment_tokens WHERE profile_id = $1)"
		 " OR EXISTS (SELECT 1 FROM certificate_requests WHERE profile_id = $1"
		 " AND status = 'pending')", 1, params, &res)) != MP_OK)
		goto out;
	if (mp_db_value(res, 0, 0) == NULL || strcmp(mp_db_value(res, 0, 0), "f") != 0) {
		r = MP_ERR_CONFLICT;
		goto out;
	}
	r = mp_record_insert(db, d->actor, "profile.delete", "profile",
	    "DELETE FROM profiles WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)"
	    " RETURNING id, tenant_id, name, kind", 2, params, NULL, row);
out:
	PQclear(res);
	return r;
}

int
mp_profile_delete(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id)
{
	struct profile_delete d = { actor, tenant_id, id };

	if (actor == NULL || id == NULL)
		return MP_ERR_INVALID;
	return mp_record_txn(db, profile_delete_txn, &d, NULL);
}
