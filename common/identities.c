#include "identities.h"

#include "err.h"
#include "record.h"

#define COLUMNS "id, tenant_id, kind, device_id, user_id, profile_id, status, not_before," \
	" not_after, ref, created_at, updated_at"

int
mp_identity_create(mp_db *db, const mp_actor *actor, const mp_identity_new *in, json_t **out)
{
	char nb[24], na[24];
	const char *params[9];

	if (in == NULL || in->tenant_id == NULL || in->profile_id == NULL || in->not_before < 0 ||
	    in->not_after < 0)
		return MP_ERR_INVALID;
	mp_record_time(in->not_before, nb);
	mp_record_time(in->not_after, na);
	params[0] = in->tenant_id;
	params[1] = in->kind;
	params[2] = in->device_id;
	params[3] = in->user_id;
	params[4] = in->profile_id;
	params[5] = in->status != NULL ? in->status : "pending";
	params[6] = nb;
	params[7] = na;
	params[8] = in->ref;
	return mp_record_insert(db, actor, "identity.create", "identity",
	    "INSERT INTO identities (tenant_id, kind, device_id, user_id, profile_id, status,"
	    " not_before, not_after, ref)"
	    " SELECT $1, coalesce($2, p.kind), $3, $4, $5, $6,"
	    " CASE WHEN $7::bigint = 0 THEN NULL ELSE to_timestamp($7::bigint) END,"
	    " CASE WHEN $8::bigint = 0 THEN NULL ELSE to_timestamp($8::bigint) END, $9"
	    " FROM (SELECT ($5::uuid) AS id) AS want"
	    " LEFT JOIN profiles p ON p.id = want.id AND p.tenant_id = $1"
	    " RETURNING " COLUMNS, 9, params, NULL, out);
}

int
mp_identity_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	return mp_record_get(db, "SELECT " COLUMNS " FROM identities"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)", 2, params, out);
}

static const char *const identity_final[] = { "revoked", "expired", NULL };

static const struct mp_status_spec identity_status = {
	"SELECT tenant_id, status FROM identities"
	" WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE",
	"UPDATE identities SET status = $2, updated_at = now() WHERE id = $1 RETURNING " COLUMNS,
	identity_final,
	"identity.status",
	"identity",
};

int
mp_identity_set_status(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id, const char *status, json_t **out)
{
	return mp_record_set_status(db, actor, &identity_status, tenant_id, id, status, out);
}
