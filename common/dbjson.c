#include "dbjson.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "err.h"
#include "num.h"

/* PostgreSQL type OIDs (pg_type.dat); stable across versions. */
enum {
	OID_BOOL = 16,
	OID_BYTEA = 17,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_JSON = 114,
	OID_TIMESTAMPTZ = 1184,
	OID_JSONB = 3802,
};

/* The largest bytea value we turn into JSON. */
#define MAX_BYTEA (1024 * 1024)

static int
int_value(const char *v, json_t **out)
{
	uint64_t u;
	int r;

	if (v[0] == '-') {
		if ((r = mp_parse_u64(v + 1, (uint64_t)INT64_MAX + 1, &u)) != MP_OK)
			return MP_ERR_INTERNAL;
		*out = json_integer(u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(json_int_t)u);
	} else {
		if ((r = mp_parse_u64(v, INT64_MAX, &u)) != MP_OK)
			return MP_ERR_INTERNAL;
		*out = json_integer((json_int_t)u);
	}
	return *out != NULL ? MP_OK : MP_ERR_NOMEM;
}

/* "2024-05-01 10:11:12.123456+00" (ISO DateStyle, UTC session) to RFC 3339. */
static int
timestamp_value(const char *v, json_t **out)
{
	size_t n = strlen(v);
	char *s;

	if (n < 19 || n > 64 || v[10] != ' ' || strcmp(v + n - 3, "+00") != 0) {
		*out = json_string(v);
		return *out != NULL ? MP_OK : MP_ERR_NOMEM;
	}
	if ((s = malloc(n)) == NULL)
		return MP_ERR_NOMEM;
	memcpy(s, v, n - 3);
	s[10] = 'T';
	s[n - 3] = 'Z';
	s[n - 2] = '\0';
	*out = json_string(s);
	free(s);
	return *out != NULL ? MP_OK : MP_ERR_NOMEM;
}

static int
bytea_value(const char *v, json_t **out)
{
	uint8_t *raw = NULL;
	char *b64 = NULL;
	size_t n;
	int r;

	if (v[0] != '\\' || v[1] != 'x') {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	if ((r = mp_hex_decode(v + 2, strlen(v + 2), MAX_BYTEA, &raw, &n)) != MP_OK ||
	    (r = mp_b64_encode(raw, n, false, &b64)) != MP_OK)
		goto out;
	if ((*out = json_string(b64)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	r = MP_OK;
out:
	free(raw);
	free(b64);
	return r;
}

static int
column_value(const PGresult *res, int row, int col, json_t **out)
{
	const char *v;

	if (PQgetisnull(res, row, col)) {
		*out = json_null();
		return MP_OK;
	}
	v = PQgetvalue(res, row, col);
	switch (PQftype(res, col)) {
	case OID_BOOL:
		*out = json_boolean(v[0] == 't');
		return MP_OK;
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		return int_value(v, out);
	case OID_JSON:
	case OID_JSONB:
		*out = json_loads(v, JSON_DECODE_ANY, NULL);
		return *out != NULL ? MP_OK : MP_ERR_INTERNAL;
	case OID_TIMESTAMPTZ:
		return timestamp_value(v, out);
	case OID_BYTEA:
		return bytea_value(v, out);
	default:
		*out = json_string(v);
		return *out != NULL ? MP_OK : MP_ERR_NOMEM;
	}
}

int
mp_db_row_json(const PGresult *res, int row, json_t **out)
{
	json_t *obj = NULL, *v = NULL;
	int col, r;

	if (res == NULL || row < 0 || row >= PQntuples(res))
		return MP_ERR_INTERNAL;
	if ((obj = json_object()) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	for (col = 0; col < PQnfields(res); col++) {
		if ((r = column_value(res, row, col, &v)) != MP_OK)
			goto out;
		if (json_object_set_new(obj, PQfname(res, col), v) != 0) {
			v = NULL;
			r = MP_ERR_NOMEM;
			goto out;
		}
		v = NULL;
	}
	*out = obj;
	obj = NULL;
	r = MP_OK;
out:
	json_decref(obj);
	return r;
}

int
mp_db_rows_json(const PGresult *res, json_t **out)
{
	json_t *arr = NULL, *obj = NULL;
	int row, r;

	if ((arr = json_array()) == NULL)
		return MP_ERR_NOMEM;
	for (row = 0; row < PQntuples(res); row++) {
		if ((r = mp_db_row_json(res, row, &obj)) != MP_OK)
			goto out;
		if (json_array_append_new(arr, obj) != 0) {
			r = MP_ERR_NOMEM;
			goto out;
		}
	}
	*out = arr;
	arr = NULL;
	r = MP_OK;
out:
	json_decref(arr);
	return r;
}
