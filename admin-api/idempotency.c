#include "idempotency.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "codec.h"
#include "err.h"
#include "log.h"
#include "num.h"

#define MAX_KEY_LEN 255

/* SHA-256 over method, path and body, length-prefixed, as a bytea parameter. */
static int
request_hash(api_call *c, char **out)
{
	unsigned char md[32];
	const uint8_t *body;
	const char *parts[2] = { mp_http_req_method(c->req), mp_http_req_path(c->req) };
	size_t len;
	uint32_t n;
	EVP_MD_CTX *ctx;
	int r = MP_ERR_CRYPTO;

	body = mp_http_req_body(c->req, &len);
	if ((ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	for (size_t i = 0; i < 2; i++) {
		n = (uint32_t)strlen(parts[i]);
		if (EVP_DigestUpdate(ctx, &n, sizeof(n)) != 1 ||
		    EVP_DigestUpdate(ctx, parts[i], n) != 1)
			goto out;
	}
	if (EVP_DigestUpdate(ctx, body, len) != 1 || EVP_DigestFinal_ex(ctx, md, NULL) != 1)
		goto out;
	r = mp_db_bytea_param(md, sizeof(md), out);
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

static bool
valid_key(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > MAX_KEY_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
			return false;
	return true;
}

/* Answers a retry from the stored row: replay, 409 in progress, or 422 reused. */
static void
answer_stored(api_call *c, const char *hash)
{
	const char *params[2] = { c->who.user_id, c->idem_key };
	PGresult *res = NULL;
	uint64_t status;
	int r;

	r = mp_db_query_row(c->db, "SELECT request_hash = $3::bytea, status,"
	    " body FROM idempotency_keys WHERE user_id = $1 AND key = $2", 3,
	    (const char *const[]){ params[0], params[1], hash }, &res);
	c->idem_key = NULL;
	if (r != MP_OK) {
		api_fail(c, r, "idempotency key");
	} else if (PQgetvalue(res, 0, 0)[0] != 't') {
		api_error(c, 422, "idempotency_key_reused",
		    "this Idempotency-Key was used for a different request", NULL);
	} else if (mp_parse_u64(PQgetvalue(res, 0, 1), 599, &status) != MP_OK || status == 0) {
		api_error(c, 409, "idempotency_key_in_progress",
		    "a request with this Idempotency-Key is still being processed", NULL);
	} else {
		const char *body = PQgetvalue(res, 0, 2);

		mp_http_set_header(c->req, "Idempotent-Replayed", "true");
		mp_http_reply(c->req, (int)status, "application/json", body, strlen(body));
	}
	PQclear(res);
}

bool
api_idem_begin(api_call *c)
{
	const char *key = mp_http_req_header(c->req, "Idempotency-Key");
	char *hash = NULL;
	PGresult *res = NULL;
	int r;

	if (key == NULL)
		return true;
	if (!valid_key(key)) {
		api_error(c, 400, "invalid_value",
		    "Idempotency-Key must be 1 to 255 printable ASCII characters", NULL);
		return false;
	}
	if ((r = request_hash(c, &hash)) != MP_OK) {
		api_fail(c, r, "idempotency key");
		return false;
	}
	c->idem_key = key;
	r = mp_db_query(c->db,
	    "WITH old AS (DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2"
	    " AND created_at < now() - interval '24 hours')"
	    " INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)"
	    " ON CONFLICT DO NOTHING RETURNING 1", 3,
	    (const char *const[]){ c->who.user_id, key, hash }, &res);
	if (r != MP_OK) {
		c->idem_key = NULL;
		api_fail(c, r, "idempotency key");
	} else if (PQntuples(res) == 0) {
		answer_stored(c, hash);
		r = MP_ERR_CONFLICT;
	}
	PQclear(res);
	free(hash);
	return r == MP_OK;
}

void
api_idem_finish(api_call *c, int status, const char *body)
{
	char st[8];
	const char *params[4] = { c->who.user_id, c->idem_key, st, body };
	int r;

	if (c->idem_key == NULL)
		return;
	c->idem_key = NULL;
	snprintf(st, sizeof(st), "%d", status);
	if (status >= 500)
		r = mp_db_query(c->db, "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2",
		    2, params, NULL);
	else
		r = mp_db_query(c->db, "UPDATE idempotency_keys SET status = $3, body = $4"
		    " WHERE user_id = $1 AND key = $2", 4, params, NULL);
	if (r != MP_OK)
		mp_warn("cannot record the response of an idempotent request: %s",
		    mp_db_errmsg(c->db));
}
