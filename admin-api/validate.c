#include "validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "err.h"
#include "num.h"
#include "secure.h"

#define DEFAULT_LIMIT 50
#define MAX_LIMIT 1000
#define MAX_CURSOR 512

/* Sends a 400 with the given code and field and a formatted message; returns false. */
__attribute__((format(printf, 4, 5))) static bool
bad(api_call *c, const char *code, const char *field, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_error(c, 400, code, msg, field);
	return false;
}

bool
api_only_fields(api_call *c, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach(c->body, key, v) {
		size_t i;

		for (i = 0; allowed[i] != NULL && strcmp(allowed[i], key) != 0; i++)
			;
		if (allowed[i] == NULL)
			return bad(c, "unknown_field", key, "unknown field '%.64s'", key);
	}
	return true;
}

bool
api_string(api_call *c, const char *field, bool required, size_t maxlen, const char **out)
{
	json_t *v = json_object_get(c->body, field);
	const char *s;
	size_t len;

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return bad(c, "missing_field", field, "'%s' is required", field);
		return true;
	}
	if (!json_is_string(v))
		return bad(c, "wrong_type", field, "'%s' must be a string", field);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 && required)
		return bad(c, "missing_field", field, "'%s' must not be empty", field);
	if (len > maxlen) {
		char msg[120];

		snprintf(msg, sizeof(msg), "'%s' is longer than %zu bytes", field, maxlen);
		api_error(c, 400, "too_long", msg, field);
		return false;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return bad(c, "invalid_value", field, "'%s' contains a control character",
			    field);
	*out = s;
	return true;
}

bool
api_is_uuid(const char *s)
{
	static const char form[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (s == NULL || strlen(s) != sizeof(form) - 1)
		return false;
	for (size_t i = 0; form[i] != '\0'; i++) {
		char ch = s[i];

		if (form[i] == '-' ? ch != '-' :
				     !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
					 (ch >= 'A' && ch <= 'F')))
			return false;
	}
	return true;
}

bool
api_uuid_field(api_call *c, const char *field, bool required, const char **out)
{
	if (!api_string(c, field, required, 36, out))
		return false;
	if (*out != NULL && !api_is_uuid(*out))
		return bad(c, "invalid_uuid", field, "'%s' must be a UUID", field);
	return true;
}

bool
api_path_uuid(api_call *c, const char *value)
{
	if (api_is_uuid(value))
		return true;
	api_error(c, 400, "invalid_uuid", "the id in the path must be a UUID", "id");
	return false;
}

bool
api_object(api_call *c, const char *field, json_t **out)
{
	json_t *v = json_object_get(c->body, field);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_object(v))
		return bad(c, "wrong_type", field, "'%s' must be an object", field);
	*out = v;
	return true;
}

bool
api_string_array(api_call *c, const char *field, size_t max, json_t **out)
{
	json_t *v = json_object_get(c->body, field), *it;
	size_t i;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_array(v))
		return bad(c, "wrong_type", field, "'%s' must be an array of strings", field);
	if (json_array_size(v) > max)
		return bad(c, "too_long", field, "'%s' has too many elements", field);
	json_array_foreach(v, i, it)
		if (!json_is_string(it))
			return bad(c, "wrong_type", field, "'%s' must be an array of strings", field);
	*out = v;
	return true;
}

bool
api_page(api_call *c, unsigned *limit, char **after)
{
	const char *l = mp_http_req_query(c->req, "limit"), *cur = mp_http_req_query(c->req, "cursor");
	uint8_t *dec = NULL;
	size_t n = 0;
	uint64_t v = DEFAULT_LIMIT;

	*after = NULL;
	if (l != NULL && (mp_parse_u64(l, MAX_LIMIT, &v) != MP_OK || v == 0)) {
		api_error(c, 400, "out_of_range", "'limit' must be a whole number from 1 to 1000",
		    "limit");
		return false;
	}
	*limit = (unsigned)v;
	if (cur == NULL)
		return true;
	if (mp_b64_decode(cur, strlen(cur), true, MAX_CURSOR, &dec, &n) != MP_OK || n == 0 ||
	    memchr(dec, '\0', n) != NULL) {
		free(dec);
		api_error(c, 400, "invalid_cursor", "'cursor' is not a cursor this API returned",
		    "cursor");
		return false;
	}
	*after = strndup((const char *)dec, n);
	free(dec);
	if (*after == NULL) {
		api_fail(c, MP_ERR_NOMEM, "cursor");
		return false;
	}
	return true;
}

bool
api_page_by_id(api_call *c, unsigned *limit, char **after)
{
	if (!api_page(c, limit, after))
		return false;
	if (*after == NULL || api_is_uuid(*after))
		return true;
	free(*after);
	*after = NULL;
	api_error(c, 400, "invalid_cursor", "'cursor' is not a cursor this API returned", "cursor");
	return false;
}

json_t *
api_page_result(json_t *items, unsigned limit, const char *key)
{
	json_t *last = json_array_get(items, json_array_size(items) - 1), *next = json_null();
	const char *k = json_string_value(json_object_get(last, key));
	char *enc = NULL;

	if (json_array_size(items) == limit && k != NULL &&
	    mp_b64_encode((const uint8_t *)k, strlen(k), true, &enc) == MP_OK) {
		next = json_string(enc);
		free(enc);
	}
	return json_pack("{s:o, s:o}", "items", items, "next_cursor", next);
}

bool
api_target_tenant(api_call *c, const char **out)
{
	const char *t;

	if (!api_uuid_field(c, "tenant", false, &t))
		return false;
	if (t == NULL || strcasecmp(t, c->who.tenant_id) == 0) {
		*out = c->who.tenant_id;
		return true;
	}
	if (!api_is_platform_admin(c)) {
		api_error(c, 404, "not_found", "tenant not found", "tenant");
		return false;
	}
	*out = t;
	return true;
}

void
api_get_by_id(api_call *c, api_get_fn fn, const char *what)
{
	json_t *obj = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]))
		return;
	if ((r = fn(c->db, api_scope(c), c->params[0], &obj)) != MP_OK) {
		api_fail(c, r, what);
		return;
	}
	api_reply(c, 200, obj);
}

bool
api_find_member(api_call *c, api_get_fn fn, const char *id, const char *field, json_t **out)
{
	char msg[80];
	int r;

	if ((r = fn(c->db, api_scope(c), id, out)) == MP_OK)
		return true;
	snprintf(msg, sizeof(msg), "%s not found", field);
	if (r == MP_ERR_NOT_FOUND)
		api_error(c, 404, "not_found", msg, field);
	else
		api_fail(c, r, field);
	return false;
}

void
api_list_by_id(api_call *c, api_list_fn fn, const char *what)
{
	json_t *items = NULL;
	char *after = NULL;
	unsigned limit;
	int r;

	if (!api_page_by_id(c, &limit, &after))
		return;
	r = fn(c->db, api_scope(c), after, limit, &items);
	free(after);
	if (r != MP_OK) {
		api_fail(c, r, what);
		return;
	}
	api_reply(c, 200, api_page_result(items, limit, "id"));
}

bool
api_query_text(api_call *c, const char *name, size_t max, const char **out)
{
	const char *v = mp_http_req_query(c->req, name);
	char msg[80];

	*out = v;
	if (v == NULL || strlen(v) <= max)
		return true;
	snprintf(msg, sizeof(msg), "'%s' is longer than %zu bytes", name, max);
	api_error(c, 400, "too_long", msg, name);
	return false;
}

bool
api_query_uuid(api_call *c, const char *name, const char **out)
{
	char msg[80];

	*out = mp_http_req_query(c->req, name);
	if (*out == NULL || api_is_uuid(*out))
		return true;
	snprintf(msg, sizeof(msg), "'%s' must be a UUID", name);
	api_error(c, 400, "invalid_uuid", msg, name);
	return false;
}
