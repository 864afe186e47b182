/* /api/v1/cas: certification authorities: list, create, import, show, chain, retire. */
#include "resources.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ca_env.h"
#include "err.h"
#include "validate.h"
#include "values.h"

#define NAME_MAX_LEN 128
#define SUBJECT_MAX_LEN 1024
#define ALGORITHM_MAX_LEN 32
#define PEM_MAX_LEN 65536
#define CONSTRAINTS_MAX 64
#define PATH_LEN_MAX 16
#define VALIDITY_MIN_S 3600
#define VALIDITY_MAX_S (36500ULL * 86400)

void
api_ca_list(api_call *c)
{
	api_list_by_id(c, ca_list, "CAs");
}

/*
 * The "name_constraints" member: {"permitted": [...], "excluded": [...]},
 * each an array of strings such as "dns:example.com"; *permitted and
 * *excluded are borrowed (NULL when absent).
 */
static bool
name_constraints(api_call *c, json_t **permitted, json_t **excluded)
{
	json_t *nc = NULL, *list, *it;
	const char *key;
	size_t i;

	*permitted = *excluded = NULL;
	if (!api_object(c, "name_constraints", &nc))
		return false;
	json_object_foreach(nc, key, list) {
		char field[64];
		bool perm = strcmp(key, "permitted") == 0;

		if (!perm && strcmp(key, "excluded") != 0) {
			api_error(c, 400, "unknown_field",
			    "'name_constraints' holds only 'permitted' and 'excluded'",
			    "name_constraints");
			return false;
		}
		snprintf(field, sizeof(field), "name_constraints.%s", key);
		if (!json_is_array(list)) {
			api_error(c, 400, "wrong_type", "a name constraint list must be an array of strings",
			    field);
			return false;
		}
		if (json_array_size(list) > CONSTRAINTS_MAX) {
			api_error(c, 400, "too_long", "at most 64 name constraints per list", field);
			return false;
		}
		json_array_foreach(list, i, it) {
			if (!json_is_string(it) || json_string_length(it) == 0 ||
			    json_string_length(it) > 255) {
				api_error(c, 400, "wrong_type",
				    "a name constraint is a string such as \"dns:example.com\" or \"ip:10.0.0.0/8\"",
				    field);
				return false;
			}
		}
		*(perm ? permitted : excluded) = list;
	}
	return true;
}

void
api_ca_create(api_call *c)
{
	static const char *const fields[] = { "tenant", "name", "parent", "algorithm", "subject",
		"validity", "path_len", "name_constraints", NULL };
	ca_new in = { .path_len = -1 };
	ca_detail d = { { 0 }, { 0 } };
	ca_env env;
	json_t *ca = NULL, *parent = NULL;
	int64_t path_len = -1;
	bool has;
	int r;

	if (!api_only_fields(c, fields) || !api_target_tenant(c, &in.tenant_id) ||
	    !api_string(c, "name", true, NAME_MAX_LEN, &in.name) ||
	    !api_uuid_field(c, "parent", false, &in.parent_id) ||
	    !api_string(c, "algorithm", false, ALGORITHM_MAX_LEN, &in.algorithm) ||
	    !api_string(c, "subject", true, SUBJECT_MAX_LEN, &in.subject) ||
	    !api_duration_member(c, "validity", VALIDITY_MIN_S, VALIDITY_MAX_S, &has,
		&in.validity_s) ||
	    !api_int_member(c, "path_len", 0, PATH_LEN_MAX, &has, &path_len) ||
	    !name_constraints(c, &in.permitted, &in.excluded))
		return;
	in.path_len = (int)path_len;
	if (in.parent_id != NULL) {
		/* the parent must be a CA the new CA's tenant may use */
		if ((r = ca_get(c->db, in.tenant_id, in.parent_id, &parent)) != MP_OK) {
			if (r == MP_ERR_NOT_FOUND)
				api_error(c, 404, "not_found", "parent CA not found", "parent");
			else
				api_fail(c, r, "parent CA");
			return;
		}
		json_decref(parent);
	}
	api_ca_env(c, &env);
	r = ca_create(&env, &c->actor, &in, &ca, &d);
	if (r == MP_ERR_CONFLICT) {
		api_error(c, 409, "conflict", "a CA with this name already exists in the tenant",
		    "name");
		return;
	}
	if (r != MP_OK) {
		api_ca_fail(c, r, &d, NULL, "CA");
		return;
	}
	api_reply(c, 201, ca);
}

void
api_ca_import(api_call *c)
{
	static const char *const fields[] = { "tenant", "name", "certificate_pem",
		"private_key_pem", NULL };
	const char *tenant, *name, *cert, *key;
	ca_detail d = { { 0 }, { 0 } };
	ca_env env;
	json_t *ca = NULL;
	int r;

	if (!api_only_fields(c, fields) || !api_target_tenant(c, &tenant) ||
	    !api_string(c, "name", true, NAME_MAX_LEN, &name) ||
	    !api_pem_member(c, "certificate_pem", true, PEM_MAX_LEN, &cert) ||
	    !api_pem_member(c, "private_key_pem", false, PEM_MAX_LEN, &key))
		goto out;
	api_ca_env(c, &env);
	r = ca_import(&env, &c->actor, tenant, name, cert, key, &ca, &d);
	if (r == MP_ERR_CONFLICT) {
		api_error(c, 409, "conflict", "a CA with this name already exists in the tenant",
		    "name");
		goto out;
	}
	if (r != MP_OK) {
		api_ca_fail(c, r, &d, NULL, "CA");
		goto out;
	}
	api_reply(c, 201, ca);
out:
	api_wipe_secret(c, "private_key_pem");
}

void
api_ca_get(api_call *c)
{
	api_get_by_id(c, ca_get, "CA");
}

void
api_ca_chain(api_call *c)
{
	char *pem = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]))
		return;
	if ((r = ca_chain_pem(c->db, api_scope(c), c->params[0], &pem)) != MP_OK) {
		api_fail(c, r, "CA");
		return;
	}
	api_reply(c, 200, json_pack("{s:s}", "chain_pem", pem));
	free(pem);
}

void
api_ca_retire(api_call *c)
{
	static const char *const fields[] = { NULL };
	json_t *ca = NULL;
	const char *owner;
	ca_env env;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields))
		return;
	if ((r = ca_get(c->db, api_scope(c), c->params[0], &ca)) != MP_OK) {
		api_fail(c, r, "CA");
		return;
	}
	owner = json_string_value(json_object_get(ca, "tenant_id"));
	if (!api_is_platform_admin(c) && (owner == NULL || strcasecmp(owner, c->who.tenant_id) != 0)) {
		json_decref(ca);
		api_error(c, 403, "forbidden", "only a platform admin may retire a platform CA", NULL);
		return;
	}
	json_decref(ca);
	ca = NULL;
	api_ca_env(c, &env);
	if ((r = ca_retire(&env, &c->actor, api_scope(c), c->params[0], &ca)) != MP_OK) {
		api_fail(c, r, "CA");
		return;
	}
	api_reply(c, 200, ca);
}
