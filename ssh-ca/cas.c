/* SSH CAs: creation with a first key, reads, the lines that publish their keys. */
#include "sshca.h"
#include "sshca_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "engine.h"
#include "err.h"
#include "sshprofile.h"
#include "record.h"
#include "sshkey.h"

/* The CA columns with its keys, newest first; $1 CA id or NULL, $2 tenant or NULL, ... */
#define CA_COLUMNS \
	"c.id, c.tenant_id, c.name, c.kind, c.status, c.created_at, c.updated_at," \
	" COALESCE((SELECT json_agg(json_build_object('key_id', k.key_id, 'algorithm'," \
	" ks.algorithm, 'public_key', k.public_key, 'fingerprint', k.fingerprint, 'status'," \
	" k.status, 'created_at', k.created_at) ORDER BY k.created_at DESC, k.key_id)" \
	" FROM ssh_ca_keys k JOIN keys ks ON ks.id = k.key_id WHERE k.ca_id = c.id), '[]') AS keys"

static const char *const ca_algorithms[] = { "ed25519", "ec-p256", "ec-p384", "rsa-3072",
	"rsa-4096" };

struct create_ctx {
	const sshca_env *env;
	const mp_actor *actor;
	const sshca_ca_new *in;
	const char *algorithm;
	mp_detail *d;
};

/* The key line and fingerprint of key id. */
static int
key_line(const sshca_env *env, const char *key_id, char **line, char **fp)
{
	mp_key *k = NULL;
	mp_buf *blob = mp_buf_new(SSHCA_BLOB_MAX);
	int r = MP_ERR_NOMEM;

	if (blob == NULL)
		goto out;
	if ((r = mp_key_load(env->ks, env->db, key_id, &k)) != MP_OK ||
	    (r = sshca_key_blob(k, blob)) != MP_OK ||
	    (r = sshca_pubkey_line(sshca_ca_key_type_name(k), mp_buf_ptr(blob), mp_buf_len(blob),
	    NULL, line)) != MP_OK)
		goto out;
	if ((r = sshca_fingerprint(mp_buf_ptr(blob), mp_buf_len(blob), fp)) != MP_OK) {
		free(*line);
		*line = NULL;
	}
out:
	mp_key_release(k);
	mp_buf_free(blob);
	return r;
}

/*
 * A new key of algorithm in the key store (backend NULL: the configured one),
 * added to CA ca_id (named name) as an active key; *fp its fingerprint.
 */
static int
add_key(const sshca_env *env, mp_db *db, const mp_actor *actor, const char *ca_id,
    const char *name, const char *algorithm, const char *backend, mp_detail *d,
    char key_id[MP_UUID_STR_LEN + 1], char **fp)
{
	char label[128], *line = NULL;
	const char *params[4];
	mp_key_spec spec;
	int r;

	if (mp_key_spec_parse(algorithm, &spec) != MP_OK)
		return MP_ERR_INTERNAL;
	snprintf(label, sizeof(label), "ssh-ca %s", name);
	if ((r = mp_key_generate(env->ks, db, actor, backend != NULL ? backend : env->key_backend,
	    &spec, label, key_id)) != MP_OK) {
		if (r == MP_ERR_UNSUPPORTED)
			mp_detail_set(d, "algorithm", "the key store cannot make %s keys", algorithm);
		return r;
	}
	if ((r = key_line(env, key_id, &line, fp)) != MP_OK)
		return r;
	params[0] = ca_id;
	params[1] = key_id;
	params[2] = line;
	params[3] = *fp;
	if ((r = mp_db_query(db, "INSERT INTO ssh_ca_keys (ca_id, key_id, public_key, fingerprint)"
	    " VALUES ($1, $2, $3, $4)", 4, params, NULL)) != MP_OK) {
		free(*fp);
		*fp = NULL;
	}
	free(line);
	return r;
}

static int
create_txn(mp_db *db, void *arg, json_t **row)
{
	struct create_ctx *c = arg;
	const sshca_ca_new *in = c->in;
	char key_id[MP_UUID_STR_LEN + 1], *fp = NULL;
	const char *params[3];
	json_t *details = NULL, *ca = NULL;
	PGresult *res = NULL;
	int r;

	params[0] = in->tenant_id;
	params[1] = in->name;
	params[2] = in->kind;
	if ((r = mp_db_query_row(db, "INSERT INTO ssh_cas (tenant_id, name, kind) VALUES ($1, $2, $3)"
	    " RETURNING id", 3, params, &res)) != MP_OK) {
		if (r == MP_ERR_CONFLICT)
			mp_detail_set(c->d, "name", "the tenant has an SSH CA named \"%s\"", in->name);
		goto out;
	}
	params[0] = mp_db_value(res, 0, 0);
	if ((r = add_key(c->env, db, c->actor, params[0], in->name, c->algorithm, in->backend, c->d,
	    key_id, &fp)) != MP_OK ||
	    (r = sshca_ca_get(db, in->tenant_id, params[0], &ca)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((details = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", in->name, "kind", in->kind,
	    "algorithm", c->algorithm, "key_id", key_id, "fingerprint", fp)) == NULL)
		goto out;
	if ((r = mp_audit_write(db, &(mp_actor){ c->actor->kind, c->actor->id, in->tenant_id },
	    "ssh_ca.create", "ssh_ca", params[0], details)) != MP_OK)
		goto out;
	*row = ca;
	ca = NULL;
out:
	json_decref(details);
	json_decref(ca);
	PQclear(res);
	free(fp);
	return r;
}

/* Whether algorithm is one an SSH CA key may have; refuses it in d otherwise. */
static int
check_algorithm(const char *algorithm, mp_detail *d)
{
	for (size_t i = 0; i < sizeof(ca_algorithms) / sizeof(ca_algorithms[0]); i++)
		if (strcmp(ca_algorithms[i], algorithm) == 0)
			return MP_OK;
	return mp_refuse(d, MP_ERR_INVALID, "algorithm", "must be ed25519, ec-p256, ec-p384, "
	    "rsa-3072 or rsa-4096 (RSA signs with rsa-sha2-512)");
}

int
sshca_ca_create(const sshca_env *env, const mp_actor *actor, const sshca_ca_new *in,
    json_t **out, mp_detail *d)
{
	struct create_ctx c = { env, actor, in, in->algorithm != NULL ? in->algorithm : "ed25519",
		d };
	size_t n = strlen(in->name != NULL ? in->name : "");
	int r;

	if (in->tenant_id == NULL)
		return MP_ERR_INVALID;
	if (n == 0 || n > 64 || strspn(in->name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n ||
	    strchr("._-", in->name[0]) != NULL)
		return mp_refuse(d, MP_ERR_INVALID, "name", "must be 1 to 64 characters of a-z, 0-9, "
		    "'.', '_' and '-', starting with a letter or digit");
	if (in->kind == NULL || (strcmp(in->kind, "user") != 0 && strcmp(in->kind, "host") != 0))
		return mp_refuse(d, MP_ERR_INVALID, "kind", "must be \"user\" or \"host\"");
	if ((r = check_algorithm(c.algorithm, d)) != MP_OK)
		return r;
	return mp_record_txn(env->db, create_txn, &c, out);
}

struct key_ctx {
	const sshca_env *env;
	const mp_actor *actor;
	const char *tenant_id;
	const char *ca_id;
	const char *algorithm;  /* add: the new key's */
	const char *backend;
	const char *key_id;     /* retire: the key */
	mp_detail *d;
};

/* Locks CA c->ca_id of the caller's scope: its id, tenant and name in *res. */
static int
lock_ca(mp_db *db, const struct key_ctx *c, PGresult **res)
{
	const char *params[2] = { c->ca_id, c->tenant_id };

	return mp_db_query_row(db, "SELECT id, tenant_id, name FROM ssh_cas WHERE id::text = $1"
	    " AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE", 2, params, res);
}

/* Audits action on the CA of res with details, and answers the CA in *row. */
static int
key_change_done(mp_db *db, const struct key_ctx *c, PGresult *res, const char *action,
    json_t *details, json_t **row)
{
	int r;

	if (details == NULL)
		return MP_ERR_NOMEM;
	if ((r = mp_audit_write_in(db, c->actor, mp_db_value(res, 0, 1), action, "ssh_ca",
	    mp_db_value(res, 0, 0), details)) != MP_OK)
		return r;
	return sshca_ca_get(db, mp_db_value(res, 0, 1), mp_db_value(res, 0, 0), row);
}

static int
add_key_txn(mp_db *db, void *arg, json_t **row)
{
	struct key_ctx *c = arg;
	char key_id[MP_UUID_STR_LEN + 1], *fp = NULL;
	json_t *details = NULL;
	PGresult *res = NULL;
	int r;

	if ((r = lock_ca(db, c, &res)) != MP_OK ||
	    (r = add_key(c->env, db, c->actor, mp_db_value(res, 0, 0), mp_db_value(res, 0, 2),
	    c->algorithm, c->backend, c->d, key_id, &fp)) != MP_OK)
		goto out;
	details = json_pack("{s:s, s:s, s:s}", "key_id", key_id, "algorithm", c->algorithm,
	    "fingerprint", fp);
	r = key_change_done(db, c, res, "ssh_ca.add_key", details, row);
out:
	json_decref(details);
	PQclear(res);
	free(fp);
	return r;
}

int
sshca_ca_add_key(const sshca_env *env, const mp_actor *actor, const char *tenant_id,
    const char *ca_id, const char *algorithm, const char *backend, json_t **out, mp_detail *d)
{
	struct key_ctx c = { env, actor, tenant_id, ca_id,
		algorithm != NULL ? algorithm : "ed25519", backend, NULL, d };
	int r;

	if ((r = check_algorithm(c.algorithm, d)) != MP_OK)
		return r;
	return mp_record_txn(env->db, add_key_txn, &c, out);
}

static int
retire_key_txn(mp_db *db, void *arg, json_t **row)
{
	struct key_ctx *c = arg;
	const char *params[2];
	json_t *details = NULL;
	PGresult *res = NULL, *key = NULL;
	int r;

	if ((r = lock_ca(db, c, &res)) != MP_OK)
		goto out;
	params[0] = mp_db_value(res, 0, 0);
	params[1] = c->key_id;
	/* the key, active, and whether another active key remains to sign */
	if ((r = mp_db_query_row(db, "SELECT k.fingerprint, k.status, (SELECT count(*) FROM"
	    " ssh_ca_keys o WHERE o.ca_id = k.ca_id AND o.status = 'active' AND o.key_id <> k.key_id)"
	    " FROM ssh_ca_keys k WHERE k.ca_id = $1 AND k.key_id::text = $2", 2, params, &key)) !=
	    MP_OK) {
		if (r == MP_ERR_NOT_FOUND)
			mp_detail_set(c->d, "key", "the SSH CA has no key %.64s", c->key_id);
		goto out;
	}
	r = MP_ERR_CONFLICT;
	if (strcmp(mp_db_value(key, 0, 1), "active") != 0) {
		mp_detail_set(c->d, "key", "the key is retired already");
		goto out;
	}
	if (strcmp(mp_db_value(key, 0, 2), "0") == 0) {
		mp_detail_set(c->d, "key", "the key is the CA's last active key: add another first");
		goto out;
	}
	if ((r = mp_db_query(db, "UPDATE ssh_ca_keys SET status = 'retired' WHERE ca_id = $1"
	    " AND key_id::text = $2", 2, params, NULL)) != MP_OK)
		goto out;
	details = json_pack("{s:s, s:s}", "key_id", c->key_id, "fingerprint",
	    mp_db_value(key, 0, 0));
	r = key_change_done(db, c, res, "ssh_ca.retire_key", details, row);
out:
	json_decref(details);
	PQclear(key);
	PQclear(res);
	return r;
}

int
sshca_ca_retire_key(const sshca_env *env, const mp_actor *actor, const char *tenant_id,
    const char *ca_id, const char *key_id, json_t **out, mp_detail *d)
{
	struct key_ctx c = { env, actor, tenant_id, ca_id, NULL, NULL, key_id, d };

	return mp_record_txn(env->db, retire_key_txn, &c, out);
}

int
sshca_ca_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	return mp_record_get(db, "SELECT " CA_COLUMNS " FROM ssh_cas c WHERE c.id::text = $1"
	    " AND ($2::uuid IS NULL OR c.tenant_id = $2)", 2, params, out);
}

int
sshca_ca_list(mp_db *db, const char *tenant_id, const char *after_id, unsigned limit,
    json_t **out)
{
	char lim[16];
	const char *params[3] = { tenant_id, after_id, lim };

	mp_record_limit(limit, lim);
	return mp_record_list(db, "SELECT " CA_COLUMNS " FROM ssh_cas c"
	    " WHERE ($1::uuid IS NULL OR c.tenant_id = $1) AND ($2::uuid IS NULL OR c.id > $2)"
	    " ORDER BY c.id LIMIT $3::int", 3, params, out);
}

int
sshca_ca_public_keys(mp_db *db, const char *tenant_id, const char *id, mp_buf *out)
{
	const char *params[2] = { id, tenant_id };
	PGresult *res = NULL;
	int r;

	if ((r = mp_db_query(db, "SELECT c.kind, k.public_key, t.name, c.name FROM ssh_cas c"
	    " JOIN tenants t ON t.id = c.tenant_id"
	    " LEFT JOIN ssh_ca_keys k ON k.ca_id = c.id AND k.status = 'active'"
	    " WHERE c.id::text = $1 AND ($2::uuid IS NULL OR c.tenant_id = $2)"
	    " ORDER BY k.created_at DESC, k.key_id", 2, params, &res)) != MP_OK)
		return r;
	r = PQntuples(res) == 0 ? MP_ERR_NOT_FOUND : MP_OK;
	for (int i = 0; i < PQntuples(res) && r == MP_OK; i++)
		if (mp_db_value(res, i, 1) != NULL)
			r = mp_buf_putf(out, "%s%s midpki:%s/%s\n",
			    strcmp(mp_db_value(res, i, 0), "host") == 0 ? "@cert-authority * " : "",
			    mp_db_value(res, i, 1), mp_db_value(res, i, 2), mp_db_value(res, i, 3));
	PQclear(res);
	return r;
}

int
sshca_ca_signing_key(const sshca_env *env, const char *ca_id, mp_key **out, char **key_id)
{
	const char *params[1] = { ca_id };
	PGresult *res = NULL;
	int r;

	if ((r = mp_db_query_row(env->db, "SELECT key_id FROM ssh_ca_keys WHERE ca_id = $1"
	    " AND status = 'active' ORDER BY created_at DESC, key_id LIMIT 1", 1, params, &res)) !=
	    MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((*key_id = strdup(mp_db_value(res, 0, 0))) == NULL)
		goto out;
	if ((r = mp_key_load(env->ks, env->db, *key_id, out)) != MP_OK) {
		free(*key_id);
		*key_id = NULL;
	}
out:
	PQclear(res);
	return r;
}

/* The built-in profiles, made under a lock on the platform tenant's row so that instances agree. */
static int
bootstrap_txn(mp_db *db, void *arg)
{
	static const mp_actor system_actor = { "system", "bootstrap", NULL };
	const char *params[1] = { MP_BOOTSTRAP_TENANT };
	const sshca_builtin_profile *b;
	PGresult *res = NULL;
	size_t n;
	int r;

	(void)arg;
	if ((r = mp_db_query_row(db, "SELECT id FROM tenants WHERE name = $1 FOR UPDATE", 1, params,
	    &res)) != MP_OK)
		return r;
	b = sshca_builtin_profiles(&n);
	for (size_t i = 0; i < n && r == MP_OK; i++)
		r = mp_profile_ensure(db, &system_actor, mp_db_value(res, 0, 0), b[i].name, b[i].kind,
		    b[i].body_json, false);
	PQclear(res);
	return r;
}

int
sshca_bootstrap(mp_db *db)
{
	return mp_db_txn(db, bootstrap_txn, NULL);
}
