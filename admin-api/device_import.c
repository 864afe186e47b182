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

#include "device_fields.h"
#include "devices.h"
#include "err.h"
#include "json.h"
#include "validate.h"

/* More devices than this in one request is refused (memory per request stays bounded). */
#define IMPORT_MAX_LINES 200000
/* A CSV header name (attribute name) and a CSV cell. */
#define CSV_NAME_MAX 64
#define CSV_CELL_MAX 4096
#define CSV_MAX_COLUMNS 64

static const char *const line_fields[] = { "serial", "model", "manufacturer", "attributes",
	NULL };

struct import {
	api_call *c;
	json_t *rows;     /* the good lines, for the engine */
	json_t *rejected; /* {"line", "code", "message", "field"?} */
	json_t *seen;     /* serial -> first line */
	size_t lines;     /* devices read, good or bad */
};

/* Records that line was refused; false when out of memory. */
static bool
reject(struct import *im, size_t line, const char *code, const char *message, const char *field)
{
	json_t *e = json_pack("{s:I, s:s, s:s}", "line", (json_int_t)line, "code", code,
	    "message", message);

	if (e == NULL)
		return false;
	if (field != NULL)
		json_object_set_new(e, "field", json_string(field));
	return json_array_append_new(im->rejected, e) == 0;
}

/*
 * Checks one device object (consumed) read from line: a good one joins
 * im->rows, a bad one or a repeated serial im->rejected. False when out of memory.
 */
static bool
add_device(struct import *im, size_t line, json_t *obj)
{
	struct api_device_in in;
	struct api_problem p;
	json_t *first;
	char msg[80];
	bool ok = false;

	im->lines++;
	if (!api_device_check(obj, line_fields, &in, &p)) {
		ok = reject(im, line, p.code, p.message, p.field);
		goto out;
	}
	if ((first = json_object_get(im->seen, in.serial)) != NULL) {
		snprintf(msg, sizeof(msg), "serial also on line %" JSON_INTEGER_FORMAT,
		    json_integer_value(first));
		ok = reject(im, line, "duplicate_in_file", msg, "serial");
		goto out;
	}
	if (json_object_set_new(im->seen, in.serial, json_integer((json_int_t)line)) != 0 ||
	    json_object_set_new(obj, "line", json_integer((json_int_t)line)) != 0 ||
	    json_array_append(im->rows, obj) != 0)
		goto out;
	ok = true;
out:
	json_decref(obj);
	return ok;
}

/* Reads JSON lines; blank lines are skipped. False when out of memory. */
static bool
read_ndjson(struct import *im, const char *p, size_t len)
{
	const char *end = p + len;
	size_t line = 0;

	while (p < end && im->lines <= IMPORT_MAX_LINES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end, *q;
		char err[200];
		json_t *obj = NULL;

		line++;
		for (q = p; q < eol && (*q == ' ' || *q == '\t' || *q == '\r'); q++)
			;
		if (q < eol) {
			if (mp_json_parse_body(p, (size_t)(eol - p), API_MAX_DEPTH, &obj, err,
				sizeof(err)) != MP_OK) {
				im->lines++;
				if (!reject(im, line, "malformed_json", err, NULL))
					return false;
			} else if (!add_device(im, line, obj)) {
				return false;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return true;
}

struct csv {
	const char *p, *end;
	size_t line;     /* physical line of p */
	char *cell;      /* the current cell, unescaped */
	size_t cell_len;
	bool too_long;   /* the current cell exceeded CSV_CELL_MAX */
};

enum csv_step { CSV_FIELD, CSV_LAST, CSV_BAD };

/* Reads one cell (RFC 4180); CSV_LAST when it ends its record, CSV_BAD for a syntax error. */
static enum csv_step
csv_cell(struct csv *s)
{
	bool quoted = s->p < s->end && *s->p == '"';

	s->cell_len = 0;
	s->too_long = false;
	if (quoted)
		s->p++;
	while (s->p < s->end) {
		char ch = *s->p++;

		if (quoted && ch == '"') {
			if (s->p < s->end && *s->p == '"') {
				s->p++;
			} else {
				quoted = false;
				if (s->p < s->end && *s->p == '\r')
					s->p++;
				if (s->p < s->end && *s->p != ',' && *s->p != '\n')
					return CSV_BAD;
				continue;
			}
		} else if (!quoted && ch == ',') {
			return CSV_FIELD;
		} else if (!quoted && ch == '\n') {
			s->line++;
			if (s->cell_len > 0 && s->cell[s->cell_len - 1] == '\r')
				s->cell_len--;
			return CSV_LAST;
		} else if (ch == '\n') {
			s->line++;
		}
		if (s->cell_len == CSV_CELL_MAX)
			s->too_long = true;
		else
			s->cell[s->cell_len++] = ch;
	}
	if (quoted)
		return CSV_BAD;
	if (s->cell_len > 0 && s->cell[s->cell_len - 1] == '\r')
		s->cell_len--;
	return CSV_LAST;
}

/* Skips the rest of a bad record: up to the next line end. */
static void
csv_skip(struct csv *s)
{
	const char *nl = memchr(s->p, '\n', (size_t)(s->end - s->p));

	s->p = nl ? nl + 1 : s->end;
	if (nl)
		s->line++;
}

/* Reads the header row into names; replies 400 and returns false when it is unusable. */
static bool
csv_header(struct import *im, struct csv *s, json_t *names)
{
	enum csv_step st;
	bool serial = false;

	do {
		json_t *name;

		st = csv_cell(s);
		if (st == CSV_BAD || s->too_long || s->cell_len == 0 || s->cell_len > CSV_NAME_MAX ||
		    memchr(s->cell, '\0', s->cell_len) != NULL ||
		    (name = json_stringn(s->cell, s->cell_len)) == NULL) {
			api_error(im->c, 400, "malformed_csv",
			    "the CSV header row must name every column (1-64 bytes of UTF-8)", NULL);
			return false;
		}
		for (size_t i = 0; i < json_array_size(names); i++) {
			if (json_equal(json_array_get(names, i), name)) {
				json_decref(name);
				api_error(im->c, 400, "malformed_csv",
				    "the CSV header row names a column twice", NULL);
				return false;
			}
		}
		serial = serial || strcmp(json_string_value(name), "serial") == 0;
		json_array_append_new(names, name);
		if (json_array_size(names) > CSV_MAX_COLUMNS) {
			api_error(im->c, 400, "malformed_csv", "the CSV has more than 64 columns", NULL);
			return false;
		}
	} while (st == CSV_FIELD);
	if (!serial) {
		api_error(im->c, 400, "malformed_csv", "the CSV header row has no serial column",
		    NULL);
		return false;
	}
	return true;
}

/* Whether name is a device field rather than an attribute. */
static bool
is_field(const char *name)
{
	return strcmp(name, "serial") == 0 || strcmp(name, "model") == 0 ||
	    strcmp(name, "manufacturer") == 0;
}

/*
 * Reads one record into a device object (*out) or refuses its line; empty
 * cells are left out. False when out of memory.
 */
static bool
csv_record(struct import *im, struct csv *s, json_t *names)
{
	size_t line = s->line, col = 0;
	json_t *obj = json_object(), *attrs = json_object();
	const char *why = NULL;
	enum csv_step st;
	bool ok = false;

	if (obj == NULL || attrs == NULL)
		goto out;
	do {
		json_t *v;
		const char *name;

		st = csv_cell(s);
		if (st == CSV_BAD) {
			why = "unbalanced quotes";
			csv_skip(s);
			break;
		}
		if (col >= json_array_size(names)) {
			why = "more cells than the header row has columns";
			col++;
			continue;
		}
		name = json_string_value(json_array_get(names, col++));
		if (s->cell_len == 0 || why != NULL)
			continue;
		if (s->too_long || (v = json_stringn(s->cell, s->cell_len)) == NULL) {
			why = s->too_long ? "a cell is longer than 4096 bytes" :
					    "a cell is not valid UTF-8";
			continue;
		}
		json_object_set_new(is_field(name) ? obj : attrs, name, v);
	} while (st == CSV_FIELD);
	if (col == 1 && s->cell_len == 0 && why == NULL) { /* an empty line */
		ok = true;
		goto out;
	}
	if (why == NULL && col < json_array_size(names))
		why = "fewer cells than the header row has columns";
	if (why != NULL) {
		im->lines++;
		ok = reject(im, line, "malformed_csv", why, NULL);
		goto out;
	}
	if (json_object_size(attrs) > 0 && json_object_set(obj, "attributes", attrs) != 0)
		goto out;
	ok = add_device(im, line, obj);
	obj = NULL;
out:
	json_decref(obj);
	json_decref(attrs);
	return ok;
}

/* Reads CSV; false when it replied (bad header) or ran out of memory (*nomem). */
static bool
read_csv(struct import *im, const char *p, size_t len, bool *nomem)
{
	struct csv s = { p, p + len, 1, NULL, 0, false };
	json_t *names = json_array();
	bool ok = false;

	*nomem = true;
	if (names == NULL || (s.cell = malloc(CSV_CELL_MAX)) == NULL)
		goto out;
	*nomem = false;
	if (!csv_header(im, &s, names))
		goto out;
	*nomem = true;
	while (s.p < s.end && im->lines <= IMPORT_MAX_LINES)
		if (!csv_record(im, &s, names))
			goto out;
	*nomem = false;
	ok = true;
out:
	free(s.cell);
	json_decref(names);
	return ok;
}

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
add_conflicts(struct import *im, json_t *conflicts)
{
	json_t *e;
	size_t i;

	json_array_foreach(conflicts, i, e) {
		if (!reject(im, (size_t)json_integer_value(json_object_get(e, "line")), "conflict",
			"a device with this serial is already registered", "serial")) {
			api_fail(im->c, MP_ERR_NOMEM, "import");
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
	size_t n = strcspn(ct != NULL ? ct : "", ";");

	while (n > 0 && ct[n - 1] == ' ')
		n--;
	if (n == 20 && strncasecmp(ct, "application/x-ndjson", n) == 0)
		return "ndjson";
	if (n == 8 && strncasecmp(ct, "text/csv", n) == 0)
		return "csv";
	return NULL;
}

void
api_device_import(api_call *c)
{
	struct import im = { c, json_array(), json_array(), json_object(), 0 };
	const char *format, *tenant, *body;
	json_t *conflicts = NULL;
	size_t len;
	bool nomem = false;
	int r;

	if (im.rows == NULL || im.rejected == NULL || im.seen == NULL) {
		api_fail(c, MP_ERR_NOMEM, "import");
		goto out;
	}
	if (!import_tenant(c, &tenant))
		goto out;
	if ((format = import_format(mp_http_req_header(c->req, "Content-Type"))) == NULL) {
		api_error(c, 415, "unsupported_media_type",
		    "an import is application/x-ndjson (JSON lines) or text/csv", NULL);
		goto out;
	}
	body = (const char *)mp_http_req_body(c->req, &len);
	if (strcmp(format, "csv") == 0) {
		if (!read_csv(&im, body, len, &nomem)) {
			if (nomem)
				api_fail(c, MP_ERR_NOMEM, "import");
			goto out;
		}
	} else if (!read_ndjson(&im, body, len)) {
		api_fail(c, MP_ERR_NOMEM, "import");
		goto out;
	}
	if (im.lines > IMPORT_MAX_LINES) {
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
	if (!add_conflicts(&im, conflicts))
		goto out;
	if (json_array_size(im.rejected) > 0) {
		refuse(c, im.rejected);
		goto out;
	}
	api_reply(c, 201, json_pack("{s:I}", "imported", (json_int_t)json_array_size(im.rows)));
out:
	json_decref(conflicts);
	json_decref(im.rows);
	json_decref(im.rejected);
	json_decref(im.seen);
}
