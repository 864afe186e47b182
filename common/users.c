#include "users.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "identities.h"
#include "num.h"
#include "record.h"

#define COLUMNS "u.id, u.tenant_id, u.name, u.email, u.attributes, u.status, u.created_at," \
	" u.updated_at, coalesce((SELECT jsonb_agg(role ORDER BY role) FROM user_roles" \
	" WHERE user_id = u.id), '[]') AS roles"

static const struct {
	mp_role role;
	const char *name;
} roles[] = {
	{ MP_ROLE_PLATFORM_ADMIN, "platform-admin" },
	{ MP_ROLE_TENANT_ADMIN, "tenant-admin" },
	{ MP_ROLE_OPERATOR, "operator" },
	{ MP_ROLE_AUDITOR, "auditor" },
	{ MP_ROLE_TECHNICIAN, "technician" },
};

const char *
mp_role_name(mp_role role)
{
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].role == role)
			return roles[i].name;
	return NULL;
}

int
mp_role_parse(const char *s, mp_role *out)
{
	size_t i;

	if (s == NULL)
		return MP_ERR_INVALID;
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (strcmp(roles[i].name, s) == 0) {
			*out = roles[i].role;
			return MP_OK;
		}
	}
	return MP_ERR_INVALID;
}

int
mp_user_create(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *name,
    const char *email, json_t *attributes, json_t **out)
{
	const char *params[4];
	char *attrs = NULL;
	int r;

	if (tenant_id == NULL || name == NULL)
		return MP_ERR_INVALID;
	if ((r = mp_record_object_text(attributes, &attrs)) != MP_OK)
		return r;
	params[0] = tenant_id;
	params[1] = name;
	params[2] = email;
	params[3] = attrs;
	r = mp_record_insert(db, actor, "user.create", "user",
	    "WITH u AS (INSERT INTO users (tenant_id, name, email, attributes)"
	    " VALUES ($1, $2, $3, $4) RETURNING *) SELECT " COLUMNS " FROM u",
	    4, params, NULL, out);
	free(attrs);
	return r;
}

int
mp_user_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	return mp_record_get(db, "SELECT " COLUMNS " FROM users u"
	    " WHERE u.id = $1 AND ($2::uuid IS NULL OR u.tenant_id = $2)", 2, params, out);
}

int
mp_user_find_by_name(mp_db *db, const char *tenant_id, const char *name, json_t **out)
{
	const char *params[2] = { tenant_id, name };

	if (tenant_id == NULL || name == NULL)
		return MP_ERR_INVALID;
	return mp_record_get(db, "SELECT " COLUMNS " FROM users u"
	    " WHERE u.tenant_id = $1 AND u.name = $2", 2, params, out);
}

struct role_ctx {
	const mp_actor *actor;
	const char *tenant_id;
	const char *user_id;
	const char *role;
};

static int
add_role_txn(mp_db *db, void *arg)
{
	struct role_ctx *c = arg;
	PGresult *res = NULL;
	json_t *details = NULL;
	const char *params[2];
	int r;

	params[0] = c->user_id;
	params[1] = c->tenant_id;
	r = mp_db_query_row(db, "SELECT tenant_id FROM users"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE", 2, params, &res);
	if (r != MP_OK)
		goto out;
	params[1] = c->role;
	if ((r = mp_db_query(db, "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)", 2,
	    params, NULL)) != MP_OK)
		goto out;
	if ((details = json_pack("{s:s}", "role", c->role)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	r = mp_audit_write_in(db, c->actor, mp_db_value(res, 0, 0), "user.role.add", "user",
	    c->user_id, details);
out:
	json_decref(details);
	PQclear(res);
	return r;
}

int
mp_user_add_role(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *user_id, const char *role)
{
	struct role_ctx c = { actor, tenant_id, user_id, role };
	mp_role parsed;

	if (actor == NULL || user_id == NULL || mp_role_parse(role, &parsed) != MP_OK)
		return MP_ERR_INVALID;
	return mp_db_txn(db, add_role_txn, &c);
}

int
mp_user_list_roles(mp_db *db, const char *tenant_id, const char *user_id, json_t **out)
{
	json_t *user = NULL, *list;
	int r;

	if ((r = mp_user_get(db, tenant_id, user_id, &user)) != MP_OK)
		goto out;
	if ((list = json_object_get(user, "roles")) == NULL || !json_is_array(list)) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	*out = json_incref(list);
out:
	json_decref(user);
	return r;
}

int
mp_user_list(mp_db *db, const char *tenant_id, const char *after_id, unsigned limit,
    json_t **out)
{
	char lim[16];
	const char *params[3] = { tenant_id, after_id, lim };

	mp_record_limit(limit, lim);
	return mp_record_list(db, "SELECT " COLUMNS " FROM users u"
	    " WHERE ($1::uuid IS NULL OR u.tenant_id = $1) AND ($2::uuid IS NULL OR u.id > $2)"
	    " ORDER BY u.id LIMIT $3", 3, params, out);
}

/* Whether roles is an array of known role names, none twice. */
static bool
valid_roles(json_t *names)
{
	unsigned seen = 0;
	mp_role role;
	json_t *v;
	size_t i;

	if (!json_is_array(names))
		return false;
	json_array_foreach(names, i, v) {
		if (mp_role_parse(json_string_value(v), &role) != MP_OK || (seen & role) != 0)
			return false;
		seen |= role;
	}
	return true;
}

static bool
valid_status(const char *s)
{
	return strcmp(s, "active") == 0 || strcmp(s, "suspended") == 0 ||
	    strcmp(s, "disabled") == 0;
}

/* Adds {"from": before[name], "to": after[name]} to details when the two differ. */
static int
note_change(json_t *details, const char *name, json_t *before, json_t *after)
{
	json_t *from = json_object_get(before, name), *to = json_object_get(after, name);

	if (json_equal(from, to))
		return MP_OK;
	if (json_object_set_new(details, name, json_pack("{s:O?, s:O?}", "from", from, "to",
	    to)) != 0)
		return MP_ERR_NOMEM;
	return MP_OK;
}

struct update_ctx {
	const mp_actor *actor;
	const char *tenant_id;
	const char *id;
	const mp_user_patch *p;
};

static int
update_txn(mp_db *db, void *arg, json_t **out)
{
	static const char *const members[] = { "email", "attributes", "status", "roles" };
	struct update_ctx *c = arg;
	const mp_user_patch *p = c->p;
	json_t *before = NULL, *after = NULL, *details = NULL, *role;
	char *attrs = NULL;
	const char *params[4];
	size_t i;
	int r;

	params[0] = c->id;
	params[1] = c->tenant_id;
	if ((r = mp_record_get(db, "SELECT " COLUMNS " FROM users u WHERE u.id = $1"
	    " AND ($2::uuid IS NULL OR u.tenant_id = $2) FOR UPDATE OF u", 2, params,
	    &before)) != MP_OK)
		goto out;
	if (p->attributes != NULL && (r = mp_record_object_text(p->attributes, &attrs)) != MP_OK)
		goto out;
	params[1] = p->email;
	params[2] = attrs;
	params[3] = p->status;
	if ((r = mp_db_query(db, "UPDATE users SET email = coalesce($2, email),"
	    " attributes = coalesce($3::jsonb, attributes), status = coalesce($4, status),"
	    " updated_at = now() WHERE id = $1", 4, params, NULL)) != MP_OK)
		goto out;
	if (p->roles != NULL) {
		if ((r = mp_db_query(db, "DELETE FROM user_roles WHERE user_id = $1", 1, params,
		    NULL)) != MP_OK)
			goto out;
		json_array_foreach(p->roles, i, role) {
			params[1] = json_string_value(role);
			if ((r = mp_db_query(db, "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)",
			    2, params, NULL)) != MP_OK)
				goto out;
		}
	}
	if ((r = mp_user_get(db, NULL, c->id, &after)) != MP_OK)
		goto out;
	if (p->status != NULL && strcmp(p->status, "active") != 0 &&
	    (r = mp_identities_revoke_ssh(db, c->actor, json_string_value(json_object_get(after,
	    "tenant_id")), c->id, NULL)) != MP_OK)
		goto out;
	if ((details = json_object()) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		if ((r = note_change(details, members[i], before, after)) != MP_OK)
			goto out;
	if (json_object_size(details) > 0 &&
	    (r = mp_audit_write_in(db, c->actor, json_string_value(json_object_get(after,
	    "tenant_id")), "user.update", "user", c->id, details)) != MP_OK)
		goto out;
	*out = after;
	after = NULL;
	r = MP_OK;
out:
	free(attrs);
	json_decref(details);
	json_decref(before);
	json_decref(after);
	return r;
}

int
mp_user_update(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id,
    const mp_user_patch *p, json_t **out)
{
	struct update_ctx c = { actor, tenant_id, id, p };

	if (actor == NULL || id == NULL || p == NULL ||
	    (p->status != NULL && !valid_status(p->status)) ||
	    (p->roles != NULL && !valid_roles(p->roles)) ||
	    (p->attributes != NULL && !json_is_object(p->attributes)))
		return MP_ERR_INVALID;
	return mp_record_txn(db, update_txn, &c, out);
}

struct disable_ctx {
	const mp_actor *actor;
	const char *tenant_id;
	const char *id;
};

static int
disable_txn(mp_db *db, void *arg)
{
	struct disable_ctx *c = arg;
	PGresult *lock = NULL, *keys = NULL;
	json_t *details = NULL;
	const char *params[2] = { c->id, c->tenant_id };
	uint64_t revoked;
	int r;

	if ((r = mp_db_query_row(db, "SELECT tenant_id, status FROM users WHERE id = $1"
	    " AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE", 2, params, &lock)) != MP_OK)
		goto out;
	if ((r = mp_db_query(db, "UPDATE users SET status = 'disabled', updated_at = now()"
	    " WHERE id = $1", 1, params, NULL)) != MP_OK ||
	    (r = mp_db_query_row(db, "WITH k AS (UPDATE api_keys SET revoked_at = now()"
	    " WHERE user_id = $1 AND revoked_at IS NULL RETURNING 1) SELECT count(*) FROM k", 1,
	    params, &keys)) != MP_OK ||
	    (r = mp_identities_revoke_ssh(db, c->actor, mp_db_value(lock, 0, 0), c->id, NULL)) !=
	    MP_OK)
		goto out;
	if (mp_parse_u64(PQgetvalue(keys, 0, 0), UINT32_MAX, &revoked) != MP_OK) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	if ((details = json_pack("{s:s, s:I}", "from", PQgetvalue(lock, 0, 1), "keys_revoked",
	    (json_int_t)revoked)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	r = mp_audit_write_in(db, c->actor, mp_db_value(lock, 0, 0), "user.disable", "user", c->id,
	    details);
out:
	json_decref(details);
	PQclear(lock);
	PQclear(keys);
	return r;
}

int
mp_user_disable(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id)
{
	struct disable_ctx c = { actor, tenant_id, id };

	if (actor == NULL || id == NULL)
		return MP_ERR_INVALID;
	return mp_db_txn(db, disable_txn, &c);
}
