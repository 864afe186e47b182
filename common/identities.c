#include "identities.h"

#include <string.h>

#include "err.h"
#include "record.h"

#define COLUMNS "id, tenant_id, kind, device_id, user_id, profile_id, status, not_before," \
	" not_after, ref, created_at, updated_at"

int
mp_identity_create(mp_db *db, const mp_actor *actor, const mp_identity_new *in, json_t **out)
{
	char nb[24], na[24];
	const char *params[9];

	if (in == NULL || in->tenant_id == NULL || in->profile_id == NULL || in->not_before < 0 ||
	    in->not_after < 0)
		return MP_ERR_INVALID;
	mp_record_time(in->not_before, nb);
	mp_record_time(in->not_after, na);
	params[0] = in->tenant_id;
	params[1] = in->kind;
	params[2] = in->device_id;
	params[3] = in->user_id;
	params[4] = in->profile_id;
	params[5] = in->status != NULL ? in->status : "pending";
	params[6] = nb;
	params[7] = na;
	params[8] = in->ref;
	return mp_record_insert(db, actor, "identity.create", "identity",
	    "INSERT INTO identities (tenant_id, kind, device_id, user_id, profile_id, status,"
	    " not_before, not_after, ref)"
	    " SELECT $1, coalesce($2, p.kind), $3, $4, $5, $6,"
	    " CASE WHEN $7::bigint = 0 THEN NULL ELSE to_timestamp($7::bigint) END,"
	    " CASE WHEN $8::bigint = 0 THEN NULL ELSE to_timestamp($8::bigint) END, $9"
	    " FROM (SELECT ($5::uuid) AS id) AS want"
	    " LEFT JOIN profiles p ON p.id = want.id AND p.tenant_id = $1"
	    " RETURNING " COLUMNS, 9, params, NULL, out);
}

int
mp_identity_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	return mp_record_get(db, "SELECT " COLUMNS " FROM identities"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)", 2, params, out);
}

static const char *const identity_final[] = { "revoked", "expired", NULL };

static const struct mp_status_spec identity_status = {
	"SELECT tenant_id, status FROM identities"
	" WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE",
	"UPDATE identities SET status = $2, updated_at = now() WHERE id = $1 RETURNING " COLUMNS,
	identity_final,
	"identity.status",
	"identity",
};

int
mp_identity_set_status(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id, const char *status, json_t **out)
{
	return mp_record_set_status(db, actor, &identity_status, tenant_id, id, status, out);
}

/* Per device status: which certificates move, to what, and how it is audited. */
struct follow_rule {
	const char *device_status;
	const char *action;
	const char *sql; /* $1 device id -> (id, ca_id, serial hex, old status) of each moved */
};

#define FOLLOW_PICK(cond) \
	"WITH t AS (SELECT c.id, c.ca_id, i.status AS old FROM certificates c" \
	" JOIN identities i ON i.id = c.id WHERE i.device_id = $1 AND i.kind = 'x509' AND " cond \
	" FOR UPDATE OF c, i),"

static const struct follow_rule follow_rules[] = {
	{ "suspended", "certificate.suspend",
	  FOLLOW_PICK("i.status = 'active' AND c.not_after > now()")
	  " u AS (UPDATE identities SET status = 'suspended', updated_at = now()"
	  " WHERE id IN (SELECT id FROM t))"
	  " UPDATE certificates c SET revoked_at = clock_timestamp(), reason = 'certificateHold',"
	  " status_changed_at = clock_timestamp(), held_by_device = true FROM t WHERE c.id = t.id"
	  " RETURNING c.id, c.ca_id, encode(c.serial, 'hex'), t.old" },
	{ "active", "certificate.resume",
	  FOLLOW_PICK("i.status = 'suspended' AND c.held_by_device")
	  " u AS (UPDATE identities SET status = 'active', updated_at = now()"
	  " WHERE id IN (SELECT id FROM t))"
	  " UPDATE certificates c SET revoked_at = NULL, reason = NULL,"
	  " status_changed_at = clock_timestamp(), held_by_device = false FROM t WHERE c.id = t.id"
	  " RETURNING c.id, c.ca_id, encode(c.serial, 'hex'), t.old" },
	{ "decommissioned", "certificate.revoke",
	  FOLLOW_PICK("i.status IN ('active', 'suspended')")
	  " u AS (UPDATE identities SET status = 'revoked', updated_at = now()"
	  " WHERE id IN (SELECT id FROM t))"
	  " UPDATE certificates c SET revoked_at = clock_timestamp(),"
	  " reason = 'cessationOfOperation', status_changed_at = clock_timestamp(),"
	  " held_by_device = false FROM t WHERE c.id = t.id"
	  " RETURNING c.id, c.ca_id, encode(c.serial, 'hex'), t.old" },
};

int
mp_identities_revoke_ssh(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *user_id, const char *device_id)
{
	const char *params[2] = { user_id, device_id };
	PGresult *res = NULL;
	int r;

	if ((user_id == NULL) == (device_id == NULL))
		return MP_ERR_INVALID;
	if ((r = mp_db_query(db, "WITH t AS (SELECT s.id FROM ssh_certificates s"
	    " JOIN identities i ON i.id = s.id WHERE (i.user_id = $1 OR i.device_id = $2)"
	    " AND s.revoked_at IS NULL AND s.valid_before > now() FOR UPDATE OF s, i),"
	    " u AS (UPDATE identities SET status = 'revoked', updated_at = now()"
	    " WHERE id IN (SELECT id FROM t))"
	    " UPDATE ssh_certificates s SET revoked_at = now() FROM t WHERE s.id = t.id"
	    " RETURNING s.id, s.serial::text, s.ca_id", 2, params, &res)) != MP_OK)
		return r;
	for (int i = 0; i < PQntuples(res) && r == MP_OK; i++) {
		json_t *details = json_pack("{s:s, s:s, s:s}", "serial", mp_db_value(res, i, 1),
		    "ca_id", mp_db_value(res, i, 2), "cause", user_id != NULL ? "user" : "device");

		r = details == NULL ? MP_ERR_NOMEM : mp_audit_write_in(db, actor, tenant_id,
		    "ssh_certificate.revoke", "ssh_certificate", mp_db_value(res, i, 0), details);
		json_decref(details);
	}
	PQclear(res);
	return r;
}

int
mp_identities_follow_device(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *device_id, const char *status)
{
	static const char *const to[] = { "suspended", "active", "revoked" };
	const char *params[1] = { device_id };
	const struct follow_rule *rule = NULL;
	PGresult *res = NULL;
	size_t k = 0;
	int r;

	for (size_t i = 0; i < sizeof(follow_rules) / sizeof(follow_rules[0]); i++)
		if (strcmp(follow_rules[i].device_status, status) == 0) {
			rule = &follow_rules[i];
			k = i;
		}
	if (rule == NULL)
		return MP_OK;
	if (strcmp(status, "active") != 0 &&
	    (r = mp_identities_revoke_ssh(db, actor, tenant_id, NULL, device_id)) != MP_OK)
		return r;
	/* the CA rows first, shared: CRL generation orders against them (ca/lifecycle.c) */
	if ((r = mp_db_query(db, "SELECT 1 FROM cas WHERE id IN (SELECT c.ca_id FROM certificates c"
	    " JOIN identities i ON i.id = c.id WHERE i.device_id = $1) ORDER BY id FOR SHARE", 1,
	    params, NULL)) != MP_OK ||
	    (r = mp_db_query(db, rule->sql, 1, params, &res)) != MP_OK)
		goto out;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *ca[1] = { mp_db_value(res, i, 1) };
		json_t *details = json_pack("{s:s, s:s, s:s, s:s, s:s}", "serial",
		    mp_db_value(res, i, 2), "from", mp_db_value(res, i, 3), "to", to[k], "reason",
		    k == 2 ? "cessationOfOperation" : k == 0 ? "certificateHold" : "none", "cause",
		    "device");

		if (details == NULL) {
			r = MP_ERR_NOMEM;
			goto out;
		}
		r = mp_audit_write_in(db, actor, tenant_id, rule->action, "certificate",
		    mp_db_value(res, i, 0), details);
		json_decref(details);
		if (r != MP_OK ||
		    (r = mp_db_query(db, "SELECT pg_notify('midpki_crl', $1)", 1, ca, NULL)) != MP_OK)
			goto out;
	}
	r = MP_OK;
out:
	PQclear(res);
	return r;
}
