/*
 * Typed body members beyond validate.h: durations, whole numbers, booleans
 * and RFC 3339 times. Like validate.h, each function stores the value and
 * returns true, or sends the 400 naming the member and returns false; an
 * absent (or null) member leaves *present false and *out untouched.
 */
#ifndef ADMIN_VALUES_H
#define ADMIN_VALUES_H

#include <stdbool.h>
#include <stdint.h>

#include "api.h"

/* A duration string ("90d", "12h", "3600"; see mp_parse_duration_ms) from min_s to max_s seconds. */
bool api_duration_member(api_call *c, const char *field, uint64_t min_s, uint64_t max_s,
    bool *present, int64_t *out_s);

/* The same for a query parameter. */
bool api_duration_query(api_call *c, const char *name, uint64_t min_s, uint64_t max_s,
    bool *present, int64_t *out_s);

/* A JSON integer from min to max. */
bool api_int_member(api_call *c, const char *field, int64_t min, int64_t max, bool *present,
    int64_t *out);

/* A JSON true or false. */
bool api_bool_member(api_call *c, const char *field, bool *present, bool *out);

/* An RFC 3339 time string, as Unix seconds. */
bool api_time_member(api_call *c, const char *field, bool *present, int64_t *out);

/* The same for a query parameter. */
bool api_time_query(api_call *c, const char *name, bool *present, int64_t *out);

/*
 * A PEM text member: a string of at most maxlen bytes whose only control
 * characters are line breaks and tabs; *out NULL when absent and optional.
 */
bool api_pem_member(api_call *c, const char *field, bool required, size_t maxlen,
    const char **out);

/* Overwrites the body member field (a secret) and the request bytes it came in. */
void api_wipe_secret(api_call *c, const char *field);

/* Whether s is one of the strings of set (NULL-terminated). */
bool api_in_set(const char *const *set, const char *s);

#endif
