/* /api/v1/devices: register, list, show and change devices. */
#include "resources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_fields.h"
#include "devices.h"
#include "err.h"
#include "validate.h"

static const char *const statuses[] = { "active", "suspended", "decommissioned", NULL };

void
api_device_create(api_call *c)
{
	static const char *const fields[] = { "tenant", "serial", "model", "manufacturer",
		"attributes", NULL };
	struct api_device_in in;
	struct api_problem p;
	mp_device_new d = { 0 };
	json_t *dev = NULL;
	int r;

	if (!api_only_fields(c, fields) || !api_target_tenant(c, &d.tenant_id))
		return;
	if (!api_device_check(c->body, fields, &in, &p)) {
		api_error(c, 400, p.code, p.message, p.field);
		return;
	}
	d.serial = in.serial;
	d.model = in.model;
	d.manufacturer = in.manufacturer;
	d.attributes = in.attributes;
	r = mp_device_create(c->db, &c->actor, &d, &dev);
	if (r == MP_ERR_CONFLICT) {
		api_error(c, 409, "conflict", "a device with this serial is already registered",
		    "serial");
		return;
	}
	if (r == MP_ERR_INVALID) /* the named tenant does not exist */
		r = MP_ERR_NOT_FOUND;
	if (r != MP_OK) {
		api_fail(c, r, "tenant");
		return;
	}
	api_reply(c, 201, dev);
}

/* A query filter of at most API_DEVICE_STR_MAX bytes; *out NULL when absent. */
static bool
query_filter(api_call *c, const char *name, const char **out)
{
	const char *v = mp_http_req_query(c->req, name);
	char msg[80];

	*out = v;
	if (v == NULL || strlen(v) <= API_DEVICE_STR_MAX)
		return true;
	snprintf(msg, sizeof(msg), "'%s' is longer than %d bytes", name, API_DEVICE_STR_MAX);
	api_error(c, 400, "too_long", msg, name);
	return false;
}

/* Whether s is one of the device statuses. */
static bool
is_status(const char *s)
{
	for (size_t i = 0; statuses[i] != NULL; i++)
		if (strcmp(statuses[i], s) == 0)
			return true;
	return false;
}

void
api_device_list(api_call *c)
{
	mp_device_filter f;
	json_t *items = NULL;
	char *after = NULL;
	unsigned limit;
	int r;

	if (!query_filter(c, "serial", &f.serial) || !query_filter(c, "status", &f.status) ||
	    !query_filter(c, "model", &f.model) || !query_filter(c, "site", &f.site))
		return;
	if (f.status != NULL && !is_status(f.status)) {
		api_error(c, 400, "invalid_value",
		    "'status' may be active, suspended or decommissioned", "status");
		return;
	}
	if (!api_page_by_id(c, &limit, &after))
		return;
	r = mp_device_list(c->db, api_scope(c), &f, after, limit, &items);
	free(after);
	if (r != MP_OK) {
		api_fail(c, r, "devices");
		return;
	}
	api_reply(c, 200, api_page_result(items, limit, "id"));
}

void
api_device_get(api_call *c)
{
	api_get_by_id(c, mp_device_get, "device");
}

void
api_device_patch(api_call *c)
{
	static const char *const fields[] = { "model", "manufacturer", "attributes", "status",
		NULL };
	mp_device_patch p = { 0 };
	struct api_problem prob;
	json_t *dev = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields))
		return;
	if (!api_device_string(c->body, "model", false, &p.model, &prob) ||
	    !api_device_string(c->body, "manufacturer", false, &p.manufacturer, &prob) ||
	    !api_device_attributes(c->body, &p.attributes, &prob)) {
		api_error(c, 400, prob.code, prob.message, prob.field);
		return;
	}
	if (json_is_null(json_object_get(c->body, "attributes"))) {
		api_error(c, 400, "wrong_type", "'attributes' must be an object", "attributes");
		return;
	}
	p.set_model = json_object_get(c->body, "model") != NULL;
	p.set_manufacturer = json_object_get(c->body, "manufacturer") != NULL;
	if (!api_string(c, "status", false, 32, &p.status))
		return;
	if (p.status != NULL && !is_status(p.status)) {
		api_error(c, 400, "invalid_value",
		    "'status' may be active, suspended or decommissioned", "status");
		return;
	}
	r = mp_device_update(c->db, &c->actor, api_scope(c), c->params[0], &p, &dev);
	if (r == MP_ERR_CONFLICT) {
		api_error(c, 409, "conflict", "a decommissioned device cannot change", "status");
		return;
	}
	if (r != MP_OK) {
		api_fail(c, r, "device");
		return;
	}
	api_reply(c, 200, dev);
}
