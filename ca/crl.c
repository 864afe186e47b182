#include "crl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "codec.h"
#include "crl_build.h"
#include "err.h"
#include "keystore.h"
#include "num.h"
#include "timefmt.h"

/* Largest DER we read back from the database: a CRL of millions of entries. */
#define MAX_DER (256u << 20)

/* The locked CA row: state the CRL is made from. */
static const char lock_sql[] =
    "SELECT key_id, certificate, crl_number, base_crl_number FROM cas WHERE id = $1 FOR UPDATE";

/*
 * Taken after the lock is granted, so that it is later than the
 * status_changed_at of every change committed before (they held FOR SHARE)
 * and earlier than that of every change after. The CRL carries whole
 * seconds; a full CRL records the exact time as base_crl_at, so that its
 * deltas list exactly the changes it does not cover.
 */
static const char now_sql[] =
    "SELECT floor(extract(epoch FROM t))::bigint, t FROM (SELECT clock_timestamp() AS t) n";

/* Revoked or held and not expired at thisUpdate (RFC 5280 lets expired ones drop). */
static const char full_entries_sql[] =
    "SELECT encode(serial, 'hex'), floor(extract(epoch FROM revoked_at))::bigint, reason,"
    " floor(extract(epoch FROM invalidity_date))::bigint"
    " FROM certificates WHERE ca_id = $1 AND revoked_at IS NOT NULL"
    " AND not_after > to_timestamp($2)";

/*
 * Changed since the base: revoked or held (reason set), or resumed (reason
 * NULL, listed as removeFromCRL at the time of the change).
 */
static const char delta_entries_sql[] =
    "SELECT encode(c.serial, 'hex'),"
    " floor(extract(epoch FROM coalesce(c.revoked_at, c.status_changed_at)))::bigint, c.reason,"
    " floor(extract(epoch FROM c.invalidity_date))::bigint"
    " FROM certificates c JOIN cas a ON a.id = c.ca_id"
    " WHERE c.ca_id = $1 AND c.status_changed_at > a.base_crl_at";

/*
 * Compresses the stored DER with LZ4 where the server has it: several times
 * faster than the default pglz on a CRL of megabytes, for a similar size.
 */
static const char lz4_sql[] =
    "SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings"
    " WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)";

static const char upsert_sql[] =
    "INSERT INTO crls (ca_id, delta, crl_number, base_crl_number, this_update, next_update, der)"
    " VALUES ($1, $2, $3, $4, to_timestamp($5), to_timestamp($6), $7)"
    " ON CONFLICT (ca_id, delta) DO UPDATE SET crl_number = EXCLUDED.crl_number,"
    " base_crl_number = EXCLUDED.base_crl_number, this_update = EXCLUDED.this_update,"
    " next_update = EXCLUDED.next_update, der = EXCLUDED.der";

static const char update_full_sql[] =
    "UPDATE cas SET crl_number = $2, base_crl_number = $2, base_crl_at = $3::timestamptz"
    " WHERE id = $1";
static const char update_delta_sql[] = "UPDATE cas SET crl_number = $2 WHERE id = $1";

/* True for the canonical text form of a UUID (either case), so that no malformed id reaches SQL. */
static bool
is_uuid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F'))) {
			return false;
		}
	}
	return i == 36;
}

static int
parse_i64(const char *s, int64_t *out)
{
	uint64_t v;

	if (s == NULL || mp_parse_u64(s, INT64_MAX, &v) != MP_OK)
		return MP_ERR_INTERNAL;
	*out = (int64_t)v;
	return MP_OK;
}

/* A bytea value in the text output format ("\x" and hex). */
static int
bytea_value(const char *v, uint8_t **out, size_t *len)
{
	if (v == NULL || v[0] != '\\' || v[1] != 'x')
		return MP_ERR_INTERNAL;
	return mp_hex_decode(v + 2, strlen(v + 2), MAX_DER, out, len);
}

/* The rows of an entries query as CRL entries; serial bytes live in *serials. */
static int
read_entries(const PGresult *res, ca_crl_entry **out, uint8_t **serials_out)
{
	int n = PQntuples(res);
	ca_crl_entry *entries = NULL;
	uint8_t *serials = NULL, *s = NULL;
	size_t slen;
	int r = MP_ERR_NOMEM;

	if ((entries = calloc((size_t)n + 1, sizeof(*entries))) == NULL ||
	    (serials = malloc(((size_t)n + 1) * CA_SERIAL_MAX)) == NULL)
		goto out;
	for (int i = 0; i < n; i++) {
		ca_crl_entry *e = &entries[i];
		const char *hex = mp_db_value(res, i, 0), *inv = mp_db_value(res, i, 3);

		if (hex == NULL ||
		    (r = mp_hex_decode(hex, strlen(hex), CA_SERIAL_MAX, &s, &slen)) != MP_OK)
			goto out;
		memcpy(serials + (size_t)i * CA_SERIAL_MAX, s, slen);
		free(s);
		s = NULL;
		e->serial = serials + (size_t)i * CA_SERIAL_MAX;
		e->serial_len = slen;
		if ((r = parse_i64(mp_db_value(res, i, 1), &e->revoked_at)) != MP_OK ||
		    (inv != NULL && (r = parse_i64(inv, &e->invalidity_date)) != MP_OK))
			goto out;
		e->reason = mp_db_value(res, i, 2);
		e->remove = e->reason == NULL;
	}
	*out = entries;
	entries = NULL;
	*serials_out = serials;
	serials = NULL;
	r = MP_OK;
out:
	free(s);
	free(entries);
	free(serials);
	return r;
}

/* Signs crl with key key_id and encodes it. */
static int
sign_crl(const ca_env *env, const char *key_id, X509_CRL *crl, unsigned char **der, int *len)
{
	mp_key *key = NULL;
	int r;

	if ((r = mp_key_load(env->ks, env->db, key_id, &key)) != MP_OK ||
	    (r = mp_key_sign_crl(key, crl)) != MP_OK)
		goto out;
	*der = NULL;
	if ((*len = i2d_X509_CRL(crl, der)) <= 0) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	r = MP_OK;
out:
	mp_key_release(key);
	return r;
}

struct gen {
	const ca_env *env;
	const char *ca_id;
	bool delta;
	int64_t validity_s;
	json_t *out;
};

/* Stores the signed CRL and advances the CA's CRL numbers. */
static int
store_crl(mp_db *db, const struct gen *g, uint64_t number, uint64_t base, int64_t this_update,
    int64_t next_update, const char *exact_now, const unsigned char *der, int len)
{
	char num[24], basebuf[24], tu[24], nu[24];
	const char *v[7] = { g->ca_id, g->delta ? "true" : "false", num,
		g->delta ? basebuf : NULL, tu, nu, (const char *)der };
	const int lengths[7] = { 0, 0, 0, 0, 0, 0, len };
	const int formats[7] = { 0, 0, 0, 0, 0, 0, 1 };
	int r;

	snprintf(num, sizeof(num), "%llu", (unsigned long long)number);
	snprintf(basebuf, sizeof(basebuf), "%llu", (unsigned long long)base);
	snprintf(tu, sizeof(tu), "%lld", (long long)this_update);
	snprintf(nu, sizeof(nu), "%lld", (long long)next_update);
	if ((r = mp_db_query(db, lz4_sql, 0, NULL, NULL)) != MP_OK ||
	    (r = mp_db_query_ex(db, upsert_sql, 7, v, lengths, formats, NULL)) != MP_OK)
		return r;
	if (g->delta)
		return mp_db_query(db, update_delta_sql, 2, (const char *[]){ g->ca_id, num }, NULL);
	return mp_db_query(db, update_full_sql, 3, (const char *[]){ g->ca_id, num, exact_now },
	    NULL);
}

static int
generate_txn(mp_db *db, void *arg)
{
	struct gen *g = arg;
	PGresult *ca = NULL, *now = NULL, *rows = NULL;
	ca_crl_entry *entries = NULL;
	uint8_t *serials = NULL, *cert_der = NULL;
	const unsigned char *p;
	unsigned char *der = NULL;
	X509 *issuer = NULL;
	X509_CRL *crl = NULL;
	char url[1024], tbuf[24], tu[32], nu[32];
	uint64_t number, base = 0;
	int64_t this_update, next_update, prev, base_number;
	size_t cert_len;
	int len = 0, r;
	ca_crl_params params;

	json_decref(g->out);
	g->out = NULL;
	if ((r = mp_db_query_row(db, lock_sql, 1, &g->ca_id, &ca)) != MP_OK)
		goto out;
	if (mp_db_value(ca, 0, 0) == NULL) {
		r = MP_ERR_UNSUPPORTED; /* a CA we only trust: no key, no CRL */
		goto out;
	}
	if ((r = parse_i64(mp_db_value(ca, 0, 2), &prev)) != MP_OK)
		goto out;
	if (g->delta) {
		if (mp_db_value(ca, 0, 3) == NULL) {
			r = MP_ERR_CONFLICT; /* a delta needs a full CRL to be based on */
			goto out;
		}
		if ((r = parse_i64(mp_db_value(ca, 0, 3), &base_number)) != MP_OK)
			goto out;
		base = (uint64_t)base_number;
	}
	number = (uint64_t)prev + 1;
	if ((r = mp_db_query_row(db, now_sql, 0, NULL, &now)) != MP_OK ||
	    (r = parse_i64(mp_db_value(now, 0, 0), &this_update)) != MP_OK)
		goto out;
	next_update = this_update + g->validity_s;
	snprintf(tbuf, sizeof(tbuf), "%lld", (long long)this_update);
	if (g->delta)
		r = mp_db_query(db, delta_entries_sql, 1, &g->ca_id, &rows);
	else
		r = mp_db_query(db, full_entries_sql, 2, (const char *[]){ g->ca_id, tbuf }, &rows);
	if (r != MP_OK || (r = read_entries(rows, &entries, &serials)) != MP_OK)
		goto out;
	if ((r = bytea_value(mp_db_value(ca, 0, 1), &cert_der, &cert_len)) != MP_OK)
		goto out;
	p = cert_der;
	if ((issuer = d2i_X509(NULL, &p, (long)cert_len)) == NULL) {
		r = MP_ERR_INTEGRITY;
		goto out;
	}
	params = (ca_crl_params){ issuer, number, this_update, next_update, g->delta, base, NULL };
	if (!g->delta && g->env->public_url != NULL && g->env->public_url[0] != '\0') {
		size_t ulen = strlen(g->env->public_url);

		while (ulen > 0 && g->env->public_url[ulen - 1] == '/')
			ulen--;
		if ((size_t)snprintf(url, sizeof(url), "%.*s/crl/%s-delta.crl", (int)ulen,
		    g->env->public_url, g->ca_id) >= sizeof(url)) {
			r = MP_ERR_CONFIG;
			goto out;
		}
		params.freshest_url = url;
	}
	if ((r = ca_crl_build(&params, entries, (size_t)PQntuples(rows), &crl)) != MP_OK ||
	    (r = sign_crl(g->env, mp_db_value(ca, 0, 0), crl, &der, &len)) != MP_OK ||
	    (r = store_crl(db, g, number, base, this_update, next_update, mp_db_value(now, 0, 1),
		der, len)) != MP_OK)
		goto out;
	ca_time_text(this_update, tu);
	ca_time_text(next_update, nu);
	g->out = json_pack("{s:s, s:b, s:I, s:o, s:s, s:s, s:i}", "ca_id", g->ca_id,
	    "delta", g->delta, "crl_number", (json_int_t)number,
	    "base_crl_number", g->delta ? json_integer((json_int_t)base) : json_null(),
	    "this_update", tu, "next_update", nu, "entries", PQntuples(rows));
	r = g->out != NULL ? MP_OK : MP_ERR_NOMEM;
out:
	OPENSSL_free(der);
	X509_CRL_free(crl);
	X509_free(issuer);
	free(cert_der);
	free(serials);
	free(entries);
	PQclear(rows);
	PQclear(now);
	PQclear(ca);
	return r;
}

/*
 * Generating a CRL publishes state that is already audited (each revocation
 * change wrote its entry); it changes nothing a user did, so it writes no
 * audit entry of its own.
 */
int
ca_crl_generate(const ca_env *env, const char *ca_id, bool delta, int64_t validity_s,
    json_t **out)
{
	struct gen g = { env, ca_id, delta, validity_s, NULL };
	int r;

	if (validity_s < 1 || validity_s > INT32_MAX)
		return MP_ERR_INVALID;
	if (!is_uuid(ca_id))
		return MP_ERR_NOT_FOUND;
	if ((r = mp_db_txn(env->db, generate_txn, &g)) != MP_OK) {
		json_decref(g.out);
		return r;
	}
	*out = g.out;
	return MP_OK;
}

int
ca_crl_fetch(mp_db *db, const char *ca_id, bool delta, uint8_t **der, size_t *len,
    int64_t *this_update, int64_t *next_update)
{
	PGresult *res = NULL;
	uint8_t *d = NULL;
	size_t dlen;
	int64_t tu, nu;
	int r;

	if (!is_uuid(ca_id))
		return MP_ERR_NOT_FOUND;
	r = mp_db_query_row(db,
	    "SELECT der, floor(extract(epoch FROM this_update))::bigint,"
	    " floor(extract(epoch FROM next_update))::bigint FROM crls"
	    " WHERE ca_id = $1 AND delta = $2", 2,
	    (const char *[]){ ca_id, delta ? "true" : "false" }, &res);
	if (r != MP_OK)
		goto out;
	if ((r = parse_i64(mp_db_value(res, 0, 1), &tu)) != MP_OK ||
	    (r = parse_i64(mp_db_value(res, 0, 2), &nu)) != MP_OK ||
	    (r = bytea_value(mp_db_value(res, 0, 0), &d, &dlen)) != MP_OK)
		goto out;
	*der = d;
	d = NULL;
	*len = dlen;
	*this_update = tu;
	*next_update = nu;
out:
	free(d);
	PQclear(res);
	return r;
}

int
ca_cert_der_fetch(mp_db *db, const char *ca_id, uint8_t **der, size_t *len)
{
	PGresult *res = NULL;
	int r;

	if (!is_uuid(ca_id))
		return MP_ERR_NOT_FOUND;
	if ((r = mp_db_query_row(db, "SELECT certificate FROM cas WHERE id = $1", 1, &ca_id,
	    &res)) == MP_OK)
		r = bytea_value(mp_db_value(res, 0, 0), der, len);
	PQclear(res);
	return r;
}
