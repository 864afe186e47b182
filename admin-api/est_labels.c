/* /api/v1/est/labels: the label segments of the EST listener's URLs. */
#include "resources.h"

#include <stdlib.h>

#include "ca_env.h"
#include "err.h"
#include "est_labels.h"
#include "validate.h"

#define PROFILE_MAX_LEN 128

/*
 * The body's base64_line into *out: 0, 64 or 76, or absent when it is not
 * given. Replies 400 and returns false otherwise.
 */
static bool
line_width(api_call *c, int absent, int *out)
{
	json_t *v = json_object_get(c->body, "base64_line");
	json_int_t w;

	if (v == NULL || json_is_null(v)) {
		*out = absent;
		return true;
	}
	if (!json_is_integer(v)) {
		api_error(c, 400, "wrong_type", "'base64_line' must be 0, 64 or 76", "base64_line");
		return false;
	}
	w = json_integer_value(v);
	if (w != 0 && w != 64 && w != 76) {
		api_error(c, 400, "invalid_value", "'base64_line' must be 0, 64 or 76", "base64_line");
		return false;
	}
	*out = (int)w;
	return true;
}

/*
 * The id of profile (name or id) of tenant or the platform, an X.509 profile
 * whose CA exists, into *info (decref it); replies 422 or fails otherwise.
 */
static bool
label_profile(api_call *c, const char *tenant, const char *profile, json_t **info)
{
	ca_detail d = { { 0 }, { 0 } };
	int r;

	if ((r = ca_enroll_info(c->db, tenant, profile, info, &d)) == MP_OK)
		return true;
	if (r == MP_ERR_NOT_FOUND)
		api_error(c, 422, "refused_by_policy", d.message, "profile");
	else
		api_ca_fail(c, r, &d, NULL, "profile");
	return false;
}

void
api_est_label_create(api_call *c)
{
	static const char *const fields[] = { "tenant", "name", "profile", "base64_line", NULL };
	const char *tenant, *name, *profile;
	json_t *info = NULL, *out = NULL;
	int width, r;

	if (!api_only_fields(c, fields) || !api_target_tenant(c, &tenant) ||
	    !api_string(c, "name", true, MP_EST_LABEL_MAX, &name) ||
	    !api_string(c, "profile", true, PROFILE_MAX_LEN, &profile) ||
	    !line_width(c, 64, &width))
		return;
	if (!mp_est_label_name_ok(name)) {
		api_error(c, 400, "invalid_value", "'name' must be 1 to 64 of A-Z a-z 0-9 - _ . and"
		    " not the name of an EST operation", "name");
		return;
	}
	if (!label_profile(c, tenant, profile, &info))
		return;
	if ((r = mp_est_label_create(c->db, &c->actor, tenant, name,
	    json_string_value(json_object_get(info, "profile_id")), width, &out)) == MP_ERR_CONFLICT)
		api_error(c, 409, "conflict", "an EST label of this name exists already", "name");
	else if (r != MP_OK)
		api_fail(c, r, "EST label");
	else
		api_reply(c, 201, out);
	json_decref(info);
}

void
api_est_label_list(api_call *c)
{
	json_t *items = NULL;
	char *after = NULL;
	unsigned limit;
	int r;

	if (!api_page(c, &limit, &after))
		return;
	r = mp_est_label_list(c->db, api_scope(c), after, limit, &items);
	free(after);
	if (r != MP_OK) {
		api_fail(c, r, "EST labels");
		return;
	}
	api_reply(c, 200, api_page_result(items, limit, "name"));
}

void
api_est_label_get(api_call *c)
{
	api_get_by_id(c, mp_est_label_get, "EST label");
}

void
api_est_label_update(api_call *c)
{
	static const char *const fields[] = { "profile", "base64_line", NULL };
	const char *profile;
	json_t *label = NULL, *info = NULL, *out = NULL;
	int width, r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields) ||
	    !api_string(c, "profile", false, PROFILE_MAX_LEN, &profile) ||
	    !line_width(c, -1, &width))
		return;
	if (profile == NULL && width < 0) {
		api_error(c, 400, "missing_field", "give 'profile', 'base64_line' or both", NULL);
		return;
	}
	if ((r = mp_est_label_get(c->db, api_scope(c), c->params[0], &label)) != MP_OK) {
		api_fail(c, r, "EST label");
		return;
	}
	if (profile != NULL &&
	    !label_profile(c, json_string_value(json_object_get(label, "tenant_id")), profile, &info))
		goto out;
	if ((r = mp_est_label_update(c->db, &c->actor, api_scope(c), c->params[0],
	    json_string_value(json_object_get(info, "profile_id")), width, &out)) != MP_OK) {
		api_fail(c, r, "EST label");
		goto out;
	}
	api_reply(c, 200, out);
out:
	json_decref(info);
	json_decref(label);
}

void
api_est_label_delete(api_call *c)
{
	int r;

	if (!api_path_uuid(c, c->params[0]))
		return;
	if ((r = mp_est_label_delete(c->db, &c->actor, api_scope(c), c->params[0])) != MP_OK) {
		api_fail(c, r, "EST label");
		return;
	}
	mp_http_reply(c->req, 204, NULL, NULL, 0);
}
