#include "enroll_tokens.h"

#include <string.h>
#include <time.h>

#include "codec.h"
#include "credential.h"
#include "err.h"
#include "record.h"
#include "secure.h"

#define COLUMNS "id, tenant_id, device_id, profile_id, expires_at, uses_left, created_at"

/* More uses than this is not a one-time secret any more. */
#define MAX_USES 1000

int
mp_enroll_token_create(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *device_id, const char *profile_id, int64_t expires_at, unsigned uses,
    char **token_out, json_t **out)
{
	uint8_t hash[MP_CRED_HASH_LEN];
	char id[MP_UUID_STR_LEN + 1], exp[24], nuses[16], *token = NULL, *hashp = NULL;
	const char *params[7];
	int r;

	if (tenant_id == NULL || device_id == NULL || profile_id == NULL || token_out == NULL ||
	    uses == 0 || uses > MAX_USES || expires_at <= (int64_t)time(NULL)) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((r = mp_cred_new("mpe", id, &token, hash)) != MP_OK ||
	    (r = mp_db_bytea_param(hash, sizeof(hash), &hashp)) != MP_OK)
		goto out;
	mp_record_time(expires_at, exp);
	snprintf(nuses, sizeof(nuses), "%u", uses);
	params[0] = id;
	params[1] = tenant_id;
	params[2] = device_id;
	params[3] = profile_id;
	params[4] = hashp;
	params[5] = exp;
	params[6] = nuses;
	r = mp_record_insert(db, actor, "enrollment_token.create", "enrollment_token",
	    "INSERT INTO enrollment_tokens (id, tenant_id, device_id, profile_id, token_hash,"
	    " expires_at, uses_left) VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint), $7)"
	    " RETURNING " COLUMNS, 7, params, NULL, out);
	if (r != MP_OK)
		goto out;
	*token_out = token;
	token = NULL;
out:
	mp_wipe(hash, sizeof(hash));
	mp_free_secret_str(token);
	mp_free_secret_str(hashp);
	return r;
}

struct consume_ctx {
	const mp_actor *actor;
	const char *id;
	const char *hex;
	const char *serial;
};

static int
consume_txn(mp_db *db, void *arg, json_t **out)
{
	struct consume_ctx *c = arg;
	PGresult *res = NULL;
	json_t *row = NULL;
	const char *params[2] = { c->id, c->serial }, *stored;
	mp_actor who;
	int r;

	r = mp_db_query_row(db, "SELECT encode(t.token_hash, 'hex'), t.uses_left > 0,"
	    " t.expires_at <= now(), d.status = 'active', t.tenant_id, t.device_id,"
	    " $2::text IS NULL OR d.serial = $2"
	    " FROM enrollment_tokens t JOIN devices d ON d.id = t.device_id"
	    " WHERE t.id = $1 FOR UPDATE OF t", 2, params, &res);
	if (r == MP_ERR_NOT_FOUND)
		r = MP_ERR_UNAUTHENTICATED;
	if (r != MP_OK)
		goto out;
	stored = mp_db_value(res, 0, 0);
	if (stored == NULL || !mp_ct_equal(stored, strlen(stored), c->hex, strlen(c->hex)) ||
	    PQgetvalue(res, 0, 1)[0] != 't' || PQgetvalue(res, 0, 6)[0] != 't') {
		r = MP_ERR_UNAUTHENTICATED;
		goto out;
	}
	if (PQgetvalue(res, 0, 2)[0] == 't') {
		r = MP_ERR_EXPIRED;
		goto out;
	}
	if (PQgetvalue(res, 0, 3)[0] != 't') {
		r = MP_ERR_DENIED;
		goto out;
	}
	if ((r = mp_record_get(db, "UPDATE enrollment_tokens SET uses_left = uses_left - 1"
	    " WHERE id = $1 RETURNING " COLUMNS, 1, params, &row)) != MP_OK)
		goto out;
	who = *c->actor;
	if (who.id == NULL)
		who.id = PQgetvalue(res, 0, 5);
	r = mp_audit_write_in(db, &who, PQgetvalue(res, 0, 4), "enrollment_token.consume",
	    "enrollment_token", c->id, NULL);
	if (r != MP_OK)
		goto out;
	*out = row;
	row = NULL;
out:
	json_decref(row);
	PQclear(res);
	return r;
}

/* The row id a presented token names and its SHA-256 as hex (*hex: free with mp_free_secret_str). */
static int
token_parts(const char *token, char id[MP_UUID_STR_LEN + 1], char **hex)
{
	uint8_t hash[MP_CRED_HASH_LEN];
	int r;

	if ((r = mp_cred_parse("mpe", token, id, hash)) == MP_OK)
		r = mp_hex_encode(hash, sizeof(hash), hex);
	mp_wipe(hash, sizeof(hash));
	return r;
}

int
mp_enroll_token_consume(mp_db *db, const mp_actor *actor, const char *token,
    const char *serial, json_t **out)
{
	char id[MP_UUID_STR_LEN + 1], *hex = NULL;
	struct consume_ctx c = { actor, id, NULL, serial };
	int r;

	if (actor == NULL) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((r = token_parts(token, id, &hex)) != MP_OK)
		goto out;
	c.hex = hex;
	r = mp_record_txn(db, consume_txn, &c, out);
out:
	mp_free_secret_str(hex);
	return r;
}

int
mp_enroll_token_check(mp_db *db, const char *token, const char *serial, json_t **out)
{
	char id[MP_UUID_STR_LEN + 1], *hex = NULL;
	const char *params[2] = { id, serial };
	PGresult *res = NULL;
	json_t *row = NULL;
	const char *stored;
	int r;

	if (serial == NULL) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((r = token_parts(token, id, &hex)) != MP_OK)
		goto out;
	r = mp_db_query_row(db, "SELECT encode(t.token_hash, 'hex'), t.expires_at <= now()"
	    " FROM enrollment_tokens t JOIN devices d ON d.id = t.device_id"
	    " WHERE t.id = $1 AND d.serial = $2", 2, params, &res);
	if (r == MP_ERR_NOT_FOUND)
		r = MP_ERR_UNAUTHENTICATED;
	if (r != MP_OK)
		goto out;
	stored = mp_db_value(res, 0, 0);
	if (stored == NULL || !mp_ct_equal(stored, strlen(stored), hex, strlen(hex))) {
		r = MP_ERR_UNAUTHENTICATED;
		goto out;
	}
	if (PQgetvalue(res, 0, 1)[0] == 't') {
		r = MP_ERR_EXPIRED;
		goto out;
	}
	if ((r = mp_record_get(db, "SELECT " COLUMNS " FROM enrollment_tokens WHERE id = $1", 1,
	    params, &row)) != MP_OK)
		goto out;
	*out = row;
	row = NULL;
out:
	json_decref(row);
	PQclear(res);
	mp_free_secret_str(hex);
	return r;
}

int
mp_enroll_token_refund(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id)
{
	const char *params[2] = { id, tenant_id };

	if (tenant_id == NULL || id == NULL)
		return MP_ERR_INVALID;
	return mp_record_insert(db, actor, "enrollment_token.refund", "enrollment_token",
	    "UPDATE enrollment_tokens SET uses_left = uses_left + 1 WHERE id = $1 AND tenant_id = $2"
	    " RETURNING " COLUMNS, 2, params, NULL, NULL);
}

int
mp_enroll_token_list(mp_db *db, const char *tenant_id, const char *device_id,
    const char *after_id, unsigned limit, json_t **out)
{
	char lim[16];
	const char *params[4] = { tenant_id, device_id, after_id, lim };

	if (device_id == NULL)
		return MP_ERR_INVALID;
	mp_record_limit(limit, lim);
	return mp_record_list(db, "SELECT " COLUMNS " FROM enrollment_tokens"
	    " WHERE ($1::uuid IS NULL OR tenant_id = $1) AND device_id = $2"
	    " AND ($3::uuid IS NULL OR id > $3) ORDER BY id LIMIT $4", 4, params, out);
}

int
mp_enroll_token_revoke(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *device_id, const char *id)
{
	const char *params[3] = { id, device_id, tenant_id };

	if (device_id == NULL || id == NULL)
		return MP_ERR_INVALID;
	return mp_record_insert(db, actor, "enrollment_token.revoke", "enrollment_token",
	    "DELETE FROM enrollment_tokens WHERE id = $1 AND device_id = $2"
	    " AND ($3::uuid IS NULL OR tenant_id = $3) RETURNING " COLUMNS, 3, params, NULL, NULL);
}
