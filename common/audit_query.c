#include "audit_query.h"

#include <inttypes.h>
#include <stdio.h>

#include "err.h"
#include "record.h"

int
mp_audit_list(mp_db *db, const mp_audit_filter *f, unsigned limit, json_t **out)
{
	char lim[16], before[24];
	const char *params[8];

	if (f == NULL || f->before_id > INT64_MAX)
		return MP_ERR_INVALID;
	mp_record_limit(limit, lim);
	snprintf(before, sizeof(before), "%" PRIu64, f->before_id);
	params[0] = f->tenant_id;
	params[1] = f->since;
	params[2] = f->until;
	params[3] = f->actor;
	params[4] = f->action;
	params[5] = f->object;
	params[6] = f->before_id != 0 ? before : NULL;
	params[7] = lim;
	return mp_record_list(db, "SELECT id, seq, at, tenant_id, actor_kind, actor_id, action,"
	    " object_type, object_id, details, encode(hash, 'hex') AS hash FROM audit"
	    " WHERE ($1::uuid IS NULL OR tenant_id = $1)"
	    " AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at < $3)"
	    " AND ($4::text IS NULL OR actor_id = $4) AND ($5::text IS NULL OR action = $5)"
	    " AND ($6::text IS NULL OR object_id = $6) AND ($7::bigint IS NULL OR id < $7)"
	    " ORDER BY id DESC LIMIT $8", 8, params, out);
}
