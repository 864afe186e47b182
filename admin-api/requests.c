/* /api/v1/requests: issuance requests awaiting approval; approve (issuing) or reject. */
#include "resources.h"

#include <stdlib.h>
#include <string.h>

#include "ca_env.h"
#include "err.h"
#include "validate.h"
#include "values.h"

void
api_request_list(api_call *c)
{
	static const char *const req_statuses[] = { "pending", "approved", "rejected", NULL };
	const char *status = mp_http_req_query(c->req, "status");
	json_t *items = NULL;
	char *after = NULL;
	unsigned limit;
	int r;

	if (status != NULL && !api_in_set(req_statuses, status)) {
		api_error(c, 400, "invalid_value", "'status' may be pending, approved or rejected",
		    "status");
		return;
	}
	if (!api_page_by_id(c, &limit, &after))
		return;
	r = ca_request_list(c->db, api_scope(c), status, after, limit, &items);
	free(after);
	if (r != MP_OK) {
		api_fail(c, r, "requests");
		return;
	}
	api_reply(c, 200, api_page_result(items, limit, "id"));
}

void
api_request_get(api_call *c)
{
	api_get_by_id(c, ca_request_get, "request");
}

void
api_request_approve(api_call *c)
{
	static const char *const fields[] = { NULL };
	ca_detail d = { { 0 }, { 0 } };
	json_t *cert = NULL;
	ca_env env;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields))
		return;
	api_ca_env(c, &env);
	r = ca_request_approve(&env, &c->actor, api_scope(c), c->params[0], &cert, &d);
	if (r == MP_ERR_DENIED) {
		api_error(c, 403, "forbidden", "a request is approved by another user than its requester",
		    NULL);
		return;
	}
	if (r == MP_ERR_CONFLICT && strcmp(d.field, "status") == 0) {
		api_error(c, 409, "conflict", "the request is no longer pending", NULL);
		return;
	}
	if (r == MP_ERR_NOT_FOUND) {
		api_fail(c, r, "request");
		return;
	}
	if (r != MP_OK) {
		api_ca_issue_fail(c, r, &d);
		return;
	}
	api_reply(c, 201, cert);
}

void
api_request_reject(api_call *c)
{
	static const char *const fields[] = { NULL };
	json_t *req = NULL;
	ca_env env;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields))
		return;
	api_ca_env(c, &env);
	r = ca_request_reject(&env, &c->actor, api_scope(c), c->params[0], &req);
	if (r == MP_ERR_DENIED) {
		api_error(c, 403, "forbidden", "a request is rejected by another user than its requester",
		    NULL);
		return;
	}
	if (r == MP_ERR_CONFLICT) {
		api_error(c, 409, "conflict", "the request is no longer pending", NULL);
		return;
	}
	if (r != MP_OK) {
		api_fail(c, r, "request");
		return;
	}
	api_reply(c, 200, req);
}
