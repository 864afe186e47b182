/* Certificate requests waiting for an operator's approval (profiles with approval_required). */
#include "ca_priv.h"
#include "issue_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csr.h"
#include "err.h"
#include "num.h"
#include "record.h"

int
ca_request_list(mp_db *db, const char *tenant_id, const char *status, const char *after_id,
    unsigned limit, json_t **out)
{
	char lim[16];
	const char *params[4] = { tenant_id, status, after_id, lim };

	mp_record_limit(limit, lim);
	return mp_record_list(db, "SELECT " CA_REQUEST_COLUMNS " FROM certificate_requests"
	    " WHERE ($1::uuid IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR status = $2)"
	    " AND ($3::uuid IS NULL OR id > $3) ORDER BY id LIMIT $4::int", 4, params, out);
}

int
ca_request_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	return mp_record_get(db, "SELECT " CA_REQUEST_COLUMNS " FROM certificate_requests"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)", 2, params, out);
}

/* The most recent requests of a device that ca_request_find_key looks through. */
#define FIND_KEY_RECENT "16"

int
ca_request_find_key(mp_db *db, const char *tenant_id, const char *device_id,
    const uint8_t *csr, size_t csr_len, json_t **out)
{
	const char *params[2] = { tenant_id, device_id };
	ca_csr *want = NULL, *got = NULL;
	ca_detail d = { { 0 }, { 0 } };
	PGresult *res = NULL;
	json_t *row = NULL, *cert = NULL;
	uint8_t *der = NULL;
	size_t len;
	int r, found = -1;

	if (tenant_id == NULL || device_id == NULL) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((r = ca_csr_decode(csr, csr_len, &want, &d)) != MP_OK ||
	    (r = mp_db_query(db, "SELECT id, csr FROM certificate_requests"
	    " WHERE tenant_id = $1 AND device_id = $2 ORDER BY created_at DESC LIMIT "
	    FIND_KEY_RECENT, 2, params, &res)) != MP_OK)
		goto out;
	for (int i = 0; i < PQntuples(res) && found < 0; i++) {
		if ((r = mp_db_bytea_value(res, i, 1, CA_CSR_MAX_BYTES, &der, &len)) != MP_OK)
			goto out;
		if (ca_csr_decode(der, len, &got, &d) == MP_OK &&
		    got->spki_bits_len == want->spki_bits_len &&
		    memcmp(got->spki_bits, want->spki_bits, want->spki_bits_len) == 0 &&
		    OBJ_cmp(got->spki_alg->algorithm, want->spki_alg->algorithm) == 0)
			found = i;
		ca_csr_free(got);
		got = NULL;
		free(der);
		der = NULL;
	}
	if (found < 0) {
		r = MP_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = ca_request_get(db, tenant_id, mp_db_value(res, found, 0), &row)) != MP_OK)
		goto out;
	if (json_is_string(json_object_get(row, "certificate_id"))) {
		if ((r = ca_cert_get(db, tenant_id, json_string_value(json_object_get(row,
		    "certificate_id")), &cert)) != MP_OK)
			goto out;
		if (json_object_set(row, "certificate_pem", json_object_get(cert,
		    "certificate_pem")) != 0) {
			r = MP_ERR_NOMEM;
			goto out;
		}
	}
	*out = row;
	row = NULL;
out:
	ca_csr_free(want);
	ca_csr_free(got);
	free(der);
	PQclear(res);
	json_decref(row);
	json_decref(cert);
	return r;
}

struct decide_ctx {
	const ca_env *env;
	const mp_actor *actor;
	const char *tenant_id;
	const char *id;
	bool approve;
	ca_detail *detail;
};

static int
decide_txn(mp_db *db, void *arg, json_t **row)
{
	struct decide_ctx *c = arg;
	const char *params[2] = { c->id, c->tenant_id };
	char decider[128], *csr = NULL;
	PGresult *res = NULL;
	json_t *cert = NULL, *details = NULL;
	size_t csr_len;
	int r;

	if ((r = mp_db_query_row(db, "SELECT tenant_id, device_id, profile_id, status,"
	    " requested_by, csr, validity_s FROM certificate_requests"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE", 2, params,
	    &res)) != MP_OK)
		goto out;
	if (strcmp(mp_db_value(res, 0, 3), "pending") != 0) {
		r = ca_refuse(c->detail, MP_ERR_CONFLICT, "status", "the request is already %s",
		    mp_db_value(res, 0, 3));
		goto out;
	}
	snprintf(decider, sizeof(decider), "%s:%s", c->actor->kind, c->actor->id);
	if (strcmp(decider, mp_db_value(res, 0, 4)) == 0) {
		r = ca_refuse(c->detail, MP_ERR_DENIED, "requested_by",
		    "the requester cannot decide their own request");
		goto out;
	}
	if (c->approve) {
		uint64_t validity = 0;
		ca_issue_req req;
		bool pending = false;

		if ((r = mp_db_bytea_value(res, 0, 5, CA_DER_MAX * 2, (uint8_t **)&csr, &csr_len)) !=
		    MP_OK ||
		    (r = mp_parse_u64(mp_db_value(res, 0, 6), INT64_MAX, &validity)) != MP_OK)
			goto out;
		req = (ca_issue_req){ mp_db_value(res, 0, 0), mp_db_value(res, 0, 1),
			mp_db_value(res, 0, 2), csr, csr_len, (int64_t)validity, NULL };
		if ((r = ca_issue_for_device(c->env, c->actor, &req, false, NULL, &cert, &pending,
		    c->detail)) != MP_OK)
			goto out;
	}
	{
		const char *upd[4] = { c->id, c->approve ? "approved" : "rejected", decider,
			cert != NULL ? json_string_value(json_object_get(cert, "id")) : NULL };

		if ((r = mp_db_query(db, "UPDATE certificate_requests SET status = $2,"
		    " decided_by = $3, certificate_id = $4, decided_at = now() WHERE id = $1", 4, upd,
		    NULL)) != MP_OK)
			goto out;
		if ((details = json_pack("{s:s?}", "certificate_id", upd[3])) == NULL) {
			r = MP_ERR_NOMEM;
			goto out;
		}
	}
	if ((r = mp_audit_write_in(db, c->actor, mp_db_value(res, 0, 0),
	    c->approve ? "request.approve" : "request.reject", "certificate_request", c->id,
	    details)) != MP_OK)
		goto out;
	if (c->approve) {
		*row = cert;
		cert = NULL;
	} else {
		r = ca_request_get(db, NULL, c->id, row);
	}
out:
	json_decref(cert);
	json_decref(details);
	free(csr);
	PQclear(res);
	return r;
}

int
ca_request_approve(const ca_env *env, const mp_actor *actor, const char *tenant_id,
    const char *id, json_t **out, ca_detail *detail)
{
	struct decide_ctx c = { env, actor, tenant_id, id, true, detail };

	return mp_record_txn(env->db, decide_txn, &c, out);
}

int
ca_request_reject(const ca_env *env, const mp_actor *actor, const char *tenant_id,
    const char *id, json_t **out)
{
	struct decide_ctx c = { env, actor, tenant_id, id, false, NULL };

	return mp_record_txn(env->db, decide_txn, &c, out);
}
