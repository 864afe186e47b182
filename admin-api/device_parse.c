/*
 * Parsing a device import body: JSON lines (one device object per line) or
 * CSV with a header row (RFC 4180; columns serial, model, manufacturer, every
 * other column a string attribute). Each line becomes a good row or a
 * rejected entry with its line number and error code; no database, no HTTP.
 */
#include "device_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "device_fields.h"
#include "err.h"
#include "json.h"

/* A CSV header name (attribute name) and a CSV cell. */
#define CSV_NAME_MAX 64
#define CSV_CELL_MAX 4096
#define CSV_MAX_COLUMNS 64

static const char *const line_fields[] = { "serial", "model", "manufacturer", "attributes",
	NULL };

/* Records that line was refused; false when out of memory. */
bool
api_import_reject(struct api_import *im, size_t line, const char *code, const char *message, const char *field)
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
add_device(struct api_import *im, size_t line, json_t *obj)
{
	struct api_device_in in;
	struct api_problem p;
	json_t *first;
	char msg[80];
	bool ok = false;

	im->lines++;
	if (!api_device_check(obj, line_fields, &in, &p)) {
		ok = api_import_reject(im, line, p.code, p.message, p.field);
		goto out;
	}
	if ((first = json_object_get(im->seen, in.serial)) != NULL) {
		snprintf(msg, sizeof(msg), "serial also on line %" JSON_INTEGER_FORMAT,
		    json_integer_value(first));
		ok = api_import_reject(im, line, "duplicate_in_file", msg, "serial");
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
read_ndjson(struct api_import *im, const char *p, size_t len)
{
	const char *end = p + len;
	size_t line = 0;

	while (p < end && im->lines <= API_IMPORT_MAX_LINES) {
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
				if (!api_import_reject(im, line, "malformed_json", err, NULL))
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
/* Records why the header row is unusable; returns false. */
static bool
header_error(struct api_import *im, const char *why)
{
	snprintf(im->header_error, sizeof(im->header_error), "%s", why);
	return false;
}

static bool
csv_header(struct api_import *im, struct csv *s, json_t *names)
{
	enum csv_step st;
	bool serial = false;

	do {
		json_t *name;

		st = csv_cell(s);
		if (st == CSV_BAD || s->too_long || s->cell_len == 0 || s->cell_len > CSV_NAME_MAX ||
		    memchr(s->cell, '\0', s->cell_len) != NULL ||
		    (name = json_stringn(s->cell, s->cell_len)) == NULL) {
			return header_error(im,
			    "the CSV header row must name every column (1-64 bytes of UTF-8)");
		}
		for (size_t i = 0; i < json_array_size(names); i++) {
			if (json_equal(json_array_get(names, i), name)) {
				json_decref(name);
				return header_error(im, "the CSV header row names a column twice");
			}
		}
		serial = serial || strcmp(json_string_value(name), "serial") == 0;
		json_array_append_new(names, name);
		if (json_array_size(names) > CSV_MAX_COLUMNS) {
			return header_error(im, "the CSV has more than 64 columns");
		}
	} while (st == CSV_FIELD);
	if (!serial) {
		return header_error(im, "the CSV header row has no serial column");
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
csv_record(struct api_import *im, struct csv *s, json_t *names)
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
		ok = api_import_reject(im, line, "malformed_csv", why, NULL);
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
static int
read_csv(struct api_import *im, const char *p, size_t len)
{
	struct csv s = { p, p + len, 1, NULL, 0, false };
	json_t *names = json_array();
	int r = MP_ERR_NOMEM;

	if (names == NULL || (s.cell = malloc(CSV_CELL_MAX)) == NULL)
		goto out;
	if (!csv_header(im, &s, names)) {
		r = im->header_error[0] != '\0' ? MP_ERR_INVALID : MP_ERR_NOMEM;
		goto out;
	}
	while (s.p < s.end && im->lines <= API_IMPORT_MAX_LINES)
		if (!csv_record(im, &s, names))
			goto out;
	r = MP_OK;
out:
	free(s.cell);
	json_decref(names);
	return r;
}

int
api_import_init(struct api_import *im)
{
	memset(im, 0, sizeof(*im));
	im->rows = json_array();
	im->rejected = json_array();
	im->seen = json_object();
	if (im->rows == NULL || im->rejected == NULL || im->seen == NULL) {
		api_import_free(im);
		return MP_ERR_NOMEM;
	}
	return MP_OK;
}

void
api_import_free(struct api_import *im)
{
	json_decref(im->rows);
	json_decref(im->rejected);
	json_decref(im->seen);
	im->rows = im->rejected = im->seen = NULL;
}

int
api_import_parse(struct api_import *im, bool csv, const char *p, size_t len)
{
	if (csv)
		return read_csv(im, p, len);
	return read_ndjson(im, p, len) ? MP_OK : MP_ERR_NOMEM;
}
