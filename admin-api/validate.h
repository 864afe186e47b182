/*
 * Checking request bodies and query parameters. Each function either stores
 * the value and returns true, or sends the 400 error naming the field and
 * returns false, so that a handler reads:
 *     if (!api_only_fields(c, allowed) || !api_string(c, "name", true, 128, &name))
 *             return;
 */
#ifndef ADMIN_VALIDATE_H
#define ADMIN_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"

/* Refuses any body member not in allowed (NULL-terminated): 400 unknown_field. */
bool api_only_fields(api_call *c, const char *const *allowed);

/*
 * A string member of at most maxlen bytes of valid UTF-8 (jansson guarantees
 * UTF-8), without control characters; *out is NULL when absent and optional.
 */
bool api_string(api_call *c, const char *field, bool required, size_t maxlen, const char **out);

/* A UUID string member (lower or upper case hex, 8-4-4-4-12). */
bool api_uuid_field(api_call *c, const char *field, bool required, const char **out);

/* Whether s is a UUID in its text form. */
bool api_is_uuid(const char *s);

/* A path parameter that must be a UUID: 400 invalid_uuid otherwise. */
bool api_path_uuid(api_call *c, const char *value);

/* A query parameter of at most max bytes (400 too_long); *out NULL when absent. */
bool api_query_text(api_call *c, const char *name, size_t max, const char **out);
/* A query parameter that must be a UUID (400 invalid_uuid); *out NULL when absent. */
bool api_query_uuid(api_call *c, const char *name, const char **out);
/* A JSON object member; *out is borrowed (NULL when absent). */
bool api_object(api_call *c, const char *field, json_t **out);

/* An array of at most max strings; *out is borrowed (NULL when absent). */
bool api_string_array(api_call *c, const char *field, size_t max, json_t **out);

/*
 * The list parameters: ?limit= (default 50, 1..1000) and ?cursor= (opaque,
 * from an earlier next_cursor). *after gets the decoded cursor (free it) or NULL.
 */
bool api_page(api_call *c, unsigned *limit, char **after);

/* api_page for lists ordered by id: the cursor must decode to a UUID. */
bool api_page_by_id(api_call *c, unsigned *limit, char **after);

/*
 * Builds {"items": items, "next_cursor": ...} where next_cursor encodes the
 * key member of the last item when the page is full, else null.
 */
json_t *api_page_result(json_t *items, unsigned limit, const char *key);

/* The tenant a new object goes to: the body's "tenant" (platform admins) or the caller's. */
bool api_target_tenant(api_call *c, const char **out);

/* An engine or issuer read of one object by id, scoped to tenant_id (NULL: any). */
typedef int (*api_get_fn)(mp_db *db, const char *tenant_id, const char *id, json_t **out);
/*
 * Answers GET .../{id} with fn for the path's first parameter: 400 for an id
 * that is no UUID, 404 (what) when fn finds nothing in the caller's scope,
 * else 200 with the object.
 */
void api_get_by_id(api_call *c, api_get_fn fn, const char *what);

/*
 * The object id that a body member field names, read with fn in the caller's
 * scope into *out (decref it): true. Otherwise sends 404 "<field> not found"
 * naming field (another failure as api_fail) and returns false.
 */
bool api_find_member(api_call *c, api_get_fn fn, const char *id, const char *field,
    json_t **out);
/* An engine or issuer list ordered by id: at most limit after after_id, scoped to tenant_id. */
typedef int (*api_list_fn)(mp_db *db, const char *tenant_id, const char *after_id,
    unsigned limit, json_t **out);
/* Answers a GET of a list with fn, paged by id (api_page_by_id, api_page_result). */
void api_list_by_id(api_call *c, api_list_fn fn, const char *what);

#endif
