#include "admin_output.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

#define MAX_CELL 60
#define MAX_CELL_BYTES (1024 * 1024)

/* The member at a dotted path inside obj, or NULL. */
static const json_t *
lookup(const json_t *obj, const char *path)
{
	const char *dot;

	while (obj != NULL && (dot = strchr(path, '.')) != NULL) {
		char part[64];
		size_t n = (size_t)(dot - path);

		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		obj = json_object_get(obj, part);
		path = dot + 1;
	}
	return obj != NULL ? json_object_get(obj, path) : NULL;
}

/*
 * Appends s with control characters shown as '?', so a value cannot drive the
 * terminal. With multiline, a line break inside s starts an indented line
 * instead (a PEM certificate stays readable) and a final one is dropped.
 */
static int
put_clean(mp_buf *b, const char *s, size_t n, bool multiline)
{
	int r = MP_OK;

	for (size_t i = 0; i < n && r == MP_OK; i++) {
		unsigned char c = (unsigned char)s[i];

		if (multiline && c == '\n')
			r = i + 1 < n ? mp_buf_put_str(b, "\n  ") : MP_OK;
		else
			r = mp_buf_put_u8(b, c < 0x20 || c == 0x7f ? '?' : c);
	}
	return r;
}

/*
 * The text of one value: a string as is, null or absent as "-", an array of
 * strings joined with ",", anything else as compact JSON. multiline: see put_clean.
 */
static int
value_text(const json_t *v, bool multiline, mp_buf *b)
{
	size_t i;
	const json_t *e;
	char *dump;
	int r = MP_OK;

	if (v == NULL || json_is_null(v))
		return mp_buf_put_str(b, "-");
	if (json_is_string(v))
		return put_clean(b, json_string_value(v), json_string_length(v), multiline);
	if (json_is_array(v)) {
		bool strings = true;

		json_array_foreach (v, i, e)
			strings = strings && json_is_string(e);
		if (strings) {
			json_array_foreach (v, i, e) {
				if (r == MP_OK && i > 0)
					r = mp_buf_put_u8(b, ',');
				if (r == MP_OK)
					r = put_clean(b, json_string_value(e), json_string_length(e), false);
			}
			return r;
		}
	}
	if ((dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return MP_ERR_NOMEM;
	r = put_clean(b, dump, strlen(dump), false);
	free(dump);
	return r;
}

/* The cell text of one value, cut to MAX_CELL bytes; a new string. */
static char *
cell(const json_t *v)
{
	mp_buf *b = mp_buf_new(MAX_CELL_BYTES);
	char *s = NULL;
	int r;

	if (b == NULL)
		return NULL;
	r = value_text(v, false, b);
	if (r == MP_OK || r == MP_ERR_TOO_LARGE) { /* a huge value is cut anyway */
		size_t n = mp_buf_len(b);

		if (n > MAX_CELL) {
			s = malloc(MAX_CELL + 1);
			if (s != NULL) {
				memcpy(s, mp_buf_str(b), MAX_CELL - 3);
				memcpy(s + MAX_CELL - 3, "...", 4);
			}
		} else {
			s = strdup(mp_buf_str(b));
		}
	}
	mp_buf_free(b);
	return s;
}

int
admin_print_table(FILE *f, const json_t *items, const admin_column *cols)
{
	size_t ncols = 0, nrows = json_array_size(items), *width = NULL;
	char **cells = NULL;
	int r = MP_ERR_NOMEM;

	while (cols[ncols].title != NULL)
		ncols++;
	if ((width = calloc(ncols, sizeof(*width))) == NULL ||
	    (cells = calloc(nrows * ncols + 1, sizeof(*cells))) == NULL)
		goto out;
	for (size_t c = 0; c < ncols; c++)
		width[c] = strlen(cols[c].title);
	for (size_t i = 0; i < nrows; i++) {
		for (size_t c = 0; c < ncols; c++) {
			char *s = cell(lookup(json_array_get(items, i), cols[c].field));

			if (s == NULL)
				goto out;
			cells[i * ncols + c] = s;
			if (strlen(s) > width[c])
				width[c] = strlen(s);
		}
	}
	for (size_t i = 0; i <= nrows; i++) { /* the title row, then the items */
		for (size_t c = 0; c < ncols; c++) {
			bool last = c + 1 == ncols;

			fprintf(f, "%-*s%s", last ? 0 : (int)width[c],
			    i == 0 ? cols[c].title : cells[(i - 1) * ncols + c], last ? "\n" : "  ");
		}
	}
	r = MP_OK;
out:
	if (cells != NULL) {
		for (size_t i = 0; i < nrows * ncols; i++)
			free(cells[i]);
	}
	free(cells);
	free(width);
	return r;
}

int
admin_print_object(FILE *f, const json_t *obj)
{
	const char *name;
	json_t *v;
	mp_buf *b = NULL;
	int r = MP_ERR_NOMEM;

	if ((b = mp_buf_new(MAX_CELL_BYTES)) == NULL)
		goto out;
	json_object_foreach ((json_t *)obj, name, v) {
		mp_buf_reset(b);
		if ((r = put_clean(b, name, strlen(name), false)) != MP_OK ||
		    (r = mp_buf_put_str(b, ": ")) != MP_OK || (r = value_text(v, true, b)) != MP_OK)
			goto out;
		fprintf(f, "%s\n", mp_buf_str(b));
	}
	r = MP_OK;
out:
	mp_buf_free(b);
	return r;
}
