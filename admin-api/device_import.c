/*
 * POST /api/v1/devices:import: many devices in one request, as JSON lines
 * (application/x-ndjson, one device object per line) or CSV with a header row
 * (text/csv: columns serial, model, manufacturer; every other column is a
 * string attribute such as site). All or nothing: any bad line, a serial
 * twice in the body or one already registered refuses the whole import with
 * 422 and a report of every such line.
 */
#include "resources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "device_parse.h"
#include "devices.h"
#include "err.h"
#include "json.h"
#include "validate.h"

/* Orders rejected entries by line. */
static int
by_line(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "line"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "line"));

	return (x > y) - (x < y);
}

/* Replies 422 with every rejected line in line order. */
static void
refuse(api_call *c, json_t *rejected)
{
	size_t n = json_array_size(rejected);
	json_t **v = calloc(n ? n : 1, sizeof(*v)), *sorted = json_array(), *doc;
	char msg[120];

	if (v == NULL || sorted == NULL) {
		free(v);
		json_decref(sorted);
		api_fail(c, MP_ERR_NOMEM, "import");
		return;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(rejected, i);
	qsort(v, n, sizeof(*v), by_line);
	for (size_t i = 0; i < n; i++)
		json_array_append(sorted, v[i]);
	free(v);
	snprintf(msg, sizeof(msg), "%zu line%s rejected; nothing was imported", n,
	    n == 1 ? "" : "s");
	doc = json_pack("{s:{s:s, s:s}, s:o}", "error", "code", "import_rejected", "message",
	    msg, "rejected", sorted);
	if (doc == NULL) {
		api_fail(c, MP_ERR_NOMEM, "import");
		return;
	}
	api_reply(c, 422, doc);
}

/* Adds the already registered serials to the rejected lines; false when it replied. */
static bool
add_conflicts(api_call *c, struct api_import *im, json_t *conflicts)
{
	json_t *e;
	size_t i;

	json_array_foreach(conflicts, i, e) {
		if (!api_import_reject(im, (size_t)json_integer_value(json_object_get(e, "line")), "conflict",
			"a device with this serial is already registered", "serial")) {
			api_fail(c, MP_ERR_NOMEM, "import");
			return false;
		}
	}
	return true;
}

/* The tenant to import into: ?tenant= (platform admins) or the caller's; replies when false. */
static bool
import_tenant(api_call *c, const char **out)
{
	const char *t = mp_http_req_query(c->req, "tenant");

	if (t == NULL || (api_is_uuid(t) && strcasecmp(t, c->who.tenant_id) == 0)) {
		*out = c->who.tenant_id;
		return true;
	}
	if (!api_is_uuid(t)) {
		api_error(c, 400, "invalid_uuid", "'tenant' must be a UUID", "tenant");
		return false;
	}
	if (!api_is_platform_admin(c)) {
		api_error(c, 404, "not_found", "tenant not found", "tenant");
		return false;
	}
	*out = t;
	return true;
}

/* "ndjson", "csv", or NULL for another Content-Type (parameters such as charset allowed). */
static const char *
import_format(const char *ct)
{
	if (mp_http_media_type_is(ct, "application/x-ndjson"))
		return "ndjson";
	if (mp_http_media_type_is(ct, "text/csv"))
		return "csv";
	return NULL;
}

void
api_device_import(api_call *c)
{
	struct api_import im;
	const char *format, *tenant, *body;
	json_t *conflicts = NULL;
	size_t len;
	int r;

	if (api_import_init(&im) != MP_OK) {
		api_fail(c, MP_ERR_NOMEM, "import");
		return;
	}
	if (!import_tenant(c, &tenant))
		goto out;
	if ((format = import_format(mp_http_req_header(c->req, "Content-Type"))) == NULL) {
		api_error(c, 415, "unsupported_media_type",
		    "an import is application/x-ndjson (JSON lines) or text/csv", NULL);
		goto out;
	}
	body = (const char *)mp_http_req_body(c->req, &len);
	if ((r = api_import_parse(&im, strcmp(format, "csv") == 0, body, len)) != MP_OK) {
		if (r == MP_ERR_INVALID)
			api_error(c, 400, "malformed_csv", im.header_error, NULL);
		else
			api_fail(c, r, "import");
		goto out;
	}
	if (im.lines > API_IMPORT_MAX_LINES) {
		api_error(c, 413, "too_many_devices", "an import holds at most 200000 devices", NULL);
		goto out;
	}
	if (im.lines == 0) {
		api_error(c, 400, "missing_field", "the import holds no devices", NULL);
		goto out;
	}
	if (json_array_size(im.rejected) > 0) {
		if (json_array_size(im.rows) > 0 &&
		    (r = mp_device_registered(c->db, tenant, im.rows, &conflicts)) != MP_OK) {
			api_fail(c, r == MP_ERR_INVALID ? MP_ERR_NOT_FOUND : r, "tenant");
			goto out;
		}
	} else if ((r = mp_device_import(c->db, &c->actor, tenant, im.rows, format,
			&conflicts)) != MP_OK) {
		/* an unknown tenant is a foreign-key violation */
		api_fail(c, r == MP_ERR_INVALID ? MP_ERR_NOT_FOUND : r, "tenant");
		goto out;
	}
	if (!add_conflicts(c, &im, conflicts))
		goto out;
	if (json_array_size(im.rejected) > 0) {
		refuse(c, im.rejected);
		goto out;
	}
	api_reply(c, 201, json_pack("{s:I}", "imported", (json_int_t)json_array_size(im.rows)));
out:
	json_decref(conflicts);
	api_import_free(&im);
}
