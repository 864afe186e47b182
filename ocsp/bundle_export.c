#include "bundle_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle.h"
#include "crl.h"
#include "err.h"
#include "num.h"
#include "responder_cas.h"

/* Responses read per statement (the LIMIT of page_sql). */
#define PAGE 5000
#define PAGE_TEXT "5000"

static const char select_sql[] =
    "SELECT c.id FROM cas c JOIN tenants t ON t.id = c.tenant_id"
    " WHERE c.role = 'ca'"
    "  AND ($1::text IS NULL OR t.id::text = $1 OR t.name = $1)"
    "  AND ($2::text IS NULL OR c.id::text = $2 OR c.name = $2)"
    " ORDER BY c.created_at, c.id";

/* The current responses of one CA after (serial, hash), in key order. */
static const char page_sql[] =
    "SELECT r.serial, r.hash, r.signer_id, r.core,"
    " floor(extract(epoch FROM r.this_update))::bigint,"
    " floor(extract(epoch FROM r.next_update))::bigint, c.revoked_at IS NOT NULL"
    " FROM ocsp_responses r JOIN certificates c ON c.ca_id = r.ca_id AND c.serial = r.serial"
    " WHERE r.ca_id = $1 AND (r.serial, r.hash) > ($2, $3)"
    "  AND r.next_update > now() + interval '60 seconds'"
    "  AND (c.status_changed_at IS NULL"
    "   OR c.status_changed_at < r.this_update + interval '1 second')"
    " ORDER BY r.serial, r.hash LIMIT $4";

static const char missing_sql[] =
    "SELECT count(*) FROM certificates c WHERE c.ca_id = $1 AND c.not_after > now()"
    " AND NOT EXISTS (SELECT 1 FROM ocsp_responses r"
    "  WHERE r.ca_id = c.ca_id AND r.serial = c.serial AND r.hash = 'sha1'"
    "  AND r.next_update > now() + interval '60 seconds'"
    "  AND (c.status_changed_at IS NULL"
    "   OR c.status_changed_at < r.this_update + interval '1 second'))";

static void
free_ids(char **ids, size_t n)
{
	for (size_t i = 0; ids != NULL && i < n; i++)
		free(ids[i]);
	free(ids);
}

/* Appends the ids res holds to *ids, skipping those already there. */
static int
append_ids(const PGresult *res, char ***ids, size_t *n)
{
	for (int row = 0; row < PQntuples(res); row++) {
		const char *id = mp_db_value(res, row, 0);
		bool seen = false;
		char **grown;

		for (size_t i = 0; i < *n && !seen; i++)
			seen = strcmp((*ids)[i], id) == 0;
		if (seen)
			continue;
		if ((grown = realloc(*ids, (*n + 1) * sizeof(**ids))) == NULL)
			return MP_ERR_NOMEM;
		*ids = grown;
		if ((grown[*n] = strdup(id)) == NULL)
			return MP_ERR_NOMEM;
		(*n)++;
	}
	return MP_OK;
}

int
ocsp_bundle_select_cas(mp_db *db, const char *tenant, const char *const *names, size_t n,
    char ***ids, size_t *count, char *err, size_t errsz)
{
	char **out = NULL;
	size_t k = 0;
	int r = MP_OK;

	for (size_t i = 0; i < (n > 0 ? n : 1) && r == MP_OK; i++) {
		const char *values[2] = { tenant, n > 0 ? names[i] : NULL };
		PGresult *res = NULL;

		if ((r = mp_db_query(db, select_sql, 2, values, &res)) != MP_OK) {
			snprintf(err, errsz, "cannot read the CAs: %s", mp_db_errmsg(db));
		} else if (PQntuples(res) == 0) {
			r = MP_ERR_NOT_FOUND;
			if (n > 0)
				snprintf(err, errsz, "no CA '%s'%s%s", names[i],
				    tenant != NULL ? " in tenant " : "", tenant != NULL ? tenant : "");
			else
				snprintf(err, errsz, "tenant '%s' has no CA", tenant);
		} else if (n > 0 && PQntuples(res) > 1) {
			r = MP_ERR_CONFLICT;
			snprintf(err, errsz, "several CAs are named '%s': give --tenant or the CA id",
			    names[i]);
		} else {
			r = append_ids(res, &out, &k);
		}
		PQclear(res);
	}
	if (r != MP_OK) {
		free_ids(out, k);
		return r;
	}
	*ids = out;
	*count = k;
	return MP_OK;
}

static int
parse_i64(const char *v, int64_t *out)
{
	uint64_t u = 0;

	if (v == NULL || mp_parse_u64(v, (uint64_t)INT64_MAX, &u) != MP_OK)
		return MP_ERR_INTEGRITY;
	*out = (int64_t)u;
	return MP_OK;
}

/* The position of the signer with certificate id in ca's signers, or -1. */
static long
signer_index(const ocsp_ca *ca, const char *id)
{
	for (size_t i = 0; i < ca->nsigners; i++)
		if (strcmp(ca->signers[i]->id, id) == 0)
			return (long)i;
	return -1;
}

/* Writes one row of page_sql; serial and hash become the row's (where the next page starts). */
static int
write_row(ocsp_bundle_writer *w, const ocsp_ca *ca, const PGresult *res, int row,
    uint8_t **serial, size_t *serial_len, char hash[8], size_t *written)
{
	const char *h = mp_db_value(res, row, 1);
	uint8_t *core = NULL;
	size_t core_len = 0;
	int64_t this_update, next_update;
	long signer;
	int r;

	free(*serial);
	*serial = NULL;
	if ((r = mp_db_bytea_value(res, row, 0, OCSP_BUNDLE_MAX_SERIAL + 1, serial,
	    serial_len)) != MP_OK ||
	    (r = mp_db_bytea_value(res, row, 3, OCSP_BUNDLE_MAX_ITEM, &core, &core_len)) != MP_OK ||
	    (r = parse_i64(mp_db_value(res, row, 4), &this_update)) != MP_OK ||
	    (r = parse_i64(mp_db_value(res, row, 5), &next_update)) != MP_OK)
		goto out;
	snprintf(hash, 8, "%s", h);
	/* a response by a signer that is no longer valid is left out, as the responder would */
	if ((signer = signer_index(ca, mp_db_value(res, row, 2))) < 0)
		goto out;
	r = ocsp_bundle_write_response(w, strcmp(h, "sha1") == 0 ? OCSP_HASH_SHA1 : OCSP_HASH_SHA256,
	    *serial, *serial_len, strcmp(mp_db_value(res, row, 6), "t") == 0 ? OCSP_REVOKED :
	    OCSP_GOOD, (size_t)signer, this_update, next_update, core, core_len);
	if (r == MP_OK)
		(*written)++;
out:
	free(core);
	return r;
}

/* Writes every current response of ca, page by page. */
static int
write_responses(mp_db *db, ocsp_bundle_writer *w, const ocsp_ca *ca, size_t *written)
{
	uint8_t *serial = NULL;
	size_t serial_len = 0;
	char hash[8] = "";
	int r = MP_OK, rows;

	do {
		const char *values[4] = { ca->id, (const char *)serial, hash, PAGE_TEXT };
		const int lengths[4] = { 0, (int)serial_len, 0, 0 }, formats[4] = { 0, 1, 0, 0 };
		PGresult *res = NULL;

		if (serial == NULL)
			values[1] = "";
		if ((r = mp_db_query_ex(db, page_sql, 4, values, lengths, formats, &res)) != MP_OK)
			break;
		rows = PQntuples(res);
		for (int i = 0; i < rows && r == MP_OK; i++)
			r = write_row(w, ca, res, i, &serial, &serial_len, hash, written);
		PQclear(res);
	} while (r == MP_OK && rows == PAGE);
	free(serial);
	return r;
}

static int
count_missing(mp_db *db, const char *ca_id, size_t *missing)
{
	const char *values[1] = { ca_id };
	PGresult *res = NULL;
	uint64_t n = 0;
	int r;

	if ((r = mp_db_query_row(db, missing_sql, 1, values, &res)) == MP_OK &&
	    mp_parse_u64(mp_db_value(res, 0, 0), UINT64_MAX, &n) != MP_OK)
		r = MP_ERR_INTEGRITY;
	PQclear(res);
	*missing += (size_t)n;
	return r;
}

/* Writes CA ca: its header, then its responses. */
static int
write_ca(mp_db *db, ocsp_bundle_writer *w, const ocsp_ca *ca, ocsp_bundle_export_stats *st,
    char *err, size_t errsz)
{
	const uint8_t *signers[OCSP_BUNDLE_MAX_SIGNERS];
	size_t lens[OCSP_BUNDLE_MAX_SIGNERS];
	uint8_t *cert = NULL, *crl = NULL, *delta = NULL;
	size_t cert_len = 0, crl_len = 0, delta_len = 0, n = ca->nsigners;
	int64_t t1, t2;
	int r;

	if (n > OCSP_BUNDLE_MAX_SIGNERS)
		n = OCSP_BUNDLE_MAX_SIGNERS;
	for (size_t i = 0; i < n; i++) {
		signers[i] = ca->signers[i]->der;
		lens[i] = ca->signers[i]->der_len;
	}
	if ((r = ca_cert_der_fetch(db, ca->id, &cert, &cert_len)) != MP_OK ||
	    ((r = ca_crl_fetch(db, ca->id, false, &crl, &crl_len, &t1, &t2)) != MP_OK &&
		r != MP_ERR_NOT_FOUND) ||
	    ((r = ca_crl_fetch(db, ca->id, true, &delta, &delta_len, &t1, &t2)) != MP_OK &&
		r != MP_ERR_NOT_FOUND)) {
		snprintf(err, errsz, "CA %s: cannot read its certificate or CRLs: %s", ca->id,
		    mp_strerror(r));
		goto out;
	}
	{
		ocsp_bundle_ca_in in = { ca->id, cert, cert_len, signers, lens, n,
			ca->signers[0]->key, crl, delta, crl_len, delta_len };

		r = ocsp_bundle_write_ca(w, &in);
	}
	if (r == MP_OK)
		r = write_responses(db, w, ca, &st->responses);
	if (r == MP_OK)
		r = count_missing(db, ca->id, &st->missing);
	if (r != MP_OK)
		snprintf(err, errsz, "CA %s: %s%s%s", ca->id, mp_strerror(r),
		    r == MP_ERR_DB || r == MP_ERR_DB_UNAVAILABLE ? ": " : "",
		    r == MP_ERR_DB || r == MP_ERR_DB_UNAVAILABLE ? mp_db_errmsg(db) : "");
out:
	free(cert);
	free(crl);
	free(delta);
	return r;
}

int
ocsp_bundle_export(mp_db *db, mp_keystore *ks, const char *const *ids, size_t n,
    const char *path, ocsp_bundle_export_stats *st, char *err, size_t errsz)
{
	ocsp_bundle_export_stats s = { 0 };
	ocsp_bundle_writer *w = NULL;
	ocsp_ca_table *t = NULL;
	const ocsp_ca **cas = NULL;
	int r;

	if (n == 0 || n > OCSP_BUNDLE_MAX_CAS) {
		snprintf(err, errsz, "a bundle holds 1 to %d CAs", OCSP_BUNDLE_MAX_CAS);
		return MP_ERR_INVALID;
	}
	if ((r = ocsp_ca_table_load(db, ks, &t)) != MP_OK) {
		snprintf(err, errsz, "cannot read the CAs' OCSP signers: %s", mp_strerror(r));
		return r;
	}
	if ((cas = calloc(n, sizeof(*cas))) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < t->n && cas[i] == NULL; j++)
			if (strcmp(t->cas[j].id, ids[i]) == 0)
				cas[i] = &t->cas[j];
		if (cas[i] == NULL) {
			snprintf(err, errsz, "CA %s has no valid OCSP signer whose key we hold", ids[i]);
			r = MP_ERR_NOT_FOUND;
			goto out;
		}
	}
	if ((r = ocsp_bundle_writer_open(path, (int64_t)time(NULL), n, &w)) != MP_OK) {
		snprintf(err, errsz, "cannot write %s.tmp: %s", path, mp_strerror(r));
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((r = write_ca(db, w, cas[i], &s, err, errsz)) != MP_OK)
			goto out;
	s.cas = n;
	r = ocsp_bundle_writer_finish(w);
	w = NULL;
	if (r != MP_OK) {
		snprintf(err, errsz, "cannot write %s: %s", path, mp_strerror(r));
		goto out;
	}
	*st = s;
out:
	ocsp_bundle_writer_abort(w);
	free(cas);
	ocsp_ca_table_unref(t);
	return r;
}
