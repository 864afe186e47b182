/*
 * Query results as JSON (jansson): the engine returns its objects this way so
 * that the admin API can send them as they are and C callers read fields with
 * json_object_get(). Column types map to: boolean -> true/false, int2/4/8 ->
 * integer, json/jsonb -> the parsed value, bytea -> standard base64 string,
 * timestamptz -> RFC 3339 UTC string ("2024-05-01T10:11:12.123456Z"),
 * anything else -> its text form; SQL NULL -> JSON null.
 */
#ifndef MP_DBJSON_H
#define MP_DBJSON_H

#include <jansson.h>
#include <libpq-fe.h>

/* Row `row` of res as an object keyed by column name. */
int mp_db_row_json(const PGresult *res, int row, json_t **out);

/* Every row of res as an array of objects. */
int mp_db_rows_json(const PGresult *res, json_t **out);

#endif
