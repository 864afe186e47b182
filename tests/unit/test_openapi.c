/*
 * docs/openapi.json (as built into the binary) against the route table
 * api_routes: the same operations, the same x-roles, and "security": [] on
 * exactly the routes that need no credential. A failure lists every
 * operation that differs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "api.h"
#include "check_main.h"
#include "err.h"
#include "openapi.h"
#include "users.h"

#define REPORT_MAX 8192

static const mp_role all_roles[] = { MP_ROLE_PLATFORM_ADMIN, MP_ROLE_TENANT_ADMIN,
	MP_ROLE_OPERATOR, MP_ROLE_AUDITOR, MP_ROLE_TECHNICIAN };

/* Appends a formatted line to report, truncating when full. */
__attribute__((format(printf, 2, 3))) static void
note(char *report, const char *fmt, ...)
{
	size_t used = strlen(report);
	va_list ap;

	if (used + 1 >= REPORT_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(report + used, REPORT_MAX - used, fmt, ap);
	va_end(ap);
	used = strlen(report);
	if (used + 1 < REPORT_MAX) {
		report[used] = '\n';
		report[used + 1] = '\0';
	}
}

/* The role names of bits, comma-separated; API_DEVICE is "device". */
static void
role_text(unsigned bits, char *out, size_t outsz)
{
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(all_roles) / sizeof(all_roles[0]); i++) {
		if ((bits & all_roles[i]) == 0 || off >= outsz)
			continue;
		off += (size_t)snprintf(out + off, outsz - off, "%s%s", off ? "," : "",
		    mp_role_name(all_roles[i]));
	}
	if ((bits & API_DEVICE) != 0 && off < outsz)
		snprintf(out + off, outsz - off, "%sdevice", off ? "," : "");
}

/* The document's operation for method and path, or NULL. */
static json_t *
operation(json_t *doc, const char *method, const char *path)
{
	char lower[16];
	size_t i;

	for (i = 0; method[i] != '\0' && i + 1 < sizeof(lower); i++)
		lower[i] = (char)(method[i] | 0x20);
	lower[i] = '\0';
	return json_object_get(json_object_get(json_object_get(doc, "paths"), path), lower);
}

static json_t *
load(void)
{
	json_error_t e;
	json_t *doc = json_loadb(api_openapi_json, api_openapi_json_len, JSON_REJECT_DUPLICATES, &e);

	ck_assert_msg(doc != NULL, "docs/openapi.json: line %d: %s", e.line, e.text);
	return doc;
}

START_TEST(embedded_whole)
{
	json_t *doc = load();

	ck_assert_uint_eq(strlen(api_openapi_json), api_openapi_json_len);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(doc,
	    "servers"), 0), "url")), API_PREFIX);
	json_decref(doc);
}
END_TEST

START_TEST(routes_match_document)
{
	static char report[REPORT_MAX];
	json_t *doc = load(), *ops, *op, *names, *name, *sec;
	const char *path, *method;
	char want[128], got[128];
	size_t i, k;

	report[0] = '\0';
	for (i = 0; i < api_routes_count; i++) {
		const api_route *r = &api_routes[i];
		unsigned bits = 0;
		bool anonymous = (r->roles & API_ANONYMOUS) != 0;

		if ((op = operation(doc, r->method, r->pattern)) == NULL) {
			note(report, "in api_routes, missing from docs/openapi.json: %s %s", r->method,
			    r->pattern);
			continue;
		}
		names = json_object_get(op, "x-roles");
		if (!json_is_array(names)) {
			note(report, "%s %s: no x-roles array in docs/openapi.json", r->method, r->pattern);
			continue;
		}
		json_array_foreach(names, k, name) {
			mp_role role;

			if (strcmp(json_string_value(name), "device") == 0)
				bits |= API_DEVICE;
			else if (mp_role_parse(json_string_value(name), &role) != MP_OK)
				note(report, "%s %s: unknown role in x-roles", r->method, r->pattern);
			else
				bits |= role;
		}
		role_text(r->roles & ~API_ANONYMOUS, want, sizeof(want));
		role_text(bits, got, sizeof(got));
		if (bits != (r->roles & ~API_ANONYMOUS) || json_array_size(names) !=
		    (size_t)__builtin_popcount(bits))
			note(report, "%s %s: roles differ: api_routes [%s], docs/openapi.json x-roles [%s]",
			    r->method, r->pattern, want, got);
		sec = json_object_get(op, "security");
		if (anonymous != (json_is_array(sec) && json_array_size(sec) == 0))
			note(report, "%s %s: api_routes says %s, docs/openapi.json says %s", r->method,
			    r->pattern, anonymous ? "no credential" : "credential needed",
			    anonymous ? "credential needed" : "no credential (security: [])");
	}
	json_object_foreach(json_object_get(doc, "paths"), path, ops) {
		json_object_foreach(ops, method, op) {
			char upper[16];
			bool found = false;
			size_t n;

			for (n = 0; method[n] != '\0' && n + 1 < sizeof(upper); n++)
				upper[n] = (char)(method[n] & ~0x20);
			upper[n] = '\0';

			for (i = 0; i < api_routes_count && !found; i++)
				found = strcasecmp(api_routes[i].method, method) == 0 &&
				    strcmp(api_routes[i].pattern, path) == 0;
			if (!found)
				note(report, "in docs/openapi.json, missing from api_routes: %s %s", upper,
				    path);
		}
	}
	ck_assert_msg(report[0] == '\0', "docs/openapi.json and api_routes differ:\n%s", report);
	json_decref(doc);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("openapi");
	TCase *tc = tcase_create("openapi");

	tcase_add_test(tc, embedded_whole);
	tcase_add_test(tc, routes_match_document);
	suite_add_tcase(s, tc);
	return s;
}
