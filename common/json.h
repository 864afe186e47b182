/* JSON helpers over jansson: bounded parsing of request bodies and the error document. */
#ifndef MP_JSON_H
#define MP_JSON_H

#include <jansson.h>
#include <stddef.h>

/*
 * Parses len bytes of body as one JSON value. Refuses nesting deeper than
 * max_depth arrays/objects, duplicate object keys, NUL characters and trailing
 * data. On error returns MP_ERR_INVALID (or MP_ERR_TOO_LARGE for depth) and a
 * message with line and column in err; *out is set only on success.
 */
int mp_json_parse_body(const char *body, size_t len, size_t max_depth, json_t **out, char *err,
    size_t errsz);

/*
 * The error document {"error":{"code":...,"message":...,"field":...}} (field
 * omitted when NULL) as a new compact string in *out. MP_OK or MP_ERR_NOMEM.
 */
int mp_json_error_doc(const char *code, const char *message, const char *field, char **out,
    size_t *outlen);

#endif
