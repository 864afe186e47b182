/* /api/v1/audit: the audit log, filtered and paged newest first, and its chain check. */
#include "resources.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_query.h"
#include "codec.h"
#include "err.h"
#include "num.h"
#include "rfc3339.h"
#include "validate.h"

#define FILTER_MAX_LEN 256
#define SEAL_BATCH 1000

/* A time query parameter; replies 400 and returns false when it is not RFC 3339. */
static bool
time_query(api_call *c, const char *name, const char **out)
{
	const char *v = mp_http_req_query(c->req, name);
	char msg[120];

	if (v != NULL && !api_rfc3339_parse(v, NULL)) {
		snprintf(msg, sizeof(msg),
		    "'%s' must be an RFC 3339 time such as 2024-05-01T10:00:00Z", name);
		api_error(c, 400, "invalid_value", msg, name);
		return false;
	}
	*out = v;
	return true;
}

/* A text query parameter of at most FILTER_MAX_LEN bytes. */
static bool
text_query(api_call *c, const char *name, const char **out)
{
	const char *v = mp_http_req_query(c->req, name);
	char msg[120];

	if (v != NULL && strlen(v) > FILTER_MAX_LEN) {
		snprintf(msg, sizeof(msg), "'%s' is longer than %d bytes", name, FILTER_MAX_LEN);
		api_error(c, 400, "too_long", msg, name);
		return false;
	}
	*out = v;
	return true;
}

/* {"items", "next_cursor"}: the cursor encodes the last entry's id when the page is full. */
static json_t *
page(json_t *items, unsigned limit)
{
	json_t *last = json_array_get(items, json_array_size(items) - 1), *next = json_null();
	char id[24], *enc = NULL;

	if (json_array_size(items) == limit && json_is_integer(json_object_get(last, "id"))) {
		snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(last, "id")));
		if (mp_b64_encode((const uint8_t *)id, strlen(id), true, &enc) == MP_OK)
			next = json_string(enc);
		free(enc);
	}
	return json_pack("{s:o, s:o}", "items", items, "next_cursor", next);
}

void
api_audit_list(api_call *c)
{
	mp_audit_filter f = { .tenant_id = api_scope(c) };
	json_t *items = NULL;
	char *after = NULL;
	unsigned limit;
	int r;

	if (!api_page(c, &limit, &after) || !time_query(c, "since", &f.since) ||
	    !time_query(c, "until", &f.until) || !text_query(c, "actor", &f.actor) ||
	    !text_query(c, "action", &f.action) || !text_query(c, "object", &f.object))
		goto out;
	if (after != NULL && (mp_parse_u64(after, INT64_MAX, &f.before_id) != MP_OK ||
	    f.before_id == 0)) {
		api_error(c, 400, "invalid_cursor", "'cursor' is not a cursor this API returned",
		    "cursor");
		goto out;
	}
	if ((r = mp_audit_list(c->db, &f, limit, &items)) != MP_OK) {
		api_fail(c, r, "audit entries");
		goto out;
	}
	api_reply(c, 200, page(items, limit));
out:
	free(after);
}

void
api_audit_verify(api_call *c)
{
	uint64_t checked = 0, bad_seq = 0;
	unsigned sealed;
	char reason[256] = "";
	int r;

	do {
		if ((r = mp_audit_seal(c->db, SEAL_BATCH, &sealed)) != MP_OK) {
			api_fail(c, r, "audit sealing");
			return;
		}
	} while (sealed == SEAL_BATCH);
	r = mp_audit_verify(c->db, &checked, &bad_seq, reason, sizeof(reason));
	if (r == MP_OK)
		api_reply(c, 200, json_pack("{s:b, s:I}", "ok", 1, "entries", (json_int_t)checked));
	else if (r == MP_ERR_INTEGRITY)
		api_reply(c, 200, json_pack("{s:b, s:I, s:s}", "ok", 0, "first_bad",
		    (json_int_t)bad_seq, "reason", reason));
	else
		api_fail(c, r, "audit verification");
}
