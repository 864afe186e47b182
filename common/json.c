#include "json.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/*
 * Finds the deepest nesting of arrays and objects in text without parsing it,
 * so that depth is refused before jansson recurses. Stops counting once max
 * is exceeded and reports the position (1-based line and column).
 */
static bool
depth_exceeds(const char *text, size_t len, size_t max, int *line, int *col)
{
	bool in_string = false, escaped = false;
	size_t depth = 0;
	int l = 1, c = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = text[i];

		c++;
		if (ch == '\n') {
			l++;
			c = 0;
		}
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (ch == '\\')
				escaped = true;
			else if (ch == '"')
				in_string = false;
			continue;
		}
		if (ch == '"') {
			in_string = true;
		} else if (ch == '[' || ch == '{') {
			if (++depth > max) {
				*line = l;
				*col = c;
				return true;
			}
		} else if ((ch == ']' || ch == '}') && depth > 0) {
			depth--;
		}
	}
	return false;
}

int
mp_json_parse_body(const char *body, size_t len, size_t max_depth, json_t **out, char *err,
    size_t errsz)
{
	json_error_t jerr;
	json_t *v = NULL;
	int line, col, r = MP_ERR_INVALID;

	if (depth_exceeds(body, len, max_depth, &line, &col)) {
		snprintf(err, errsz, "JSON nested deeper than %zu levels at line %d, column %d",
		    max_depth, line, col);
		r = MP_ERR_TOO_LARGE;
		goto out;
	}
	if ((v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		snprintf(err, errsz, "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column,
		    jerr.text);
		goto out;
	}
	*out = v;
	v = NULL;
	r = MP_OK;
out:
	json_decref(v);
	return r;
}

int
mp_json_error_doc(const char *code, const char *message, const char *field, char **out,
    size_t *outlen)
{
	json_t *doc = NULL, *inner;
	char *s = NULL;
	int r = MP_ERR_NOMEM;

	if ((inner = json_pack("{s:s, s:s}", "code", code, "message", message)) == NULL)
		goto out;
	if (field != NULL && json_object_set_new(inner, "field", json_string(field)) != 0) {
		json_decref(inner);
		goto out;
	}
	if ((doc = json_pack("{s:o}", "error", inner)) == NULL)
		goto out;
	if ((s = json_dumps(doc, JSON_COMPACT)) == NULL)
		goto out;
	*outlen = strlen(s);
	*out = s;
	r = MP_OK;
out:
	json_decref(doc);
	return r;
}
