/* Revocation of SSH certificates and the KRL of a CA that publishes it. */
#include "sshca.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "err.h"
#include "krl.h"
#include "num.h"
#include "record.h"
#include "sshkey.h"

struct revoke_ctx {
	const mp_actor *actor;
	const char *tenant_id;
	const char *id;
};

static int
revoke_txn(mp_db *db, void *arg, json_t **row)
{
	struct revoke_ctx *c = arg;
	const char *params[2] = { c->id, c->tenant_id };
	json_t *details = NULL, *cert = NULL;
	PGresult *res = NULL;
	int r;

	r = mp_db_query_row(db, "WITH s AS (UPDATE ssh_certificates SET revoked_at = now()"
	    " WHERE id::text = $1 AND ($2::uuid IS NULL OR tenant_id = $2) AND revoked_at IS NULL"
	    " RETURNING id, tenant_id, serial, ca_id),"
	    " i AS (UPDATE identities SET status = 'revoked', updated_at = now()"
	    " WHERE id IN (SELECT id FROM s))"
	    " SELECT id, tenant_id, serial::text, ca_id FROM s", 2, params, &res);
	if (r == MP_ERR_NOT_FOUND && sshca_cert_get(db, c->tenant_id, c->id, &cert) == MP_OK)
		r = MP_ERR_CONFLICT; /* revoked already */
	if (r != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((details = json_pack("{s:s, s:s}", "serial", mp_db_value(res, 0, 2), "ca_id",
	    mp_db_value(res, 0, 3))) == NULL)
		goto out;
	if ((r = mp_audit_write(db, &(mp_actor){ c->actor->kind, c->actor->id,
	    mp_db_value(res, 0, 1) }, "ssh_certificate.revoke", "ssh_certificate",
	    mp_db_value(res, 0, 0), details)) != MP_OK ||
	    (r = sshca_cert_get(db, c->tenant_id, c->id, row)) != MP_OK)
		goto out;
out:
	json_decref(details);
	json_decref(cert);
	PQclear(res);
	return r;
}

int
sshca_cert_revoke(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id,
    json_t **out)
{
	struct revoke_ctx c = { actor, tenant_id, id };

	return mp_record_txn(db, revoke_txn, &c, out);
}

/* The wire blob of a stored key line "type base64". */
static int
line_blob(const char *line, uint8_t **blob, size_t *len)
{
	const char *b64 = strchr(line, ' ');

	if (b64 == NULL)
		return MP_ERR_INTEGRITY;
	b64++;
	return mp_b64_decode(b64, strlen(b64), false, SSHCA_BLOB_MAX, blob, len) == MP_OK ?
	    MP_OK : MP_ERR_INTEGRITY;
}

/* The serials of "1,5,9" (ascending, from the database) into a new array. */
static int
parse_serials(const char *text, uint64_t **out, size_t *n)
{
	size_t count = 1, k = 0;
	uint64_t *v;
	char num[24];

	for (const char *p = text; *p != '\0'; p++)
		count += *p == ',';
	if ((v = calloc(count, sizeof(*v))) == NULL)
		return MP_ERR_NOMEM;
	for (const char *p = text; *p != '\0' && k < count; k++) {
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= sizeof(num)) {
			free(v);
			return MP_ERR_INTEGRITY;
		}
		memcpy(num, p, len);
		num[len] = '\0';
		if (mp_parse_u64(num, INT64_MAX, &v[k]) != MP_OK) {
			free(v);
			return MP_ERR_INTEGRITY;
		}
		p += len + (p[len] == ',');
	}
	*out = v;
	*n = k;
	return MP_OK;
}

int
sshca_krl(mp_db *db, const char *tenant_id, const char *ca_id, mp_buf *out)
{
	const char *params[2] = { ca_id, tenant_id };
	sshca_krl_ca *cas = NULL;
	PGresult *res = NULL;
	uint64_t version = 0;
	int r, n = 0;

	/* per CA key: its revoked certificates that have not expired; the number of revocations */
	if ((r = mp_db_query(db, "SELECT k.public_key, COALESCE((SELECT string_agg(s.serial::text,"
	    " ',' ORDER BY s.serial) FROM ssh_certificates s WHERE s.ca_key_id = k.key_id"
	    " AND s.revoked_at IS NOT NULL AND s.valid_before > now()), ''),"
	    " (SELECT count(*) FROM ssh_certificates s WHERE s.ca_id = c.id"
	    " AND s.revoked_at IS NOT NULL), c.name"
	    " FROM ssh_cas c JOIN ssh_ca_keys k ON k.ca_id = c.id"
	    " WHERE c.id::text = $1 AND ($2::uuid IS NULL OR c.tenant_id = $2)"
	    " ORDER BY k.created_at, k.key_id", 2, params, &res)) != MP_OK)
		return r;
	r = MP_ERR_NOT_FOUND;
	if ((n = PQntuples(res)) == 0)
		goto out;
	r = MP_ERR_NOMEM;
	if ((cas = calloc((size_t)n, sizeof(*cas))) == NULL)
		goto out;
	for (int i = 0; i < n; i++) {
		const char *serials = mp_db_value(res, i, 1);

		if ((r = line_blob(mp_db_value(res, i, 0), (uint8_t **)&cas[i].ca_blob,
		    &cas[i].ca_blob_len)) != MP_OK)
			goto out;
		if (serials[0] != '\0' && (r = parse_serials(serials, (uint64_t **)&cas[i].serials,
		    &cas[i].n_serials)) != MP_OK)
			goto out;
	}
	if (mp_parse_u64(mp_db_value(res, 0, 2), UINT64_MAX, &version) != MP_OK) {
		r = MP_ERR_INTEGRITY;
		goto out;
	}
	r = sshca_krl_encode(version, (uint64_t)time(NULL), mp_db_value(res, 0, 3), cas,
	    (size_t)n, out);
out:
	for (int i = 0; cas != NULL && i < n; i++) {
		free((void *)cas[i].ca_blob);
		free((void *)cas[i].serials);
	}
	free(cas);
	PQclear(res);
	return r;
}
