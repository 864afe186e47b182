/*
 * Revocation of SSH certificates, one by one or by key id and public key for
 * a CA, and the KRL of a CA that publishes them.
 */
#include "sshca.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "err.h"
#include "krl.h"
#include "num.h"
#include "cert.h"
#include "record.h"
#include "sshkey.h"

#define REVOCATION_COLUMNS \
	"r.id, r.tenant_id, r.ca_id, r.key_id, r.public_key, r.fingerprint, r.created_at"

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

struct ca_revoke_ctx {
	const mp_actor *actor;
	const sshca_revocation_req *in;
	const char *line;             /* the public key line without comment, or NULL */
	const char *fingerprint;
	mp_detail *d;
};

/* The certificates of the CA the revocation matches, revoked with their identities. */
static int
revoke_matching(mp_db *db, const struct ca_revoke_ctx *c, const char *tenant_id,
    const char *ca_id, json_t *ids)
{
	const char *params[3] = { ca_id, c->in->key_id, c->fingerprint };
	const char *cause = c->line != NULL ? "public_key" : "key_id";
	PGresult *res = NULL;
	int r;

	if ((r = mp_db_query(db, "WITH t AS (SELECT s.id FROM ssh_certificates s"
	    " JOIN identities i ON i.id = s.id WHERE s.ca_id = $1"
	    " AND (s.key_id = $2 OR s.fingerprint = $3)"
	    " AND s.revoked_at IS NULL AND s.valid_before > now() FOR UPDATE OF s, i),"
	    " u AS (UPDATE identities SET status = 'revoked', updated_at = now()"
	    " WHERE id IN (SELECT id FROM t))"
	    " UPDATE ssh_certificates s SET revoked_at = now() FROM t WHERE s.id = t.id"
	    " RETURNING s.id, s.serial::text", 3, params, &res)) != MP_OK)
		return r;
	for (int i = 0; i < PQntuples(res) && r == MP_OK; i++) {
		json_t *details = json_pack("{s:s, s:s, s:s}", "serial", mp_db_value(res, i, 1),
		    "ca_id", ca_id, "cause", cause);

		r = MP_ERR_NOMEM;
		if (details != NULL &&
		    json_array_append_new(ids, json_string(mp_db_value(res, i, 0))) == 0)
			r = mp_audit_write_in(db, c->actor, tenant_id, "ssh_certificate.revoke",
			    "ssh_certificate", mp_db_value(res, i, 0), details);
		json_decref(details);
	}
	PQclear(res);
	return r;
}

static int
ca_revoke_txn(mp_db *db, void *arg, json_t **row)
{
	struct ca_revoke_ctx *c = arg;
	const char *params[5] = { c->in->ca_id, c->in->tenant_id, c->in->key_id, c->line,
		c->fingerprint };
	json_t *rev = NULL, *ids = json_array(), *details = NULL;
	PGresult *res = NULL;
	int r = MP_ERR_NOMEM;

	if (ids == NULL)
		goto out;
	/* the CA's row lock orders revocations with the KRL version they make */
	if ((r = mp_db_query_row(db, "SELECT id, tenant_id FROM ssh_cas WHERE id::text = $1"
	    " AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE", 2, params, &res)) != MP_OK)
		goto out;
	params[0] = mp_db_value(res, 0, 0);
	params[1] = mp_db_value(res, 0, 1);
	if ((r = mp_record_get(db, "INSERT INTO ssh_revocations AS r (tenant_id, ca_id, key_id,"
	    " public_key, fingerprint) VALUES ($2, $1, $3, $4, $5) RETURNING " REVOCATION_COLUMNS,
	    5, params, &rev)) != MP_OK) {
		if (r == MP_ERR_CONFLICT)
			mp_detail_set(c->d, c->line != NULL ? "public_key" : "key_id",
			    "the CA has revoked this %s already", c->line != NULL ? "public key" :
			    "key id");
		goto out;
	}
	if ((r = revoke_matching(db, c, params[1], params[0], ids)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((details = json_pack("{s:s, s:O, s:O, s:O, s:O}", "ca_id", params[0], "key_id",
	    json_object_get(rev, "key_id"), "public_key", json_object_get(rev, "public_key"),
	    "fingerprint", json_object_get(rev, "fingerprint"), "certificates", ids)) == NULL ||
	    json_object_set(rev, "certificates", ids) != 0)
		goto out;
	if ((r = mp_audit_write_in(db, c->actor, params[1], "ssh_revocation.create",
	    "ssh_revocation", json_string_value(json_object_get(rev, "id")), details)) != MP_OK)
		goto out;
	*row = rev;
	rev = NULL;
out:
	json_decref(details);
	json_decref(ids);
	json_decref(rev);
	PQclear(res);
	return r;
}

int
sshca_ca_revoke(mp_db *db, const mp_actor *actor, const sshca_revocation_req *in,
    json_t **out, mp_detail *d)
{
	struct ca_revoke_ctx c = { actor, in, NULL, NULL, d };
	sshca_pubkey *key = NULL;
	char *line = NULL, *fp = NULL;
	const char *why = NULL;
	size_t n;
	int r;

	if (in->ca_id == NULL)
		return MP_ERR_INVALID;
	if ((in->key_id == NULL) == (in->public_key == NULL))
		return mp_refuse(d, MP_ERR_INVALID, "key_id", "give exactly one of key_id and "
		    "public_key");
	if (in->key_id != NULL) {
		n = strlen(in->key_id);
		if (n == 0 || n > SSHCA_KEY_ID_MAX)
			return mp_refuse(d, MP_ERR_INVALID, "key_id", "must be 1 to %d bytes",
			    SSHCA_KEY_ID_MAX);
		return mp_record_txn(db, ca_revoke_txn, &c, out);
	}
	if ((r = sshca_pubkey_parse_line(in->public_key, in->public_key_len, &key, &why)) != MP_OK)
		return mp_refuse(d, r == MP_ERR_TOO_LARGE ? MP_ERR_INVALID : r, "public_key", "%s",
		    why);
	if ((r = sshca_pubkey_line(sshca_key_type_name(key->type), key->blob, key->blob_len, NULL,
	    &line)) != MP_OK || (r = sshca_fingerprint(key->blob, key->blob_len, &fp)) != MP_OK)
		goto out;
	c.line = line;
	c.fingerprint = fp;
	r = mp_record_txn(db, ca_revoke_txn, &c, out);
out:
	sshca_pubkey_free(key);
	free(line);
	free(fp);
	return r;
}

int
sshca_ca_revocations(mp_db *db, const char *tenant_id, const char *ca_id,
    const char *after_id, unsigned limit, json_t **out)
{
	char lim[16];
	const char *params[4] = { ca_id, tenant_id, after_id, lim };
	json_t *ca = NULL;
	int r;

	if ((r = sshca_ca_get(db, tenant_id, ca_id, &ca)) != MP_OK)
		return r;
	json_decref(ca);
	mp_record_limit(limit, lim);
	return mp_record_list(db, "SELECT " REVOCATION_COLUMNS " FROM ssh_revocations r"
	    " WHERE r.ca_id::text = $1 AND ($2::uuid IS NULL OR r.tenant_id = $2)"
	    " AND ($3::uuid IS NULL OR r.id > $3) ORDER BY r.id LIMIT $4::int", 4, params, out);
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

/* The CA's revoked key ids and public key blobs, into in and *key_ids (the caller frees them). */
static int
load_revocations(mp_db *db, const char *ca_id, sshca_krl_in *in, char ***key_ids,
    size_t *n_key_ids)
{
	const char *params[1] = { ca_id };
	sshca_krl_key *keys = NULL;
	PGresult *res = NULL;
	char **ids = NULL;
	size_t ni = 0, nk = 0;
	int r, n;

	if ((r = mp_db_query(db, "SELECT key_id, public_key FROM ssh_revocations WHERE ca_id = $1"
	    " ORDER BY key_id, public_key", 1, params, &res)) != MP_OK)
		return r;
	n = PQntuples(res);
	r = MP_ERR_NOMEM;
	if ((ids = calloc((size_t)n + 1, sizeof(*ids))) == NULL ||
	    (keys = calloc((size_t)n + 1, sizeof(*keys))) == NULL)
		goto out;
	for (int i = 0; i < n; i++) {
		if (mp_db_value(res, i, 0) != NULL) {
			if ((ids[ni++] = strdup(mp_db_value(res, i, 0))) == NULL)
				goto out;
			continue;
		}
		if ((r = line_blob(mp_db_value(res, i, 1), (uint8_t **)&keys[nk].blob,
		    &keys[nk].len)) != MP_OK)
			goto out;
		nk++;
		r = MP_ERR_NOMEM;
	}
	r = MP_OK;
out:
	in->keys = keys;
	in->n_keys = nk;
	*key_ids = ids;
	*n_key_ids = ni;
	PQclear(res);
	return r;
}

int
sshca_krl(mp_db *db, const char *tenant_id, const char *ca_id, mp_buf *out)
{
	const char *params[2] = { ca_id, tenant_id };
	sshca_krl_in in = { 0 };
	sshca_krl_ca *cas = NULL;
	PGresult *res = NULL;
	char **key_ids = NULL;
	size_t n_key_ids = 0;
	int r, n = 0;

	/*
	 * per CA key: its revoked certificates that have not expired; the number of
	 * revocations; the time of the latest (the CA's creation before any), so that
	 * the bytes change only with what they say
	 */
	if ((r = mp_db_query(db, "SELECT k.public_key, COALESCE((SELECT string_agg(s.serial::text,"
	    " ',' ORDER BY s.serial) FROM ssh_certificates s WHERE s.ca_key_id = k.key_id"
	    " AND s.revoked_at IS NOT NULL AND s.valid_before > now()), ''),"
	    " (SELECT count(*) FROM ssh_certificates s WHERE s.ca_id = c.id"
	    " AND s.revoked_at IS NOT NULL) + (SELECT count(*) FROM ssh_revocations v"
	    " WHERE v.ca_id = c.id), c.name, c.id,"
	    " extract(epoch FROM GREATEST(c.created_at, (SELECT max(s.revoked_at)"
	    " FROM ssh_certificates s WHERE s.ca_id = c.id), (SELECT max(v.created_at)"
	    " FROM ssh_revocations v WHERE v.ca_id = c.id)))::bigint"
	    " FROM ssh_cas c JOIN ssh_ca_keys k ON k.ca_id = c.id"
	    " WHERE c.id::text = $1 AND ($2::uuid IS NULL OR c.tenant_id = $2)"
	    " ORDER BY k.created_at, k.key_id", 2, params, &res)) != MP_OK)
		return r;
	r = MP_ERR_NOT_FOUND;
	if ((n = PQntuples(res)) == 0)
		goto out;
	if ((r = load_revocations(db, mp_db_value(res, 0, 4), &in, &key_ids, &n_key_ids)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((cas = calloc((size_t)n, sizeof(*cas))) == NULL)
		goto out;
	for (int i = 0; i < n; i++) {
		const char *serials = mp_db_value(res, i, 1);

		cas[i].key_ids = (const char *const *)key_ids;
		cas[i].n_key_ids = n_key_ids;
		if ((r = line_blob(mp_db_value(res, i, 0), (uint8_t **)&cas[i].ca_blob,
		    &cas[i].ca_blob_len)) != MP_OK)
			goto out;
		if (serials[0] != '\0' && (r = parse_serials(serials, (uint64_t **)&cas[i].serials,
		    &cas[i].n_serials)) != MP_OK)
			goto out;
	}
	if (mp_parse_u64(mp_db_value(res, 0, 2), UINT64_MAX, &in.version) != MP_OK ||
	    mp_parse_u64(mp_db_value(res, 0, 5), UINT64_MAX, &in.generated) != MP_OK) {
		r = MP_ERR_INTEGRITY;
		goto out;
	}
	in.comment = mp_db_value(res, 0, 3);
	in.cas = cas;
	in.n_cas = (size_t)n;
	r = sshca_krl_encode(&in, out);
out:
	for (int i = 0; cas != NULL && i < n; i++) {
		free((void *)cas[i].ca_blob);
		free((void *)cas[i].serials);
	}
	for (size_t i = 0; in.keys != NULL && i < in.n_keys; i++)
		free((void *)in.keys[i].blob);
	free((void *)in.keys);
	for (size_t i = 0; i < n_key_ids; i++)
		free(key_ids[i]);
	free(key_ids);
	free(cas);
	PQclear(res);
	return r;
}
