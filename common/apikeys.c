#include "apikeys.h"

#include <string.h>
#include <time.h>

#include "codec.h"
#include "err.h"
#include "record.h"
#include "secure.h"
#include "users.h"

#define COLUMNS "k.id, k.user_id, u.tenant_id, k.expires_at, k.revoked_at, k.created_at," \
	" k.last_used_at"

int
mp_apikey_create(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *user_id, int64_t expires_at, char **key_out, json_t **out)
{
	uint8_t hash[MP_CRED_HASH_LEN];
	char id[MP_UUID_STR_LEN + 1], exp[24], *key = NULL, *hashp = NULL;
	const char *params[5];
	int r;

	if (user_id == NULL || key_out == NULL || expires_at < 0 ||
	    (expires_at != 0 && expires_at <= (int64_t)time(NULL))) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((r = mp_cred_new("mpk", id, &key, hash)) != MP_OK ||
	    (r = mp_db_bytea_param(hash, sizeof(hash), &hashp)) != MP_OK)
		goto out;
	mp_record_time(expires_at, exp);
	params[0] = id;
	params[1] = user_id;
	params[2] = tenant_id;
	params[3] = hashp;
	params[4] = exp;
	r = mp_record_insert(db, actor, "apikey.create", "apikey",
	    "WITH k AS (INSERT INTO api_keys (id, user_id, key_hash, expires_at)"
	    " SELECT $1, u.id, $4, CASE WHEN $5::bigint = 0 THEN NULL"
	    " ELSE to_timestamp($5::bigint) END"
	    " FROM users u WHERE u.id = $2 AND ($3::uuid IS NULL OR u.tenant_id = $3)"
	    " RETURNING *) SELECT " COLUMNS " FROM k JOIN users u ON u.id = k.user_id",
	    5, params, NULL, out);
	if (r != MP_OK)
		goto out;
	*key_out = key;
	key = NULL;
out:
	mp_wipe(hash, sizeof(hash));
	mp_free_secret_str(key);
	mp_free_secret_str(hashp);
	return r;
}

/* Adds the roles of a comma-separated list to *bits. */
static int
parse_roles(const char *list, unsigned *bits)
{
	char name[32];
	size_t n = 0;
	mp_role role;
	const char *p;

	for (p = list;; p++) {
		if (*p == ',' || *p == '\0') {
			name[n] = '\0';
			if (n > 0) {
				if (mp_role_parse(name, &role) != MP_OK)
					return MP_ERR_INTERNAL;
				*bits |= (unsigned)role;
			}
			n = 0;
			if (*p == '\0')
				return MP_OK;
			continue;
		}
		if (n + 1 >= sizeof(name))
			return MP_ERR_INTERNAL;
		name[n++] = *p;
	}
}

int
mp_apikey_authenticate(mp_db *db, const char *key, mp_principal *out)
{
	uint8_t hash[MP_CRED_HASH_LEN];
	char id[MP_UUID_STR_LEN + 1], *hex = NULL;
	const char *params[1] = { id }, *stored, *uid, *tid;
	mp_principal p;
	PGresult *res = NULL;
	int r;

	memset(&p, 0, sizeof(p));
	if ((r = mp_cred_parse("mpk", key, id, hash)) != MP_OK ||
	    (r = mp_hex_encode(hash, sizeof(hash), &hex)) != MP_OK)
		goto out;
	r = mp_db_query_row(db, "SELECT encode(k.key_hash, 'hex'), k.revoked_at IS NOT NULL,"
	    " k.expires_at IS NOT NULL AND k.expires_at <= now(), u.status = 'active', u.id,"
	    " u.tenant_id, coalesce((SELECT string_agg(role, ',') FROM user_roles"
	    " WHERE user_id = u.id), ''),"
	    " k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute'"
	    " FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1", 1, params, &res);
	if (r == MP_ERR_NOT_FOUND)
		r = MP_ERR_UNAUTHENTICATED;
	if (r != MP_OK)
		goto out;
	stored = mp_db_value(res, 0, 0);
	if (stored == NULL || !mp_ct_equal(stored, strlen(stored), hex, strlen(hex)) ||
	    PQgetvalue(res, 0, 1)[0] == 't' || PQgetvalue(res, 0, 3)[0] != 't') {
		r = MP_ERR_UNAUTHENTICATED;
		goto out;
	}
	if (PQgetvalue(res, 0, 2)[0] == 't') {
		r = MP_ERR_EXPIRED;
		goto out;
	}
	uid = PQgetvalue(res, 0, 4);
	tid = PQgetvalue(res, 0, 5);
	if (strlen(uid) != MP_UUID_STR_LEN || strlen(tid) != MP_UUID_STR_LEN ||
	    (r = parse_roles(PQgetvalue(res, 0, 6), &p.roles)) != MP_OK) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	memcpy(p.user_id, uid, MP_UUID_STR_LEN + 1);
	memcpy(p.tenant_id, tid, MP_UUID_STR_LEN + 1);
	memcpy(p.key_id, id, MP_UUID_STR_LEN + 1);
	/* last use, to the minute: a write only when the stored one is older */
	if (PQgetvalue(res, 0, 7)[0] == 't' &&
	    (r = mp_db_query(db, "UPDATE api_keys SET last_used_at = now() WHERE id = $1"
	    " AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')", 1,
	    params, NULL)) != MP_OK)
		goto out;
	*out = p;
out:
	mp_wipe(hash, sizeof(hash));
	mp_free_secret_str(hex);
	PQclear(res);
	return r;
}

struct revoke_ctx {
	const mp_actor *actor;
	const char *tenant_id;
	const char *key_id;
};

static int
revoke_txn(mp_db *db, void *arg)
{
	struct revoke_ctx *c = arg;
	PGresult *res = NULL;
	const char *params[2] = { c->key_id, c->tenant_id };
	int r;

	r = mp_db_query_row(db, "SELECT u.tenant_id, k.revoked_at IS NOT NULL FROM api_keys k"
	    " JOIN users u ON u.id = k.user_id WHERE k.id = $1"
	    " AND ($2::uuid IS NULL OR u.tenant_id = $2) FOR UPDATE OF k", 2, params, &res);
	if (r != MP_OK)
		goto out;
	if (PQgetvalue(res, 0, 1)[0] == 't') {
		r = MP_ERR_CONFLICT;
		goto out;
	}
	if ((r = mp_db_query(db, "UPDATE api_keys SET revoked_at = now() WHERE id = $1", 1, params,
	    NULL)) != MP_OK)
		goto out;
	r = mp_audit_write_in(db, c->actor, mp_db_value(res, 0, 0), "apikey.revoke", "apikey",
	    c->key_id, NULL);
out:
	PQclear(res);
	return r;
}

int
mp_apikey_revoke(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *key_id)
{
	struct revoke_ctx c = { actor, tenant_id, key_id };

	if (actor == NULL || key_id == NULL)
		return MP_ERR_INVALID;
	return mp_db_txn(db, revoke_txn, &c);
}

int
mp_apikey_get(mp_db *db, const char *tenant_id, const char *key_id, json_t **out)
{
	const char *params[2] = { key_id, tenant_id };

	return mp_record_get(db, "SELECT " COLUMNS " FROM api_keys k JOIN users u ON u.id = k.user_id"
	    " WHERE k.id = $1 AND ($2::uuid IS NULL OR u.tenant_id = $2)", 2, params, out);
}

int
mp_apikey_list(mp_db *db, const char *tenant_id, const char *user_id, const char *after_id,
    unsigned limit, json_t **out)
{
	char lim[16];
	const char *params[4] = { user_id, tenant_id, after_id, lim };
	json_t *user = NULL;
	int r;

	if ((r = mp_user_get(db, tenant_id, user_id, &user)) != MP_OK)
		return r;
	json_decref(user);
	mp_record_limit(limit, lim);
	return mp_record_list(db, "SELECT " COLUMNS " FROM api_keys k JOIN users u ON u.id = k.user_id"
	    " WHERE k.user_id = $1 AND ($2::uuid IS NULL OR u.tenant_id = $2)"
	    " AND ($3::uuid IS NULL OR k.id > $3) ORDER BY k.id LIMIT $4", 4, params, out);
}
