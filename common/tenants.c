#include "tenants.h"

#include "err.h"
#include "record.h"

#define COLUMNS "id, name, created_at"

int
mp_tenant_create(mp_db *db, const mp_actor *actor, const char *name, json_t **out)
{
	const char *params[1] = { name };

	if (name == NULL)
		return MP_ERR_INVALID;
	return mp_record_insert(db, actor, "tenant.create", "tenant",
	    "INSERT INTO tenants (name) VALUES ($1) RETURNING " COLUMNS, 1, params, NULL, out);
}

int
mp_tenant_get(mp_db *db, const char *id, json_t **out)
{
	const char *params[1] = { id };

	return mp_record_get(db, "SELECT " COLUMNS " FROM tenants WHERE id = $1", 1, params, out);
}

int
mp_tenant_find_by_name(mp_db *db, const char *name, json_t **out)
{
	const char *params[1] = { name };

	return mp_record_get(db, "SELECT " COLUMNS " FROM tenants WHERE name = $1", 1, params,
	    out);
}

int
mp_tenant_list(mp_db *db, const char *after_name, unsigned limit, json_t **out)
{
	char lim[16];
	const char *params[2] = { after_name, lim };

	mp_record_limit(limit, lim);
	return mp_record_list(db, "SELECT " COLUMNS " FROM tenants"
	    " WHERE $1::text IS NULL OR name > $1 ORDER BY name LIMIT $2", 2, params, out);
}
