/* Checking the fields of a device in a request body or an import line. */
#include "device_fields.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 4, 5))) static bool
problem(struct api_problem *p, const char *code, const char *field, const char *fmt, ...)
{
	va_list ap;

	p->code = code;
	p->field = field;
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof(p->message), fmt, ap);
	va_end(ap);
	return false;
}

bool
api_device_string(json_t *obj, const char *field, bool required, const char **out,
    struct api_problem *p)
{
	json_t *v = json_object_get(obj, field);
	const char *s;
	size_t len;

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return problem(p, "missing_field", field, "'%s' is required", field);
		return true;
	}
	if (!json_is_string(v))
		return problem(p, "wrong_type", field, "'%s' must be a string", field);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 && required)
		return problem(p, "missing_field", field, "'%s' must not be empty", field);
	if (len > API_DEVICE_STR_MAX)
		return problem(p, "too_long", field, "'%s' is longer than %d bytes", field,
		    API_DEVICE_STR_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return problem(p, "invalid_value", field, "'%s' contains a control character",
			    field);
	*out = s;
	return true;
}

bool
api_device_attributes(json_t *obj, json_t **out, struct api_problem *p)
{
	json_t *v = json_object_get(obj, "attributes");
	const char *site;
	size_t n;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_object(v))
		return problem(p, "wrong_type", "attributes", "'attributes' must be an object");
	if ((n = json_dumpb(v, NULL, 0, JSON_COMPACT)) > API_DEVICE_ATTRIBUTES_MAX)
		return problem(p, "too_long", "attributes",
		    "'attributes' is longer than %d bytes as JSON", API_DEVICE_ATTRIBUTES_MAX);
	if (!api_device_string(v, "site", false, &site, p)) {
		p->field = "attributes.site";
		return false;
	}
	*out = v;
	return true;
}

bool
api_device_check(json_t *obj, const char *const *allowed, struct api_device_in *in,
    struct api_problem *p)
{
	struct api_device_in d;
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return problem(p, "malformed_json", NULL, "a device must be a JSON object");
	json_object_foreach(obj, key, v) {
		size_t i;

		for (i = 0; allowed[i] != NULL && strcmp(allowed[i], key) != 0; i++)
			;
		if (allowed[i] == NULL)
			return problem(p, "unknown_field", key, "unknown field '%.64s'", key);
	}
	if (!api_device_string(obj, "serial", true, &d.serial, p) ||
	    !api_device_string(obj, "model", false, &d.model, p) ||
	    !api_device_string(obj, "manufacturer", false, &d.manufacturer, p) ||
	    !api_device_attributes(obj, &d.attributes, p))
		return false;
	*in = d;
	return true;
}

