#include "users.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
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
