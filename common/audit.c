#include "audit.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "codec.h"
#include "err.h"
#include "num.h"

/* Transaction advisory lock key held while sealing ("midpi" 0x000002). */
#define SEAL_LOCK_SQL "SELECT pg_try_advisory_xact_lock(7883943056649486338)"

/* The fields every hash covers, in this order, as the sealer and verifier read them. */
#define ENTRY_COLUMNS \
	"id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), " \
	"tenant_id, actor_kind, actor_id, action, object_type, object_id, details::text"
#define N_ENTRY_COLUMNS 9

#define MAX_ENCODING (MP_AUDIT_MAX_DETAILS * 16)

static int
put_opt(mp_buf *b, const char *s)
{
	int r;

	if (s == NULL)
		return mp_buf_put_u8(b, 0);
	if ((r = mp_buf_put_u8(b, 1)) != MP_OK)
		return r;
	return mp_buf_put_string(b, s, strlen(s));
}

static int
put_req(mp_buf *b, const char *s)
{
	if (s == NULL)
		return MP_ERR_INVALID;
	return mp_buf_put_string(b, s, strlen(s));
}

int
mp_audit_hash(const mp_audit_entry *e, uint8_t out[MP_AUDIT_HASH_LEN])
{
	static const char tag[] = "midpki-audit-v1";
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	mp_buf *b = NULL;
	int r;

	if ((b = mp_buf_new(MAX_ENCODING)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((r = mp_buf_put_string(b, tag, sizeof(tag) - 1)) != MP_OK ||
	    (r = mp_buf_put_u64(b, e->seq)) != MP_OK ||
	    (r = mp_buf_put_string(b, e->prev_hash, MP_AUDIT_HASH_LEN)) != MP_OK ||
	    (r = mp_buf_put_u64(b, e->id)) != MP_OK ||
	    (r = put_req(b, e->at)) != MP_OK ||
	    (r = put_opt(b, e->tenant_id)) != MP_OK ||
	    (r = put_req(b, e->actor_kind)) != MP_OK ||
	    (r = put_opt(b, e->actor_id)) != MP_OK ||
	    (r = put_req(b, e->action)) != MP_OK ||
	    (r = put_req(b, e->object_type)) != MP_OK ||
	    (r = put_opt(b, e->object_id)) != MP_OK ||
	    (r = put_req(b, e->details)) != MP_OK)
		goto out;
	if (EVP_Digest(mp_buf_ptr(b), mp_buf_len(b), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != MP_AUDIT_HASH_LEN) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	memcpy(out, md, MP_AUDIT_HASH_LEN);
	r = MP_OK;
out:
	mp_buf_free(b);
	return r;
}

int
mp_audit_details_text(json_t *details, char **out)
{
	char *text;

	if (details != NULL && !json_is_object(details))
		return MP_ERR_INVALID;
	text = details != NULL ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	if (text == NULL)
		return MP_ERR_NOMEM;
	if (strlen(text) > MP_AUDIT_MAX_DETAILS) {
		free(text);
		return MP_ERR_TOO_LARGE;
	}
	*out = text;
	return MP_OK;
}

int
mp_audit_write_in(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *action, const char *object_type, const char *object_id, json_t *details)
{
	const char *params[7];
	char *text = NULL;
	int r;

	if (actor == NULL || actor->kind == NULL || action == NULL || object_type == NULL) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((r = mp_audit_details_text(details, &text)) != MP_OK)
		goto out;
	params[0] = tenant_id;
	params[1] = actor->kind;
	params[2] = actor->id;
	params[3] = action;
	params[4] = object_type;
	params[5] = object_id;
	params[6] = text;
	r = mp_db_query(db, MP_AUDIT_INSERT " VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, params, NULL);
out:
	free(text);
	return r;
}

int
mp_audit_write(mp_db *db, const mp_actor *actor, const char *action,
    const char *object_type, const char *object_id, json_t *details)
{
	if (actor == NULL)
		return MP_ERR_INVALID;
	return mp_audit_write_in(db, actor, actor->tenant_id, action, object_type, object_id,
	    details);
}

/* Fills e's content fields from row (ENTRY_COLUMNS starting at col). */
static int
entry_from_row(const PGresult *res, int row, int col, mp_audit_entry *e)
{
	const char *id = mp_db_value(res, row, col);

	if (id == NULL || mp_parse_u64(id, INT64_MAX, &e->id) != MP_OK)
		return MP_ERR_INTERNAL;
	e->at = mp_db_value(res, row, col + 1);
	e->tenant_id = mp_db_value(res, row, col + 2);
	e->actor_kind = mp_db_value(res, row, col + 3);
	e->actor_id = mp_db_value(res, row, col + 4);
	e->action = mp_db_value(res, row, col + 5);
	e->object_type = mp_db_value(res, row, col + 6);
	e->object_id = mp_db_value(res, row, col + 7);
	e->details = mp_db_value(res, row, col + 8);
	return MP_OK;
}

/* Decodes a 64-hex-digit hash. */
static int
hash_from_hex(const char *hex, uint8_t out[MP_AUDIT_HASH_LEN])
{
	uint8_t *raw = NULL;
	size_t n = 0;
	int r;

	if (hex == NULL)
		return MP_ERR_INTEGRITY;
	if ((r = mp_hex_decode(hex, strlen(hex), MP_AUDIT_HASH_LEN, &raw, &n)) != MP_OK ||
	    n != MP_AUDIT_HASH_LEN) {
		free(raw);
		return MP_ERR_INTEGRITY;
	}
	memcpy(out, raw, MP_AUDIT_HASH_LEN);
	free(raw);
	return MP_OK;
}

struct seal_ctx {
	unsigned max_rows;
	unsigned sealed;
};

static int
seal_txn(mp_db *db, void *arg)
{
	struct seal_ctx *c = arg;
	PGresult *res = NULL;
	mp_buf *ids = NULL, *seqs = NULL, *prevs = NULL, *hashes = NULL;
	mp_audit_entry e;
	uint64_t seq = 0;
	char limit[16], *hex = NULL;
	const char *params[4];
	size_t cap;
	int i, n, r;

	c->sealed = 0;
	memset(&e, 0, sizeof(e));
	if ((r = mp_db_query_row(db, SEAL_LOCK_SQL, 0, NULL, &res)) != MP_OK)
		goto out;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		r = MP_OK;
		goto out;
	}
	PQclear(res);
	res = NULL;
	r = mp_db_query(db, "SELECT seq, encode(hash, 'hex') FROM audit WHERE seq IS NOT NULL"
	    " ORDER BY seq DESC LIMIT 1", 0, NULL, &res);
	if (r != MP_OK)
		goto out;
	if (PQntuples(res) == 1) {
		if (mp_parse_u64(PQgetvalue(res, 0, 0), INT64_MAX - UINT32_MAX, &seq) != MP_OK ||
		    hash_from_hex(mp_db_value(res, 0, 1), e.prev_hash) != MP_OK) {
			r = MP_ERR_INTEGRITY;
			goto out;
		}
	}
	PQclear(res);
	res = NULL;
	snprintf(limit, sizeof(limit), "%u", c->max_rows);
	params[0] = limit;
	r = mp_db_query(db, "SELECT " ENTRY_COLUMNS " FROM audit WHERE seq IS NULL"
	    " ORDER BY id LIMIT $1 FOR UPDATE", 1, params, &res);
	if (r != MP_OK)
		goto out;
	if ((n = PQntuples(res)) == 0)
		goto out;
	/* per row: a separator and at most 20 digits or 64 hex digits; then "{}" */
	cap = (size_t)n * (1 + 2 * MP_AUDIT_HASH_LEN) + 2;
	if ((ids = mp_buf_new(cap)) == NULL || (seqs = mp_buf_new(cap)) == NULL ||
	    (prevs = mp_buf_new(cap)) == NULL || (hashes = mp_buf_new(cap)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *sep = i == 0 ? "{" : ",";

		e.seq = ++seq;
		if ((r = entry_from_row(res, i, 0, &e)) != MP_OK)
			goto out;
		if ((r = mp_buf_putf(ids, "%s%" PRIu64, sep, e.id)) != MP_OK ||
		    (r = mp_buf_putf(seqs, "%s%" PRIu64, sep, e.seq)) != MP_OK ||
		    (r = mp_hex_encode(e.prev_hash, MP_AUDIT_HASH_LEN, &hex)) != MP_OK ||
		    (r = mp_buf_putf(prevs, "%s%s", sep, hex)) != MP_OK)
			goto out;
		free(hex);
		hex = NULL;
		if ((r = mp_audit_hash(&e, e.prev_hash)) != MP_OK ||
		    (r = mp_hex_encode(e.prev_hash, MP_AUDIT_HASH_LEN, &hex)) != MP_OK ||
		    (r = mp_buf_putf(hashes, "%s%s", sep, hex)) != MP_OK)
			goto out;
		free(hex);
		hex = NULL;
	}
	if ((r = mp_buf_put_str(ids, "}")) != MP_OK || (r = mp_buf_put_str(seqs, "}")) != MP_OK ||
	    (r = mp_buf_put_str(prevs, "}")) != MP_OK || (r = mp_buf_put_str(hashes, "}")) != MP_OK)
		goto out;
	PQclear(res);
	res = NULL;
	params[0] = mp_buf_str(ids);
	params[1] = mp_buf_str(seqs);
	params[2] = mp_buf_str(prevs);
	params[3] = mp_buf_str(hashes);
	r = mp_db_query(db, "UPDATE audit a SET seq = v.seq, prev_hash = decode(v.ph, 'hex'),"
	    " hash = decode(v.h, 'hex')"
	    " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS v(id, seq, ph, h)"
	    " WHERE a.id = v.id AND a.seq IS NULL", 4, params, &res);
	if (r != MP_OK)
		goto out;
	if (mp_parse_u64(PQcmdTuples(res), UINT32_MAX, &seq) != MP_OK || seq != (uint64_t)n) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	c->sealed = (unsigned)n;
	r = MP_OK;
out:
	free(hex);
	mp_buf_free(ids);
	mp_buf_free(seqs);
	mp_buf_free(prevs);
	mp_buf_free(hashes);
	PQclear(res);
	return r;
}

int
mp_audit_seal(mp_db *db, unsigned max_rows, unsigned *sealed)
{
	struct seal_ctx c = { max_rows, 0 };
	int r;

	if (max_rows == 0)
		return MP_ERR_INVALID;
	if ((r = mp_db_txn(db, seal_txn, &c)) != MP_OK)
		return r;
	if (sealed != NULL)
		*sealed = c.sealed;
	return MP_OK;
}

/* Formats the verification failure into err and returns MP_ERR_INTEGRITY. */
static int
bad(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
bad(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errsz > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return MP_ERR_INTEGRITY;
}

int
mp_audit_verify(mp_db *db, uint64_t *checked, uint64_t *bad_seq, char *err, size_t errsz)
{
	PGresult *res = NULL;
	mp_audit_entry e;
	uint8_t stored_prev[MP_AUDIT_HASH_LEN], stored[MP_AUDIT_HASH_LEN], want[MP_AUDIT_HASH_LEN];
	uint64_t expect = 1, good = 0, seq;
	char after[24];
	const char *params[1];
	int i, n, r;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	memset(&e, 0, sizeof(e));
	for (;;) {
		snprintf(after, sizeof(after), "%" PRIu64, expect - 1);
		params[0] = after;
		PQclear(res);
		res = NULL;
		r = mp_db_query(db, "SELECT seq, encode(prev_hash, 'hex'), encode(hash, 'hex'), "
		    ENTRY_COLUMNS " FROM audit WHERE seq > $1 ORDER BY seq LIMIT 1000", 1, params, &res);
		if (r != MP_OK)
			goto out;
		if ((n = PQntuples(res)) == 0)
			break;
		for (i = 0; i < n; i++) {
			if (mp_parse_u64(PQgetvalue(res, i, 0), INT64_MAX, &seq) != MP_OK ||
			    entry_from_row(res, i, 3, &e) != MP_OK) {
				r = MP_ERR_INTERNAL;
				goto out;
			}
			if (seq != expect) {
				r = bad(err, errsz, "entry seq %" PRIu64 " is missing (the next entry"
				    " is seq %" PRIu64 ", id %" PRIu64 ")", expect, seq, e.id);
				goto fail;
			}
			if (hash_from_hex(mp_db_value(res, i, 1), stored_prev) != MP_OK ||
			    memcmp(stored_prev, e.prev_hash, MP_AUDIT_HASH_LEN) != 0) {
				r = bad(err, errsz, "entry seq %" PRIu64 " (id %" PRIu64 "): prev_hash"
				    " does not match the hash of the entry before it", seq, e.id);
				goto fail;
			}
			e.seq = seq;
			if ((r = mp_audit_hash(&e, want)) != MP_OK)
				goto out;
			if (hash_from_hex(mp_db_value(res, i, 2), stored) != MP_OK ||
			    memcmp(stored, want, MP_AUDIT_HASH_LEN) != 0) {
				r = bad(err, errsz, "entry seq %" PRIu64 " (id %" PRIu64 "): hash does"
				    " not match its content", seq, e.id);
				goto fail;
			}
			memcpy(e.prev_hash, stored, MP_AUDIT_HASH_LEN);
			good++;
			expect++;
		}
	}
	*checked = good;
	r = MP_OK;
	goto out;
fail:
	*checked = good;
	*bad_seq = expect;
out:
	PQclear(res);
	return r;
}

int
mp_audit_head(mp_db *db, uint64_t *seq, char hash_hex[2 * MP_AUDIT_HASH_LEN + 1])
{
	PGresult *res = NULL;
	uint64_t s = 0;
	const char *h = "";
	int r;

	r = mp_db_query(db, "SELECT seq, encode(hash, 'hex') FROM audit WHERE seq IS NOT NULL"
	    " ORDER BY seq DESC LIMIT 1", 0, NULL, &res);
	if (r != MP_OK)
		goto out;
	if (PQntuples(res) == 1) {
		h = mp_db_value(res, 0, 1);
		if (mp_parse_u64(PQgetvalue(res, 0, 0), INT64_MAX, &s) != MP_OK || h == NULL ||
		    strlen(h) != 2 * MP_AUDIT_HASH_LEN) {
			r = MP_ERR_INTEGRITY;
			goto out;
		}
	}
	memcpy(hash_hex, h, strlen(h) + 1);
	*seq = s;
	r = MP_OK;
out:
	PQclear(res);
	return r;
}
