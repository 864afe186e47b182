#include "label.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "est.h"
#include "est_labels.h"
#include "err.h"
#include "reply.h"
#include "worker.h"

const est_label *
est_label_of(const mp_http_req *req)
{
	return mp_http_req_data(req);
}

/*
 * The operation's route for op (e.g. "simpleenroll"), or NULL. Sets *allowed
 * to whether method is the operation's (HEAD counts as GET).
 */
static const mp_http_route *
operation(const char *op, const char *method, bool *allowed)
{
	static const char prefix[] = EST_PREFIX "/";

	for (size_t i = 0; i < est_routes_count; i++) {
		const mp_http_route *rt = &est_routes[i];

		if (rt->fn == est_labelled || strncmp(rt->path, prefix, sizeof(prefix) - 1) != 0 ||
		    strcmp(rt->path + sizeof(prefix) - 1, op) != 0)
			continue;
		*allowed = strcmp(rt->method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0);
		return rt;
	}
	return NULL;
}

void
est_labelled(mp_http_req *req, void *arg)
{
	mp_worker *w = mp_http_req_worker(req);
	const char *rest = mp_http_req_path(req) + strlen(EST_PREFIX "/"), *op, *slash;
	const mp_http_route *rt;
	json_t *row = NULL;
	char name[MP_EST_LABEL_MAX + 1];
	est_label label;
	bool allowed = false;
	int r;

	slash = strchr(rest, '/');
	op = slash != NULL ? slash + 1 : rest;
	if ((rt = operation(op, mp_http_req_method(req), &allowed)) == NULL ||
	    (slash != NULL && (size_t)(slash - rest) > MP_EST_LABEL_MAX)) {
		est_reply_text(req, 404, "no such EST operation");
		return;
	}
	if (!allowed) {
		mp_http_set_header(req, "Allow", strcmp(rt->method, "GET") == 0 ? "GET, HEAD" : "POST");
		est_reply_text(req, 405, "this method is not allowed on this operation");
		return;
	}
	if (slash == NULL) {
		est_reply_text(req, 404, "no such EST operation");
		return;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(slash - rest), rest);
	if (!mp_est_label_name_ok(name) ||
	    (r = mp_est_label_find(w->db, name, &row)) == MP_ERR_NOT_FOUND) {
		est_reply_text(req, 404, "no such EST label");
		goto out;
	}
	if (r != MP_OK) {
		est_reply_fail(req, r, "EST label");
		goto out;
	}
	label.name = json_string_value(json_object_get(row, "name"));
	label.tenant_id = json_string_value(json_object_get(row, "tenant_id"));
	label.profile_id = json_string_value(json_object_get(row, "profile_id"));
	label.base64_line = (size_t)json_integer_value(json_object_get(row, "base64_line"));
	mp_http_req_set_data(req, &label);
	rt->fn(req, arg);
	mp_http_req_set_data(req, NULL);
out:
	json_decref(row);
}
