#include "crl_http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "bundle.h"
#include "crl.h"
#include "err.h"
#include "http_cache.h"
#include "log.h"
#include "responder.h"
#include "worker.h"

/* The length of a UUID in text form. */
#define ID_LEN 36

/* How long caches may keep a CA certificate. */
#define CERT_MAX_AGE 3600

/*
 * Extracts the CA id from name = "<id><suffix>" (nothing else); the id is
 * checked further by the database layer.
 */
static bool
split_name(const char *name, const char *suffix, char id[ID_LEN + 1])
{
	size_t n = strlen(name), s = strlen(suffix);

	if (n != ID_LEN + s || strcmp(name + ID_LEN, suffix) != 0)
		return false;
	memcpy(id, name, ID_LEN);
	id[ID_LEN] = '\0';
	return true;
}

/* A strong entity tag: the first 128 bits of the body's SHA-256, quoted. */
static int
etag_of(const uint8_t *der, size_t len, char out[35])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) || mdlen < 16)
		return MP_ERR_CRYPTO;
	out[0] = '"';
	for (int i = 0; i < 16; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", md[i]);
	out[33] = '"';
	out[34] = '\0';
	return MP_OK;
}

/*
 * A copy of CA id's full or delta CRL (crl true) or certificate from the
 * bundle b: MP_ERR_NOT_FOUND when it has none, MP_ERR_EXPIRED for a CRL past
 * its nextUpdate (stale status is not served).
 */
static int
bundle_fetch(ocsp_bundle *b, const char *id, bool crl, bool delta, uint8_t **der, size_t *len,
    int64_t *this_update, int64_t *next_update)
{
	long i = ocsp_bundle_find_ca(b, id);
	ocsp_bundle_crl c = { NULL, 0, 0, 0 };

	if (i < 0)
		return MP_ERR_NOT_FOUND;
	if (!crl)
		ocsp_bundle_ca_der(b, (size_t)i, &c.der, &c.len);
	else if (ocsp_bundle_crl_get(b, (size_t)i, delta, &c) != MP_OK)
		return MP_ERR_NOT_FOUND;
	if (crl && c.next_update != 0 && c.next_update <= (int64_t)time(NULL))
		return MP_ERR_EXPIRED;
	if ((*der = malloc(c.len)) == NULL)
		return MP_ERR_NOMEM;
	memcpy(*der, c.der, c.len);
	*len = c.len;
	if (this_update != NULL) {
		*this_update = c.this_update;
		*next_update = c.next_update;
	}
	return MP_OK;
}

/*
 * 404 for what does not exist, 503 while the database is away or when the
 * bundle's CRL is stale, 500 otherwise.
 */
static void
reply_failure(mp_http_req *req, int r, const char *what)
{
	if (r == MP_ERR_NOT_FOUND) {
		mp_http_reply_error(req, 404, "not_found", what, NULL);
	} else if (r == MP_ERR_EXPIRED) {
		mp_http_reply_error(req, 503, "stale",
		    "the CRL in the OCSP bundle is past its nextUpdate; a newer bundle is needed",
		    NULL);
	} else if (r == MP_ERR_DB_UNAVAILABLE) {
		mp_http_reply_error(req, 503, "database_unavailable",
		    "the database is not reachable; retry later", NULL);
	} else {
		mp_warn("%s %s: %s", mp_http_req_method(req), mp_http_req_path(req), mp_strerror(r));
		mp_http_reply_error(req, 500, "internal", "the request could not be served", NULL);
	}
}

/* Sends der with its validators, or 304 when the client holds this version. */
static void
reply_der(mp_http_req *req, const char *type, const uint8_t *der, size_t len,
    const char *cache_control, const char *last_modified, const char *expires)
{
	char etag[35];
	int r;

	if ((r = etag_of(der, len, etag)) != MP_OK) {
		reply_failure(req, r, NULL);
		return;
	}
	if (mp_http_set_header(req, "ETag", etag) != MP_OK ||
	    mp_http_set_header(req, "Cache-Control", cache_control) != MP_OK ||
	    (last_modified != NULL &&
		mp_http_set_header(req, "Last-Modified", last_modified) != MP_OK) ||
	    (expires != NULL && mp_http_set_header(req, "Expires", expires) != MP_OK)) {
		reply_failure(req, MP_ERR_INTERNAL, NULL);
		return;
	}
	if (ocsp_etag_matches(mp_http_req_header(req, "If-None-Match"), etag))
		mp_http_reply(req, 304, NULL, NULL, 0);
	else
		mp_http_reply(req, 200, type, der, len);
}

void
ocsp_crl_get(mp_http_req *req, void *arg)
{
	const char *name = mp_http_req_path(req) + strlen("/crl/");
	mp_worker *w = mp_http_req_worker(req);
	ocsp_bundle *b = ocsp_responder_bundle(arg);
	char id[ID_LEN + 1], cc[64], lm[MP_HTTP_DATE_MAX], ex[MP_HTTP_DATE_MAX];
	uint8_t *der = NULL;
	size_t len = 0;
	int64_t this_update = 0, next_update = 0, age;
	bool delta;
	int r;

	if (split_name(name, "-delta.crl", id))
		delta = true;
	else if (split_name(name, ".crl", id))
		delta = false;
	else {
		mp_http_reply_error(req, 404, "not_found",
		    "CRLs are at /crl/<ca id>.crl and /crl/<ca id>-delta.crl", NULL);
		goto out;
	}
	r = b != NULL ? bundle_fetch(b, id, true, delta, &der, &len, &this_update, &next_update) :
	    ca_crl_fetch(w->db, id, delta, &der, &len, &this_update, &next_update);
	if (r != MP_OK) {
		reply_failure(req, r, delta ? "no delta CRL for this CA" : "no CRL for this CA");
		goto out;
	}
	age = next_update - (int64_t)time(NULL);
	snprintf(cc, sizeof(cc), "public, max-age=%lld, no-transform", (long long)(age > 0 ? age : 0));
	mp_http_date(this_update, lm);
	mp_http_date(next_update, ex);
	reply_der(req, "application/pkix-crl", der, len, cc, lm, ex);
out:
	free(der);
	ocsp_bundle_unref(b);
}

void
ocsp_ca_cert_get(mp_http_req *req, void *arg)
{
	const char *name = mp_http_req_path(req) + strlen("/ca/");
	mp_worker *w = mp_http_req_worker(req);
	ocsp_bundle *b = ocsp_responder_bundle(arg);
	char id[ID_LEN + 1], cc[64];
	uint8_t *der = NULL;
	size_t len = 0;
	int r;

	if (!split_name(name, ".crt", id)) {
		mp_http_reply_error(req, 404, "not_found", "CA certificates are at /ca/<ca id>.crt",
		    NULL);
		goto out;
	}
	r = b != NULL ? bundle_fetch(b, id, false, false, &der, &len, NULL, NULL) :
	    ca_cert_der_fetch(w->db, id, &der, &len);
	if (r != MP_OK) {
		reply_failure(req, r, "no such CA");
		goto out;
	}
	snprintf(cc, sizeof(cc), "public, max-age=%d, no-transform", CERT_MAX_AGE);
	reply_der(req, "application/pkix-cert", der, len, cc, NULL, NULL);
out:
	free(der);
	ocsp_bundle_unref(b);
}
