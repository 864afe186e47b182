#include "est_labels.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "record.h"

/* The label row l with its profile's name, for a statement whose first steps make l. */
#define SELECT_LABEL " SELECT l.id, l.tenant_id, l.name, l.profile_id, p.name AS profile," \
	" p.body->>'ca' AS ca, l.base64_line, l.created_at, l.updated_at" \
	" FROM l JOIN profiles p ON p.id = l.profile_id"
#define FROM_LABELS "WITH l AS (SELECT * FROM est_labels)"

bool
mp_est_label_name_ok(const char *name)
{
	static const char *const ops[] = { "cacerts", "csrattrs", "simpleenroll",
		"simplereenroll", "serverkeygen", "fullcmc", NULL };
	size_t n;

	if (name == NULL || (n = strlen(name)) == 0 || n > MP_EST_LABEL_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_' || ch == '.'))
			return false;
	}
	for (size_t i = 0; ops[i] != NULL; i++)
		if (strcmp(name, ops[i]) == 0)
			return false;
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static bool
width_ok(int w)
{
	return w == 0 || w == 64 || w == 76;
}

int
mp_est_label_create(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *name, const char *profile_id, int base64_line, json_t **out)
{
	char width[16];
	const char *params[4] = { tenant_id, name, profile_id, width };
	json_t *details;
	int r;

	if (tenant_id == NULL || profile_id == NULL || !mp_est_label_name_ok(name) ||
	    !width_ok(base64_line))
		return MP_ERR_INVALID;
	snprintf(width, sizeof(width), "%d", base64_line);
	if ((details = json_pack("{s:s, s:s, s:i}", "name", name, "profile_id", profile_id,
	    "base64_line", base64_line)) == NULL)
		return MP_ERR_NOMEM;
	r = mp_record_insert(db, actor, "est_label.create", "est_label",
	    "WITH l AS (INSERT INTO est_labels (tenant_id, name, profile_id, base64_line)"
	    " VALUES ($1, $2, $3, $4) RETURNING *)" SELECT_LABEL, 4, params, details, out);
	json_decref(details);
	return r;
}

int
mp_est_label_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	return mp_record_get(db, FROM_LABELS SELECT_LABEL
	    " WHERE l.id = $1 AND ($2::uuid IS NULL OR l.tenant_id = $2)", 2, params, out);
}

int
mp_est_label_find(mp_db *db, const char *name, json_t **out)
{
	const char *params[1] = { name };

	if (name == NULL)
		return MP_ERR_INVALID;
	return mp_record_get(db, FROM_LABELS SELECT_LABEL " WHERE l.name = $1", 1, params, out);
}

int
mp_est_label_list(mp_db *db, const char *tenant_id, const char *after_name, unsigned limit,
    json_t **out)
{
	char lim[16];
	const char *params[3] = { tenant_id, after_name, lim };

	mp_record_limit(limit, lim);
	return mp_record_list(db, FROM_LABELS SELECT_LABEL
	    " WHERE ($1::uuid IS NULL OR l.tenant_id = $1) AND ($2::text IS NULL OR l.name > $2)"
	    " ORDER BY l.name LIMIT $3", 3, params, out);
}

int
mp_est_label_update(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id,
    const char *profile_id, int base64_line, json_t **out)
{
	char width[16];
	const char *params[4] = { id, tenant_id, profile_id, base64_line >= 0 ? width : NULL };
	json_t *details = NULL;
	int r = MP_ERR_NOMEM;

	if (id == NULL || (base64_line >= 0 && !width_ok(base64_line)))
		return MP_ERR_INVALID;
	snprintf(width, sizeof(width), "%d", base64_line);
	if ((details = json_object()) == NULL ||
	    (profile_id != NULL &&
	    json_object_set_new(details, "profile_id", json_string(profile_id)) != 0) ||
	    (base64_line >= 0 &&
	    json_object_set_new(details, "base64_line", json_integer(base64_line)) != 0))
		goto out;
	r = mp_record_insert(db, actor, "est_label.update", "est_label",
	    "WITH l AS (UPDATE est_labels SET profile_id = COALESCE($3::uuid, profile_id),"
	    " base64_line = COALESCE($4::integer, base64_line), updated_at = now()"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) RETURNING *)" SELECT_LABEL,
	    4, params, details, out);
out:
	json_decref(details);
	return r;
}

int
mp_est_label_delete(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id)
{
	const char *params[2] = { id, tenant_id };

	if (actor == NULL || id == NULL)
		return MP_ERR_INVALID;
	return mp_record_insert(db, actor, "est_label.delete", "est_label",
	    "DELETE FROM est_labels WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)"
	    " RETURNING id, tenant_id, name", 2, params, NULL, NULL);
}
