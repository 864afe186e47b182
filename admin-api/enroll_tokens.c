/*
 * /api/v1/devices/{id}/enrollment-tokens: pre-enrollment secrets for one
 * device. The token is in the creation response only; lists show the rest.
 */
#include "resources.h"

#include <stdlib.h>
#include <time.h>

#include "devices.h"
#include "enroll_tokens.h"
#include "err.h"
#include "num.h"
#include "profiles.h"
#include "secure.h"
#include "validate.h"

#define TTL_DEFAULT_MS (24ULL * 3600 * 1000)
#define TTL_MIN_MS 60000ULL
#define TTL_MAX_MS (30ULL * 86400 * 1000)
#define USES_MAX 1000

/* The device in the path, visible to the caller: its tenant in *tenant (free it). */
static bool
path_device(api_call *c, char **tenant)
{
	json_t *dev = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]))
		return false;
	if ((r = mp_device_get(c->db, api_scope(c), c->params[0], &dev)) != MP_OK) {
		api_fail(c, r, "device");
		return false;
	}
	*tenant = strdup(json_string_value(json_object_get(dev, "tenant_id")));
	json_decref(dev);
	if (*tenant == NULL) {
		api_fail(c, MP_ERR_NOMEM, "device");
		return false;
	}
	return true;
}

/* The "uses" member: a whole number from 1 to USES_MAX, default 1. */
static bool
token_uses(api_call *c, unsigned *out)
{
	json_t *v = json_object_get(c->body, "uses");

	*out = 1;
	if (v == NULL)
		return true;
	if (!json_is_integer(v)) {
		api_error(c, 400, "wrong_type", "'uses' must be a whole number", "uses");
		return false;
	}
	if (json_integer_value(v) < 1 || json_integer_value(v) > USES_MAX) {
		api_error(c, 400, "out_of_range", "'uses' must be from 1 to 1000", "uses");
		return false;
	}
	*out = (unsigned)json_integer_value(v);
	return true;
}

void
api_enroll_token_create(api_call *c)
{
	static const char *const fields[] = { "profile", "ttl", "uses", NULL };
	const char *profile, *ttl;
	uint64_t ttl_ms = TTL_DEFAULT_MS;
	unsigned uses;
	char *tenant = NULL, *token = NULL;
	json_t *t = NULL, *p = NULL, *out;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields) ||
	    !api_uuid_field(c, "profile", true, &profile) ||
	    !api_string(c, "ttl", false, 16, &ttl) || !token_uses(c, &uses))
		return;
	if (ttl != NULL && (mp_parse_duration_ms(ttl, TTL_MAX_MS, &ttl_ms) != MP_OK ||
			       ttl_ms < TTL_MIN_MS)) {
		api_error(c, 400, "out_of_range",
		    "'ttl' must be a duration from 1m to 30d, e.g. \"24h\" or \"7d\"", "ttl");
		return;
	}
	if (!path_device(c, &tenant))
		return;
	if ((r = mp_profile_get(c->db, tenant, profile, &p)) != MP_OK) {
		if (r == MP_ERR_NOT_FOUND)
			api_error(c, 404, "not_found", "profile not found", "profile");
		else
			api_fail(c, r, "profile");
		goto out;
	}
	r = mp_enroll_token_create(c->db, &c->actor, tenant, c->params[0], profile,
	    (int64_t)time(NULL) + (int64_t)(ttl_ms / 1000), uses, &token, &t);
	if (r != MP_OK) {
		api_fail(c, r, "enrollment token");
		goto out;
	}
	out = json_pack("{s:O, s:s, s:O, s:O}", "id", json_object_get(t, "id"), "token", token,
	    "expires_at", json_object_get(t, "expires_at"), "uses", json_object_get(t, "uses_left"));
	api_reply(c, 201, out);
out:
	mp_free_secret_str(token);
	json_decref(t);
	json_decref(p);
	free(tenant);
}

/* Renames the engine's device_id and profile_id to the API's device and profile. */
static void
present_token(json_t *t)
{
	json_object_set(t, "device", json_object_get(t, "device_id"));
	json_object_set(t, "profile", json_object_get(t, "profile_id"));
	json_object_del(t, "device_id");
	json_object_del(t, "profile_id");
}

void
api_enroll_token_list(api_call *c)
{
	json_t *items = NULL, *t;
	char *after = NULL, *tenant = NULL;
	unsigned limit;
	size_t i;
	int r;

	if (!api_page_by_id(c, &limit, &after))
		return;
	if (!path_device(c, &tenant))
		goto out;
	if ((r = mp_enroll_token_list(c->db, tenant, c->params[0], after, limit, &items)) !=
	    MP_OK) {
		api_fail(c, r, "enrollment tokens");
		goto out;
	}
	json_array_foreach(items, i, t)
		present_token(t);
	api_reply(c, 200, api_page_result(items, limit, "id"));
out:
	free(after);
	free(tenant);
}

void
api_enroll_token_revoke(api_call *c)
{
	char *tenant = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]))
		return;
	if (!api_is_uuid(c->params[1])) {
		api_error(c, 400, "invalid_uuid", "the token id in the path must be a UUID", "tid");
		return;
	}
	if (!path_device(c, &tenant))
		return;
	r = mp_enroll_token_revoke(c->db, &c->actor, tenant, c->params[0], c->params[1]);
	free(tenant);
	if (r != MP_OK) {
		api_fail(c, r, "enrollment token");
		return;
	}
	mp_http_reply(c->req, 204, "application/json", NULL, 0);
}
