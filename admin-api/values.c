#include "values.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "num.h"
#include "rfc3339.h"
#include "secure.h"
#include "validate.h"

#define DURATION_MAX_LEN 24
#define TIME_MAX_LEN 40

/* Writes a duration of s seconds in the largest whole unit ("30d", "12h", "90s"). */
static void
duration_text(uint64_t s, char *out, size_t outsz)
{
	if (s >= 86400 && s % 86400 == 0)
		snprintf(out, outsz, "%" PRIu64 "d", s / 86400);
	else if (s >= 3600 && s % 3600 == 0)
		snprintf(out, outsz, "%" PRIu64 "h", s / 3600);
	else if (s >= 60 && s % 60 == 0)
		snprintf(out, outsz, "%" PRIu64 "m", s / 60);
	else
		snprintf(out, outsz, "%" PRIu64 "s", s);
}

/* Parses v as a duration within [min_s, max_s]; replies 400 out_of_range naming field otherwise. */
static bool
duration(api_call *c, const char *field, const char *v, uint64_t min_s, uint64_t max_s,
    int64_t *out_s)
{
	char lo[24], hi[24], msg[160];
	uint64_t ms;

	if (strlen(v) <= DURATION_MAX_LEN && mp_parse_duration_ms(v, max_s * 1000, &ms) == MP_OK &&
	    ms / 1000 >= min_s && ms % 1000 == 0) {
		*out_s = (int64_t)(ms / 1000);
		return true;
	}
	duration_text(min_s, lo, sizeof(lo));
	duration_text(max_s, hi, sizeof(hi));
	snprintf(msg, sizeof(msg),
	    "'%s' must be a duration from %s to %s in s, m, h or d, e.g. \"90d\"", field, lo, hi);
	api_error(c, 400, "out_of_range", msg, field);
	return false;
}

bool
api_duration_member(api_call *c, const char *field, uint64_t min_s, uint64_t max_s,
    bool *present, int64_t *out_s)
{
	const char *v;

	*present = false;
	if (!api_string(c, field, false, DURATION_MAX_LEN, &v))
		return false;
	if (v == NULL)
		return true;
	if (!duration(c, field, v, min_s, max_s, out_s))
		return false;
	*present = true;
	return true;
}

bool
api_duration_query(api_call *c, const char *name, uint64_t min_s, uint64_t max_s,
    bool *present, int64_t *out_s)
{
	const char *v = mp_http_req_query(c->req, name);

	*present = false;
	if (v == NULL)
		return true;
	if (!duration(c, name, v, min_s, max_s, out_s))
		return false;
	*present = true;
	return true;
}

bool
api_int_member(api_call *c, const char *field, int64_t min, int64_t max, bool *present,
    int64_t *out)
{
	json_t *v = json_object_get(c->body, field);
	char msg[120];

	*present = false;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_integer(v)) {
		snprintf(msg, sizeof(msg), "'%s' must be a whole number", field);
		api_error(c, 400, "wrong_type", msg, field);
		return false;
	}
	if (json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(msg, sizeof(msg), "'%s' must be from %" PRId64 " to %" PRId64, field, min,
		    max);
		api_error(c, 400, "out_of_range", msg, field);
		return false;
	}
	*out = json_integer_value(v);
	*present = true;
	return true;
}

bool
api_bool_member(api_call *c, const char *field, bool *present, bool *out)
{
	json_t *v = json_object_get(c->body, field);
	char msg[120];

	*present = false;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_boolean(v)) {
		snprintf(msg, sizeof(msg), "'%s' must be true or false", field);
		api_error(c, 400, "wrong_type", msg, field);
		return false;
	}
	*out = json_is_true(v);
	*present = true;
	return true;
}

/* Parses v as an RFC 3339 time; replies 400 invalid_value naming field otherwise. */
static bool
rfc3339(api_call *c, const char *field, const char *v, int64_t *out)
{
	char msg[120];

	if (strlen(v) <= TIME_MAX_LEN && api_rfc3339_parse(v, out))
		return true;
	snprintf(msg, sizeof(msg), "'%s' must be an RFC 3339 time such as 2024-05-01T10:00:00Z",
	    field);
	api_error(c, 400, "invalid_value", msg, field);
	return false;
}

bool
api_time_member(api_call *c, const char *field, bool *present, int64_t *out)
{
	const char *v;

	*present = false;
	if (!api_string(c, field, false, TIME_MAX_LEN, &v))
		return false;
	if (v == NULL)
		return true;
	if (!rfc3339(c, field, v, out))
		return false;
	*present = true;
	return true;
}

bool
api_time_query(api_call *c, const char *name, bool *present, int64_t *out)
{
	const char *v = mp_http_req_query(c->req, name);

	*present = false;
	if (v == NULL)
		return true;
	if (!rfc3339(c, name, v, out))
		return false;
	*present = true;
	return true;
}

bool
api_pem_member(api_call *c, const char *field, bool required, size_t maxlen, const char **out)
{
	json_t *v = json_object_get(c->body, field);
	const char *s;
	char msg[120];
	size_t len;

	*out = NULL;
	if (v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
		if (!required)
			return true;
		snprintf(msg, sizeof(msg), "'%s' is required", field);
		api_error(c, 400, "missing_field", msg, field);
		return false;
	}
	if (!json_is_string(v)) {
		snprintf(msg, sizeof(msg), "'%s' must be a string", field);
		api_error(c, 400, "wrong_type", msg, field);
		return false;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len > maxlen) {
		snprintf(msg, sizeof(msg), "'%s' is longer than %zu bytes", field, maxlen);
		api_error(c, 400, "too_long", msg, field);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t') || ch == 0x7f) {
			snprintf(msg, sizeof(msg), "'%s' contains a control character", field);
			api_error(c, 400, "invalid_value", msg, field);
			return false;
		}
	}
	*out = s;
	return true;
}

bool
api_in_set(const char *const *set, const char *s)
{
	for (size_t i = 0; set[i] != NULL; i++)
		if (strcmp(set[i], s) == 0)
			return true;
	return false;
}

void
api_wipe_secret(api_call *c, const char *field)
{
	json_t *v = json_object_get(c->body, field);
	const uint8_t *raw;
	size_t len;

	if (json_is_string(v))
		mp_wipe((char *)json_string_value(v), json_string_length(v));
	raw = mp_http_req_body(c->req, &len);
	mp_wipe((uint8_t *)raw, len);
}
