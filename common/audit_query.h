/*
 * Reading the audit log: entries newest first, filtered. An entry carries id,
 * seq and hash (lower-case hex; both null until sealed), at, tenant_id,
 * actor_kind, actor_id, action, object_type, object_id and details.
 */
#ifndef MP_AUDIT_QUERY_H
#define MP_AUDIT_QUERY_H

#include <stdint.h>

#include <jansson.h>

#include "db.h"

/* Which entries to return; NULL members and before_id 0 do not filter. */
typedef struct mp_audit_filter {
	const char *tenant_id; /* only this tenant's log; NULL: every log, platform's included */
	const char *since;     /* RFC 3339: entries at or after this time */
	const char *until;     /* RFC 3339: entries before this time */
	const char *actor;     /* actor_id */
	const char *action;
	const char *object;    /* object_id */
	uint64_t before_id;    /* entries with a smaller id: the next page after this id */
} mp_audit_filter;

/*
 * The entries matching f, newest (highest id) first, at most limit, as a JSON
 * array. MP_ERR_INVALID when since or until is not a time PostgreSQL reads.
 */
int mp_audit_list(mp_db *db, const mp_audit_filter *f, unsigned limit, json_t **out);

#endif
