/* /api/v1/users: people and their roles, and their API keys. */
#include "resources.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "apikeys.h"
#include "err.h"
#include "num.h"
#include "secure.h"
#include "users.h"
#include "validate.h"

#define NAME_MAX_LEN 128
#define EMAIL_MAX_LEN 254
#define MAX_ROLES 5
#define KEY_TTL_DEFAULT_MS (90ULL * 86400 * 1000)
#define KEY_TTL_MAX_MS (3650ULL * 86400 * 1000)

struct user_new {
	api_call *c;
	const char *tenant, *name, *email;
	json_t *attributes, *roles, *user;
};

/* Creates the user and grants its roles in one transaction. */
static int
user_create_txn(mp_db *db, void *arg)
{
	struct user_new *u = arg;
	json_t *role, *roles = NULL;
	size_t i;
	int r;

	json_decref(u->user);
	u->user = NULL;
	if ((r = mp_user_create(db, &u->c->actor, u->tenant, u->name, u->email, u->attributes,
		 &u->user)) != MP_OK)
		return r;
	json_array_foreach(u->roles, i, role) {
		r = mp_user_add_role(db, &u->c->actor, u->tenant,
		    json_string_value(json_object_get(u->user, "id")), json_string_value(role));
		if (r != MP_OK)
			return r;
	}
	if ((r = mp_user_list_roles(db, u->tenant, json_string_value(json_object_get(u->user, "id")),
		 &roles)) != MP_OK)
		return r;
	json_object_set_new(u->user, "roles", roles);
	return MP_OK;
}

/* Checks the requested roles: known names, no duplicates, none above the caller's. */
static bool
check_roles(api_call *c, json_t *roles)
{
	unsigned seen = 0;
	json_t *v;
	size_t i;

	json_array_foreach(roles, i, v) {
		mp_role role;

		if (mp_role_parse(json_string_value(v), &role) != MP_OK) {
			api_error(c, 400, "invalid_value",
			    "'roles' may hold platform-admin, tenant-admin, operator, auditor, technician",
			    "roles");
			return false;
		}
		if (seen & role) {
			api_error(c, 400, "invalid_value", "'roles' lists a role twice", "roles");
			return false;
		}
		seen |= role;
		if (role == MP_ROLE_PLATFORM_ADMIN && !api_is_platform_admin(c)) {
			api_error(c, 403, "forbidden", "only a platform admin may grant platform-admin",
			    "roles");
			return false;
		}
	}
	return true;
}

void
api_user_create(api_call *c)
{
	static const char *const fields[] = { "tenant", "name", "email", "roles", "attributes",
		NULL };
	struct user_new u = { .c = c };
	int r;

	if (!api_only_fields(c, fields) || !api_target_tenant(c, &u.tenant) ||
	    !api_string(c, "name", true, NAME_MAX_LEN, &u.name) ||
	    !api_string(c, "email", false, EMAIL_MAX_LEN, &u.email) ||
	    !api_string_array(c, "roles", MAX_ROLES, &u.roles) ||
	    !api_object(c, "attributes", &u.attributes) || !check_roles(c, u.roles))
		return;
	if ((r = mp_db_txn(c->db, user_create_txn, &u)) != MP_OK) {
		json_decref(u.user);
		api_fail(c, r, "user");
		return;
	}
	api_reply(c, 201, u.user);
}

void
api_user_list(api_call *c)
{
	api_list_by_id(c, mp_user_list, "users");
}

void
api_user_get(api_call *c)
{
	api_get_by_id(c, mp_user_get, "user");
}

void
api_apikey_create(api_call *c)
{
	static const char *const fields[] = { "ttl", NULL };
	uint64_t ttl_ms = KEY_TTL_DEFAULT_MS;
	const char *ttl;
	char *key = NULL;
	json_t *k = NULL, *out;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields) ||
	    !api_string(c, "ttl", false, 16, &ttl))
		return;
	if (ttl != NULL && (mp_parse_duration_ms(ttl, KEY_TTL_MAX_MS, &ttl_ms) != MP_OK ||
			       ttl_ms < 60000)) {
		api_error(c, 400, "out_of_range",
		    "'ttl' must be a duration from 1m to 3650d, e.g. \"90d\" or \"12h\"", "ttl");
		return;
	}
	r = mp_apikey_create(c->db, &c->actor, api_scope(c), c->params[0],
	    (int64_t)time(NULL) + (int64_t)(ttl_ms / 1000), &key, &k);
	if (r != MP_OK) {
		api_fail(c, r, "user");
		return;
	}
	out = json_pack("{s:O, s:s, s:O}", "id", json_object_get(k, "id"), "key", key,
	    "expires_at", json_object_get(k, "expires_at"));
	mp_free_secret_str(key);
	json_decref(k);
	api_reply(c, 201, out);
}

/* Whether the user object holds the role named name. */
static bool
has_role(json_t *user, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(user, "roles"), i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	return false;
}

/*
 * Whether the caller may change the user id: it exists in the caller's scope
 * (else 404) and is no platform admin unless the caller is one (else 403).
 */
static bool
may_change(api_call *c, const char *id)
{
	json_t *u = NULL;
	bool pa;
	int r;

	if ((r = mp_user_get(c->db, api_scope(c), id, &u)) != MP_OK) {
		api_fail(c, r, "user");
		return false;
	}
	pa = has_role(u, "platform-admin");
	json_decref(u);
	if (pa && !api_is_platform_admin(c)) {
		api_error(c, 403, "forbidden", "only a platform admin may change a platform admin",
		    NULL);
		return false;
	}
	return true;
}

/* Whether the new role set keeps every administrator role the caller holds. */
static bool
keeps_admin_roles(const api_call *c, json_t *roles)
{
	static const mp_role admin[] = { MP_ROLE_PLATFORM_ADMIN, MP_ROLE_TENANT_ADMIN };
	json_t *v;
	size_t i, k;

	for (k = 0; k < sizeof(admin) / sizeof(admin[0]); k++) {
		bool kept = false;

		if ((c->who.roles & admin[k]) == 0)
			continue;
		json_array_foreach(roles, i, v)
			kept = kept || strcmp(json_string_value(v), mp_role_name(admin[k])) == 0;
		if (!kept)
			return false;
	}
	return true;
}

void
api_user_update(api_call *c)
{
	static const char *const fields[] = { "email", "attributes", "roles", "status", NULL };
	const char *id = c->params[0];
	mp_user_patch p = { 0 };
	bool self;
	json_t *u = NULL;
	int r;

	if (!api_path_uuid(c, id) || !api_only_fields(c, fields) ||
	    !api_string(c, "email", false, EMAIL_MAX_LEN, &p.email) ||
	    !api_object(c, "attributes", &p.attributes) ||
	    !api_string_array(c, "roles", MAX_ROLES, &p.roles) ||
	    !api_string(c, "status", false, 16, &p.status) || !check_roles(c, p.roles))
		return;
	if (p.status != NULL && strcmp(p.status, "active") != 0 &&
	    strcmp(p.status, "suspended") != 0 && strcmp(p.status, "disabled") != 0) {
		api_error(c, 400, "invalid_value", "'status' must be active, suspended or disabled",
		    "status");
		return;
	}
	if (!may_change(c, id))
		return;
	self = strcasecmp(id, c->who.user_id) == 0;
	if (self && p.roles != NULL && !keeps_admin_roles(c, p.roles)) {
		api_error(c, 409, "conflict", "you may not remove your own administrator role",
		    "roles");
		return;
	}
	if (self && p.status != NULL && strcmp(p.status, "active") != 0) {
		api_error(c, 409, "conflict", "you may not suspend or disable yourself", "status");
		return;
	}
	if ((r = mp_user_update(c->db, &c->actor, api_scope(c), id, &p, &u)) != MP_OK) {
		api_fail(c, r, "user");
		return;
	}
	api_reply(c, 200, u);
}

void
api_user_delete(api_call *c)
{
	const char *id = c->params[0];
	int r;

	if (!api_path_uuid(c, id))
		return;
	if (strcasecmp(id, c->who.user_id) == 0) {
		api_error(c, 409, "conflict", "you may not delete yourself", NULL);
		return;
	}
	if (!may_change(c, id))
		return;
	if ((r = mp_user_disable(c->db, &c->actor, api_scope(c), id)) != MP_OK) {
		api_fail(c, r, "user");
		return;
	}
	mp_http_reply(c->req, 204, NULL, NULL, 0);
}

void
api_apikey_list(api_call *c)
{
	json_t *items = NULL;
	char *after = NULL;
	unsigned limit;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_page_by_id(c, &limit, &after))
		return;
	r = mp_apikey_list(c->db, api_scope(c), c->params[0], after, limit, &items);
	free(after);
	if (r != MP_OK) {
		api_fail(c, r, "user");
		return;
	}
	api_reply(c, 200, api_page_result(items, limit, "id"));
}

void
api_apikey_revoke(api_call *c)
{
	const char *uid = c->params[0], *kid = c->params[1];
	json_t *k = NULL;
	bool mine;
	int r;

	if (!api_path_uuid(c, uid) || !api_path_uuid(c, kid) || !may_change(c, uid))
		return;
	if ((r = mp_apikey_get(c->db, api_scope(c), kid, &k)) != MP_OK) {
		api_fail(c, r, "API key");
		return;
	}
	mine = strcasecmp(json_string_value(json_object_get(k, "user_id")), uid) == 0;
	json_decref(k);
	if (!mine) {
		api_fail(c, MP_ERR_NOT_FOUND, "API key");
		return;
	}
	if ((r = mp_apikey_revoke(c->db, &c->actor, api_scope(c), kid)) != MP_OK) {
		api_fail(c, r, "API key");
		return;
	}
	mp_http_reply(c->req, 204, NULL, NULL, 0);
}
