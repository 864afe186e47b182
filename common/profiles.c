#include "profiles.h"

#include <stdlib.h>

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
