/*
 * Revocation, hold and release. Each change locks the certificate, takes a
 * share lock on its CA row (CRL generation takes it exclusively, so a CRL sees
 * every change committed before it and none after), stamps status_changed_at
 * with the clock, audits, and tells the CRL service (pg_notify) in the same
 * transaction.
 */
#include "ca_priv.h"
#include "certs_priv.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "record.h"

enum change { REVOKE, SUSPEND, RESUME };

static const char *const reasons[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
	"cessationOfOperation", "privilegeWithdrawn", "aACompromise", NULL,
};

struct change_ctx {
	const mp_actor *actor;
	const char *tenant_id;
	const char *id;
	enum change what;
	const char *reason;
	int64_t invalidity_date;
	ca_detail *detail;
};

static const char lock_sql[] =
    "SELECT c.ca_id, i.status, c.tenant_id, encode(c.serial, 'hex'), c.not_after <= now()"
    " FROM certificates c JOIN identities i ON i.id = c.id"
    " WHERE c.id = $1 AND ($2::uuid IS NULL OR c.tenant_id = $2) FOR UPDATE OF c, i";

static const char update_sql[] =
    "WITH ca AS (SELECT id FROM cas WHERE id = $5 FOR SHARE),"
    " i AS (UPDATE identities SET status = $2, updated_at = now() WHERE id = $1 RETURNING id)"
    " UPDATE certificates SET revoked_at = CASE WHEN $3::text IS NULL THEN NULL"
    " ELSE clock_timestamp() END, reason = $3,"
    " invalidity_date = CASE WHEN $4::bigint = 0 THEN NULL ELSE to_timestamp($4::bigint) END,"
    " status_changed_at = clock_timestamp(), held_by_device = false"
    " WHERE id = (SELECT id FROM i) AND EXISTS (SELECT 1 FROM ca) RETURNING id";

static int
change_txn(mp_db *db, void *arg, json_t **row)
{
	struct change_ctx *c = arg;
	const char *lock_params[2] = { c->id, c->tenant_id };
	static const char *const actions[] = { "certificate.revoke", "certificate.suspend",
		"certificate.resume" };
	const char *from, *to, *reason = NULL;
	char when[24];
	PGresult *res = NULL, *upd = NULL;
	json_t *details = NULL;
	int r;

	if ((r = mp_db_query_row(db, lock_sql, 2, lock_params, &res)) != MP_OK)
		goto out;
	from = mp_db_value(res, 0, 1);
	switch (c->what) {
	case REVOKE:
		if (strcmp(from, "revoked") == 0) {
			r = ca_refuse(c->detail, MP_ERR_CONFLICT, "status", "already revoked");
			goto out;
		}
		to = "revoked";
		reason = c->reason;
		break;
	case SUSPEND:
		if (strcmp(from, "active") != 0) {
			r = ca_refuse(c->detail, MP_ERR_CONFLICT, "status", "is %s, not active", from);
			goto out;
		}
		to = "suspended";
		reason = "certificateHold";
		break;
	default:
		if (strcmp(from, "suspended") != 0) {
			r = ca_refuse(c->detail, MP_ERR_CONFLICT, "status", "is %s, not suspended",
			    from);
			goto out;
		}
		to = "active";
		break;
	}
	if (strcmp(mp_db_value(res, 0, 4), "t") == 0 && c->what != REVOKE) {
		r = ca_refuse(c->detail, MP_ERR_CONFLICT, "status", "the certificate has expired");
		goto out;
	}
	mp_record_time(c->what == REVOKE ? c->invalidity_date : 0, when);
	{
		const char *params[5] = { c->id, to, reason, when, mp_db_value(res, 0, 0) };

		if ((r = mp_db_query_row(db, update_sql, 5, params, &upd)) != MP_OK)
			goto out;
	}
	if ((details = json_pack("{s:s, s:s, s:s, s:s?}", "serial", mp_db_value(res, 0, 3),
	    "from", from, "to", to, "reason", reason)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if (c->what == REVOKE && c->invalidity_date != 0 &&
	    json_object_set_new(details, "invalidity_date", json_integer(c->invalidity_date)) != 0) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((r = mp_audit_write_in(db, c->actor, mp_db_value(res, 0, 2), actions[c->what],
	    "certificate", c->id, details)) != MP_OK)
		goto out;
	{
		const char *params[1] = { mp_db_value(res, 0, 0) };

		if ((r = mp_db_query(db, "SELECT pg_notify('midpki_crl', $1)", 1, params, NULL)) !=
		    MP_OK)
			goto out;
	}
	r = ca_cert_row_get(db, NULL, c->id, row);
out:
	json_decref(details);
	PQclear(upd);
	PQclear(res);
	return r;
}

int
ca_cert_revoke(const ca_env *env, const mp_actor *actor, const char *tenant_id, const char *id,
    const char *reason, int64_t invalidity_date, json_t **out, ca_detail *detail)
{
	struct change_ctx c = { actor, tenant_id, id, REVOKE, reason, invalidity_date, detail };
	bool known = false;

	if (reason == NULL)
		reason = c.reason = "unspecified";
	for (size_t i = 0; reasons[i] != NULL; i++)
		known = known || strcmp(reasons[i], reason) == 0;
	if (!known)
		return ca_refuse(detail, MP_ERR_INVALID, "reason",
		    strcmp(reason, "certificateHold") == 0 ? "use suspend to put a certificate on hold"
		    : "not an RFC 5280 revocation reason");
	if (invalidity_date < 0)
		return ca_refuse(detail, MP_ERR_INVALID, "invalidity_date", "must be a time");
	return mp_record_txn(env->db, change_txn, &c, out);
}

int
ca_cert_suspend(const ca_env *env, const mp_actor *actor, const char *tenant_id, const char *id,
    json_t **out, ca_detail *detail)
{
	struct change_ctx c = { actor, tenant_id, id, SUSPEND, NULL, 0, detail };

	return mp_record_txn(env->db, change_txn, &c, out);
}

int
ca_cert_resume(const ca_env *env, const mp_actor *actor, const char *tenant_id, const char *id,
    json_t **out, ca_detail *detail)
{
	struct change_ctx c = { actor, tenant_id, id, RESUME, NULL, 0, detail };

	return mp_record_txn(env->db, change_txn, &c, out);
}
