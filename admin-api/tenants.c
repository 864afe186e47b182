/* /api/v1/tenants: create, list and show tenants. */
#include "resources.h"

#include <string.h>
#include <strings.h>

#include "err.h"
#include "tenants.h"
#include "validate.h"

#define NAME_MAX_LEN 128

void
api_tenant_create(api_call *c)
{
	static const char *const fields[] = { "name", NULL };
	const char *name;
	json_t *t = NULL;
	int r;

	if (!api_only_fields(c, fields) || !api_string(c, "name", true, NAME_MAX_LEN, &name))
		return;
	if ((r = mp_tenant_create(c->db, &c->actor, name, &t)) != MP_OK) {
		api_fail(c, r, "tenant");
		return;
	}
	api_reply(c, 201, t);
}

void
api_tenant_list(api_call *c)
{
	json_t *items = NULL, *own = NULL;
	char *after = NULL;
	unsigned limit;
	int r;

	if (!api_page(c, &limit, &after))
		return;
	if (api_is_platform_admin(c)) {
		r = mp_tenant_list(c->db, after, limit, &items);
	} else if ((r = mp_tenant_get(c->db, c->who.tenant_id, &own)) == MP_OK) {
		items = json_array();
		if (after == NULL || strcmp(after, json_string_value(json_object_get(own, "name"))) < 0)
			json_array_append(items, own);
		json_decref(own);
	}
	free(after);
	if (r != MP_OK) {
		api_fail(c, r, "tenants");
		return;
	}
	api_reply(c, 200, api_page_result(items, limit, "name"));
}

void
api_tenant_get(api_call *c)
{
	const char *id = c->params[0];
	json_t *t = NULL;
	int r;

	if (!api_path_uuid(c, id))
		return;
	if (!api_is_platform_admin(c) && strcasecmp(id, c->who.tenant_id) != 0) {
		api_fail(c, MP_ERR_NOT_FOUND, "tenant");
		return;
	}
	if ((r = mp_tenant_get(c->db, id, &t)) != MP_OK) {
		api_fail(c, r, "tenant");
		return;
	}
	api_reply(c, 200, t);
}
