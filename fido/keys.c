#include "keys.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "codec.h"
#include "config.h"
#include "dbjson.h"
#include "err.h"
#include "record.h"
#include "worker.h"

#define COLUMNS                                                                     \
	"f.id, f.tenant_id, f.role, f.key_id, k.algorithm, k.public_key, f.created_at"
#define MAX_SPKI 1024

void
fdo_env_of_worker(const mp_worker *w, fdo_env *env)
{
	memset(env, 0, sizeof(*env));
	env->db = w->db;
	env->ks = w->keystore;
	env->key_backend = w->config->keystore_backend;
}

int
fdo_key_hash(EVP_PKEY *pub, uint8_t out[32])
{
	unsigned char *der = NULL;
	unsigned int n = 0;
	int len, r = MP_ERR_CRYPTO;

	if ((len = i2d_PUBKEY(pub, &der)) <= 0)
		return MP_ERR_CRYPTO;
	if (EVP_Digest(der, (size_t)len, out, &n, EVP_sha256(), NULL) == 1 && n == 32)
		r = MP_OK;
	OPENSSL_free(der);
	return r;
}

/* The row as the header says: the key's SubjectPublicKeyInfo (base64) becomes public_key_pem. */
static int
present(json_t *row)
{
	const char *b64 = json_string_value(json_object_get(row, "public_key"));
	uint8_t *der = NULL;
	size_t len = 0;
	char *pem = NULL;
	int r;

	if (b64 == NULL)
		return MP_ERR_INTERNAL;
	if ((r = mp_b64_decode(b64, strlen(b64), false, MAX_SPKI, &der, &len)) != MP_OK ||
	    (r = mp_pem_encode("PUBLIC KEY", der, len, &pem)) != MP_OK)
		goto out;
	if (json_object_set_new(row, "public_key_pem", json_string(pem)) != 0 ||
	    json_object_del(row, "public_key") != 0)
		r = MP_ERR_NOMEM;
out:
	free(der);
	free(pem);
	return r;
}

struct create {
	const fdo_env *env;
	const mp_actor *actor;
	const char *tenant_id;
	const char *role;
	const mp_key_spec *spec;
	const char *pem;
	size_t pem_len;
};

static int
create_txn(mp_db *db, void *arg, json_t **row)
{
	const struct create *c = arg;
	char id[MP_UUID_STR_LEN + 1];
	const char *params[3];
	json_t *details = NULL;
	mp_key_spec spec;
	mp_key *k = NULL;
	int r;

	if (c->pem != NULL)
		r = mp_key_import_pem(c->env->ks, db, c->actor, c->pem, c->pem_len, "fdo", id);
	else
		r = mp_key_generate(c->env->ks, db, c->actor, c->env->key_backend, c->spec, "fdo", id);
	if (r != MP_OK)
		return r;
	if ((r = mp_key_load(c->env->ks, db, id, &k)) != MP_OK)
		return r;
	spec = *mp_key_get_spec(k);
	mp_key_release(k);
	if (spec.alg != MP_KEY_EC_P256 && spec.alg != MP_KEY_EC_P384)
		return MP_ERR_INVALID;
	if ((details = json_pack("{s:s, s:s}", "role", c->role, "key_id", id)) == NULL)
		return MP_ERR_NOMEM;
	params[0] = c->tenant_id;
	params[1] = c->role;
	params[2] = id;
	r = mp_record_insert(db, c->actor, "fdo_key.create", "fdo_key",
	    "WITH f AS (INSERT INTO fdo_keys (tenant_id, role, key_id, public_key_sha256)"
	    " SELECT $1, $2, k.id, sha256(k.public_key) FROM keys k WHERE k.id = $3"
	    " RETURNING *) SELECT " COLUMNS " FROM f JOIN keys k ON k.id = f.key_id",
	    3, params, details, row);
	json_decref(details);
	return r;
}

int
fdo_key_create(const fdo_env *env, const mp_actor *actor, const char *tenant_id,
    const char *role, const mp_key_spec *spec, const char *private_key_pem, size_t pem_len,
    json_t **out)
{
	struct create c = { env, actor, tenant_id, role, spec, private_key_pem, pem_len };
	json_t *row = NULL;
	int r;

	if (tenant_id == NULL || role == NULL ||
	    (strcmp(role, "manufacturer") != 0 && strcmp(role, "owner") != 0) ||
	    (private_key_pem == NULL && (spec == NULL || (spec->alg != MP_KEY_EC_P256 &&
	    spec->alg != MP_KEY_EC_P384))))
		return MP_ERR_INVALID;
	if ((r = mp_record_txn(env->db, create_txn, &c, &row)) != MP_OK)
		return r;
	if ((r = present(row)) == MP_OK && out != NULL) {
		*out = row;
		row = NULL;
	}
	json_decref(row);
	return r;
}

int
fdo_key_list(mp_db *db, const char *tenant_id, const char *after_id, unsigned limit,
    json_t **out)
{
	char lim[16];
	const char *params[3] = { tenant_id, after_id, lim };
	json_t *list = NULL, *row;
	size_t i;
	int r;

	mp_record_limit(limit, lim);
	r = mp_record_list(db, "SELECT " COLUMNS " FROM fdo_keys f JOIN keys k ON k.id = f.key_id"
	    " WHERE ($1::uuid IS NULL OR f.tenant_id = $1) AND ($2::uuid IS NULL OR f.id > $2)"
	    " ORDER BY f.id LIMIT $3", 3, params, &list);
	if (r != MP_OK)
		return r;
	json_array_foreach(list, i, row)
		if ((r = present(row)) != MP_OK) {
			json_decref(list);
			return r;
		}
	*out = list;
	return MP_OK;
}

int
fdo_key_signer(const fdo_env *env, const char *tenant_id, EVP_PKEY *pub, mp_key **out)
{
	uint8_t h[32];
	char *hp = NULL;
	const char *params[2];
	PGresult *res = NULL;
	const char *id;
	int r;

	if ((r = fdo_key_hash(pub, h)) != MP_OK || (r = mp_db_bytea_param(h, sizeof(h), &hp)) != MP_OK)
		return r;
	params[0] = tenant_id;
	params[1] = hp;
	r = mp_db_query_row(env->db, "SELECT key_id FROM fdo_keys WHERE tenant_id = $1"
	    " AND public_key_sha256 = $2", 2, params, &res);
	if (r == MP_OK && (id = mp_db_value(res, 0, 0)) != NULL)
		r = mp_key_load(env->ks, env->db, id, out);
	else if (r == MP_OK)
		r = MP_ERR_INTERNAL;
	PQclear(res);
	free(hp);
	return r;
}
