#include "trust_anchors.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/ocsp.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "codec.h"
#include "crl_cache.h"
#include "num.h"
#include "err.h"
#include "record.h"

#define COLUMNS "id, tenant_id, name, certificate, subject, policy, created_at," \
	" encode(crl_sha256, 'hex') AS crl_sha256, crl_this_update, crl_next_update, crl_revoked," \
	" crl_updated_at"

/* Exactly one DER certificate of at most MP_TRUST_ANCHOR_MAX_DER bytes. */
static int
parse_one(const uint8_t *der, size_t derlen, X509 **out)
{
	const unsigned char *p = der;
	X509 *x;

	if (der == NULL || derlen == 0 || derlen > MP_TRUST_ANCHOR_MAX_DER)
		return MP_ERR_INVALID;
	if ((x = d2i_X509(NULL, &p, (long)derlen)) == NULL || p != der + derlen) {
		X509_free(x);
		return MP_ERR_INVALID;
	}
	*out = x;
	return MP_OK;
}

/* The name in RFC 2253 form, as a new string. */
static int
name_text(const X509_NAME *name, char **out)
{
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;
	int r = MP_ERR_CRYPTO;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0 || BIO_write(bio, "", 1) != 1 ||
	    BIO_get_mem_ptr(bio, &mem) != 1 || mem == NULL)
		goto out;
	if ((*out = strdup(mem->data)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	r = MP_OK;
out:
	BIO_free(bio);
	return r;
}

/* The time as RFC 3339 UTC ("2024-05-01T10:11:12Z"). */
static int
time_text(const ASN1_TIME *t, char buf[32])
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return MP_ERR_CRYPTO;
	return MP_OK;
}

/* Whether x names itself as issuer and its own key verifies its signature. */
static bool
self_signed(X509 *x)
{
	EVP_PKEY *key = X509_get0_pubkey(x);

	return X509_check_issued(x, x) == X509_V_OK && key != NULL && X509_verify(x, key) == 1;
}

/*
 * What the certificate says of itself: {subject, issuer, not_before,
 * not_after, sha256, self_signed}.
 */
static int
describe(X509 *x, const uint8_t *der, size_t derlen, json_t **out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char nb[32], na[32], *subject = NULL, *issuer = NULL, *fp = NULL;
	json_t *d;
	int r;

	if ((r = name_text(X509_get_subject_name(x), &subject)) != MP_OK ||
	    (r = name_text(X509_get_issuer_name(x), &issuer)) != MP_OK ||
	    (r = time_text(X509_get0_notBefore(x), nb)) != MP_OK ||
	    (r = time_text(X509_get0_notAfter(x), na)) != MP_OK)
		goto out;
	if (EVP_Digest(der, derlen, md, &mdlen, EVP_sha256(), NULL) != 1) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	if ((r = mp_hex_encode(md, mdlen, &fp)) != MP_OK)
		goto out;
	d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "subject", subject, "issuer", issuer,
	    "not_before", nb, "not_after", na, "sha256", fp, "self_signed", self_signed(x));
	if (d == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	*out = d;
	r = MP_OK;
out:
	free(subject);
	free(issuer);
	free(fp);
	return r;
}

int
mp_trust_anchor_check(const uint8_t *der, size_t derlen, const char **why)
{
	const char *reason = NULL;
	X509 *x = NULL;
	uint32_t flags;
	int r;

	if ((r = parse_one(der, derlen, &x)) != MP_OK) {
		reason = "not exactly one X.509 certificate";
		goto out;
	}
	flags = X509_get_extension_flags(x);
	if ((flags & EXFLAG_INVALID) != 0) {
		reason = "the certificate has an invalid or duplicated extension";
		r = MP_ERR_INVALID;
	} else if ((flags & EXFLAG_CA) == 0) {
		reason = "not a CA certificate: basicConstraints CA:TRUE is missing";
		r = MP_ERR_POLICY;
	} else if ((flags & EXFLAG_KUSAGE) == 0 || (X509_get_key_usage(x) & KU_KEY_CERT_SIGN) == 0) {
		reason = "not a CA certificate: keyUsage does not include keyCertSign";
		r = MP_ERR_POLICY;
	}
out:
	if (why != NULL)
		*why = reason;
	X509_free(x);
	return r;
}

/* Adds what the stored certificate says (see the header) to an anchor row. */
static int
decorate(json_t *row)
{
	const char *b64 = json_string_value(json_object_get(row, "certificate"));
	uint8_t *der = NULL;
	size_t derlen = 0;
	char *pem = NULL;
	json_t *d = NULL, *link;
	X509 *x = NULL;
	int r;

	if (b64 == NULL) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	if ((r = mp_b64_decode(b64, strlen(b64), false, MP_TRUST_ANCHOR_MAX_DER, &der,
	    &derlen)) != MP_OK ||
	    (r = parse_one(der, derlen, &x)) != MP_OK || (r = describe(x, der, derlen, &d)) != MP_OK ||
	    (r = mp_pem_encode("CERTIFICATE", der, derlen, &pem)) != MP_OK)
		goto out;
	link = json_pack("{s:O, s:O, s:O, s:O}", "subject", json_object_get(d, "subject"), "issuer",
	    json_object_get(d, "issuer"), "sha256", json_object_get(d, "sha256"), "root",
	    json_object_get(d, "self_signed"));
	if (link == NULL || json_object_set_new(d, "chain", json_pack("[o]", link)) != 0 ||
	    json_object_set_new(d, "certificate_pem", json_string(pem)) != 0 ||
	    json_object_set_new(d, "crl", json_is_string(json_object_get(row, "crl_sha256")) ?
	    json_pack("{s:O, s:O, s:O, s:O}", "this_update", json_object_get(row, "crl_this_update"),
	    "next_update", json_object_get(row, "crl_next_update"), "revoked",
	    json_object_get(row, "crl_revoked"), "updated_at", json_object_get(row,
	    "crl_updated_at")) : json_null()) != 0 ||
	    json_object_update(row, d) != 0) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	json_object_del(row, "crl_sha256");
	json_object_del(row, "crl_this_update");
	json_object_del(row, "crl_next_update");
	json_object_del(row, "crl_revoked");
	json_object_del(row, "crl_updated_at");
	r = MP_OK;
out:
	json_decref(d);
	free(der);
	free(pem);
	X509_free(x);
	return r;
}

/* Decorates every anchor of a list. */
static int
decorate_all(json_t *list)
{
	json_t *row;
	size_t i;
	int r;

	json_array_foreach(list, i, row)
		if ((r = decorate(row)) != MP_OK)
			return r;
	return MP_OK;
}

int
mp_trust_anchor_create(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *name, const uint8_t *der, size_t derlen, json_t *policy, json_t **out)
{
	char *cert = NULL, *pol = NULL;
	json_t *d = NULL, *details = NULL, *row = NULL;
	const char *params[5];
	X509 *x = NULL;
	int r;

	if (tenant_id == NULL || name == NULL) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((r = mp_trust_anchor_check(der, derlen, NULL)) != MP_OK ||
	    (r = parse_one(der, derlen, &x)) != MP_OK || (r = describe(x, der, derlen, &d)) != MP_OK ||
	    (r = mp_db_bytea_param(der, derlen, &cert)) != MP_OK ||
	    (r = mp_record_object_text(policy, &pol)) != MP_OK)
		goto out;
	if ((details = json_pack("{s:s, s:O, s:O}", "name", name, "subject",
	    json_object_get(d, "subject"), "sha256", json_object_get(d, "sha256"))) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	params[0] = tenant_id;
	params[1] = name;
	params[2] = cert;
	params[3] = json_string_value(json_object_get(d, "subject"));
	params[4] = pol;
	r = mp_record_insert(db, actor, "trust_anchor.create", "trust_anchor",
	    "INSERT INTO trust_anchors (tenant_id, name, certificate, subject, policy)"
	    " VALUES ($1, $2, $3, $4, $5) RETURNING " COLUMNS, 5, params, details, &row);
	if (r != MP_OK || (r = decorate(row)) != MP_OK)
		goto out;
	if (out != NULL) {
		*out = row;
		row = NULL;
	}
out:
	json_decref(row);
	json_decref(details);
	json_decref(d);
	X509_free(x);
	free(cert);
	free(pol);
	return r;
}

int
mp_trust_anchor_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };
	json_t *row = NULL;
	int r;

	r = mp_record_get(db, "SELECT " COLUMNS " FROM trust_anchors"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)", 2, params, &row);
	if (r == MP_OK && (r = decorate(row)) == MP_OK) {
		*out = row;
		row = NULL;
	}
	json_decref(row);
	return r;
}

int
mp_trust_anchor_list(mp_db *db, const char *tenant_id, const char *after_name, unsigned limit,
    json_t **out)
{
	char lim[16];
	const char *params[3] = { tenant_id, after_name, lim };
	json_t *list = NULL;
	int r;

	mp_record_limit(limit, lim);
	r = mp_record_list(db, "SELECT " COLUMNS " FROM trust_anchors"
	    " WHERE ($1::uuid IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR name > $2)"
	    " ORDER BY name, id LIMIT $3", 3, params, &list);
	if (r == MP_OK && (r = decorate_all(list)) == MP_OK) {
		*out = list;
		list = NULL;
	}
	json_decref(list);
	return r;
}

/* The distinct issuer names of leaf and chain, as a JSON array of RFC 2253 strings. */
static int
issuer_names(X509 *leaf, STACK_OF(X509) *chain, json_t **out)
{
	json_t *names = json_array();
	char *text = NULL;
	int r = MP_ERR_NOMEM;

	if (names == NULL)
		goto out;
	for (int i = -1; i < (chain != NULL ? sk_X509_num(chain) : 0); i++) {
		X509 *x = i < 0 ? leaf : sk_X509_value(chain, i);

		if ((r = name_text(X509_get_issuer_name(x), &text)) != MP_OK)
			goto out;
		if (json_array_append_new(names, json_string(text)) != 0) {
			r = MP_ERR_NOMEM;
			goto out;
		}
		free(text);
		text = NULL;
	}
	*out = names;
	names = NULL;
	r = MP_OK;
out:
	free(text);
	json_decref(names);
	return r;
}

/* gn as a new string when it is an http:// URI of at most MP_TRUST_ANCHOR_MAX_URL bytes, else NULL. */
static char *
http_uri(const GENERAL_NAME *gn)
{
	const ASN1_IA5STRING *u = gn->d.uniformResourceIdentifier;
	const char *p;
	int n;

	if (gn->type != GEN_URI)
		return NULL;
	p = (const char *)ASN1_STRING_get0_data(u);
	n = ASN1_STRING_length(u);
	if (n <= 7 || n > MP_TRUST_ANCHOR_MAX_URL || strncmp(p, "http://", 7) != 0 ||
	    memchr(p, '\0', (size_t)n) != NULL)
		return NULL;
	return strndup(p, (size_t)n);
}

/* The first http:// URI among the full names of x's CRL distribution points, or NULL. */
static char *
crl_url(X509 *x)
{
	CRL_DIST_POINTS *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	char *url = NULL;

	for (int i = 0; dps != NULL && url == NULL && i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT_NAME *dpn = sk_DIST_POINT_value(dps, i)->distpoint;

		for (int k = 0; dpn != NULL && dpn->type == 0 && url == NULL &&
		    k < sk_GENERAL_NAME_num(dpn->name.fullname); k++) {
			url = http_uri(sk_GENERAL_NAME_value(dpn->name.fullname, k));
		}
	}
	CRL_DIST_POINTS_free(dps);
	return url;
}

/* The first http:// OCSP responder x names (AIA), or NULL; *named says whether it names any. */
static char *
ocsp_url(X509 *x, bool *named)
{
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
	char *url = NULL;

	*named = aia == NULL && X509_get_ext_by_NID(x, NID_info_access, -1) >= 0;
	for (int i = 0; aia != NULL && url == NULL && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);

		if (OBJ_obj2nid(ad->method) != NID_ad_OCSP)
			continue;
		*named = true;
		url = http_uri(ad->location);
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	return url;
}

/*
 * x's status from the OCSP responder at url (x issued by issuer): a request
 * with a nonce, posted with a timeout of MP_TRUST_ANCHOR_OCSP_TIMEOUT_S; the
 * answer must be signed by issuer or by a responder it delegated to, current,
 * and not carry another nonce. As not_revoked.
 */
static int
ocsp_status(X509 *x, X509 *issuer, const char *url, const char **why)
{
	OCSP_CERTID *id = NULL, *ask;
	OCSP_REQUEST *rq = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *basic = NULL;
	ASN1_GENERALIZEDTIME *revoked_at, *this_update, *next_update;
	X509_STORE *store = NULL;
	STACK_OF(X509) *certs = NULL;
	BIO *body = NULL, *answer = NULL;
	char *host = NULL, *port = NULL, *path = NULL;
	int ssl = 0, status, reason, r = MP_ERR_UNSUPPORTED;

	*why = "the OCSP responder for the client certificate could not be reached or its answer"
	    " does not check out";
	if (!OSSL_HTTP_parse_url(url, &ssl, NULL, &host, &port, NULL, &path, NULL, NULL) || ssl ||
	    (id = OCSP_cert_to_id(NULL, x, issuer)) == NULL || (rq = OCSP_REQUEST_new()) == NULL ||
	    (ask = OCSP_CERTID_dup(id)) == NULL)
		goto out;
	if (OCSP_request_add0_id(rq, ask) == NULL) {
		OCSP_CERTID_free(ask);
		goto out;
	}
	if (!OCSP_request_add1_nonce(rq, NULL, -1) ||
	    (body = ASN1_item_i2d_mem_bio(ASN1_ITEM_rptr(OCSP_REQUEST), (ASN1_VALUE *)rq)) == NULL)
		goto out;
	if ((answer = OSSL_HTTP_transfer(NULL, host, port, path, 0, NULL, NULL, NULL, NULL, NULL,
	    NULL, 0, NULL, "application/ocsp-request", body, "application/ocsp-response", 1,
	    MP_TRUST_ANCHOR_MAX_OCSP, MP_TRUST_ANCHOR_OCSP_TIMEOUT_S, 0)) == NULL ||
	    (resp = d2i_OCSP_RESPONSE_bio(answer, NULL)) == NULL ||
	    OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (basic = OCSP_response_get1_basic(resp)) == NULL || OCSP_check_nonce(rq, basic) == 0)
		goto out;
	if ((store = X509_STORE_new()) == NULL || !X509_STORE_add_cert(store, issuer) ||
	    (certs = sk_X509_new_null()) == NULL || !sk_X509_push(certs, issuer))
		goto out;
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	if (OCSP_basic_verify(basic, certs, store, 0) != 1 ||
	    !OCSP_resp_find_status(basic, id, &status, &reason, &revoked_at, &this_update,
	    &next_update) || !OCSP_check_validity(this_update, next_update, 300, -1))
		goto out;
	if (status == V_OCSP_CERTSTATUS_REVOKED) {
		*why = "the client certificate is revoked by its manufacturer's OCSP responder";
		r = MP_ERR_DENIED;
	} else if (status == V_OCSP_CERTSTATUS_GOOD) {
		r = MP_OK;
	}
out:
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(rq);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(basic);
	X509_STORE_free(store);
	sk_X509_free(certs);
	BIO_free(body);
	BIO_free(answer);
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	return r;
}

/*
 * Whether x, issued by issuer, is not revoked, as far as x says where to
 * learn it: MP_OK when it names nothing, or when the CRL at its first
 * http:// distribution point (through crls, mp_crl_cache_fetch) is
 * issuer's, signed by it, current, and does not list x, or, without
 * a CRL, when its http:// OCSP responder says good (ocsp_status);
 * MP_ERR_DENIED when either says revoked; MP_ERR_UNSUPPORTED when it cannot
 * be told (nothing on http://, a CRL or answer that does not check out, an
 * unknown status). *why gets a static sentence on an error.
 */
static int
not_revoked(mp_crl_cache *crls, X509 *x, X509 *issuer, const char **why)
{
	X509_CRL *crl = NULL;
	X509_REVOKED *rev = NULL;
	char *url = crl_url(x), *ocsp = NULL;
	bool names_ocsp;
	int r = MP_ERR_UNSUPPORTED;

	if (url == NULL) {
		ocsp = ocsp_url(x, &names_ocsp);
		if (ocsp != NULL)
			r = ocsp_status(x, issuer, ocsp, why);
		else if (X509_get_ext_by_NID(x, NID_crl_distribution_points, -1) < 0 && !names_ocsp)
			r = MP_OK;
		else
			*why = "the client certificate's revocation is published only where it cannot be"
			    " checked (not on http://)";
		goto out;
	}
	*why = "the CRL for the client certificate could not be fetched or does not check out"
	    " (issuer, signature, thisUpdate, nextUpdate)";
	if ((r = mp_crl_cache_fetch(crls, url, issuer, &crl)) != MP_OK)
		goto out;
	if (X509_CRL_get0_by_cert(crl, &rev, x) == 1) {
		*why = "the client certificate is revoked by its manufacturer's CRL";
		r = MP_ERR_DENIED;
		goto out;
	}
	r = MP_OK;
out:
	X509_CRL_free(crl);
	free(url);
	free(ocsp);
	return r;
}

/* One parsed anchor certificate, by its DER in base64 as the database gives it. */
struct cached_anchor {
	char *b64;
	X509 *x;
};

struct mp_anchor_cache {
	struct cached_anchor slot[MP_ANCHOR_CACHE_SIZE];
	size_t next;  /* the slot the next new anchor takes */
	mp_crl_cache *crls;
};

mp_anchor_cache *
mp_anchor_cache_new(mp_crl_cache *crls)
{
	mp_anchor_cache *c = calloc(1, sizeof(mp_anchor_cache));

	if (c != NULL)
		c->crls = crls;
	return c;
}

void
mp_anchor_cache_free(mp_anchor_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < MP_ANCHOR_CACHE_SIZE; i++) {
		free(c->slot[i].b64);
		X509_free(c->slot[i].x);
	}
	free(c);
}

/* mp_crl_loader: the uploaded CRL from the database (arg: the mp_db). */
static int
load_uploaded(void *arg, const char *id, const char *sha256, uint8_t **der, size_t *len)
{
	const char *params[2] = { id, sha256 };
	PGresult *res = NULL;
	int r;

	if ((r = mp_db_query_row(arg, "SELECT crl FROM trust_anchors WHERE id = $1"
	    " AND crl_sha256 = decode($2, 'hex')", 2, params, &res)) == MP_OK)
		r = mp_db_bytea_value(res, 0, 0, MP_TRUST_ANCHOR_MAX_CRL, der, len);
	PQclear(res);
	return r;
}

/*
 * Whether x, which anchor (the certificate of row) issued, is not on the CRL
 * uploaded with the anchor (checked when it was uploaded; through crls,
 * mp_crl_cache_uploaded, read from db on a miss): MP_OK; MP_ERR_DENIED when
 * it is listed; MP_ERR_UNSUPPORTED when the CRL is past its nextUpdate, or
 * cannot be read (replaced or removed since row was read). *why gets a
 * static sentence on those.
 */
static int
not_on_uploaded_crl(mp_db *db, mp_crl_cache *crls, X509 *x, X509 *anchor, const json_t *row,
    const char **why)
{
	X509_CRL *crl = NULL;
	X509_REVOKED *rev = NULL;
	int r;

	r = mp_crl_cache_uploaded(crls, json_string_value(json_object_get(row, "id")),
	    json_string_value(json_object_get(row, "crl_sha256")), anchor, load_uploaded, db, &crl);
	if (r == MP_ERR_EXPIRED) {
		*why = "the CRL uploaded with the client certificate's trust anchor is past its"
		    " nextUpdate; an operator must upload a current one";
		r = MP_ERR_UNSUPPORTED;
	} else if (r == MP_ERR_NOT_FOUND || r == MP_ERR_UNSUPPORTED) {
		*why = "the CRL uploaded with the client certificate's trust anchor could not be read"
		    " (it changed meanwhile, or reading it took too long); try again";
		r = MP_ERR_UNSUPPORTED;
	} else if (r == MP_OK && X509_CRL_get0_by_cert(crl, &rev, x) == 1) {
		*why = "the client certificate is revoked by the CRL uploaded with its trust anchor";
		r = MP_ERR_DENIED;
	}
	X509_CRL_free(crl);
	return r;
}

/*
 * The certificate of an anchor row (b64: its "certificate"), from cache
 * when it holds the same DER, else parsed (and kept in cache, which may be
 * NULL). A new reference in *out; MP_ERR_INTEGRITY when it does not parse.
 */
static int
anchor_x509(mp_anchor_cache *cache, const char *b64, X509 **out)
{
	struct cached_anchor *slot;
	uint8_t *der = NULL;
	size_t derlen;
	X509 *x = NULL;
	char *copy;

	for (size_t i = 0; cache != NULL && i < MP_ANCHOR_CACHE_SIZE; i++) {
		slot = &cache->slot[i];
		if (slot->b64 != NULL && strcmp(slot->b64, b64) == 0 && X509_up_ref(slot->x) == 1) {
			*out = slot->x;
			return MP_OK;
		}
	}
	if (mp_b64_decode(b64, strlen(b64), false, MP_TRUST_ANCHOR_MAX_DER, &der, &derlen) != MP_OK ||
	    parse_one(der, derlen, &x) != MP_OK) {
		free(der);
		return MP_ERR_INTEGRITY;
	}
	free(der);
	if (cache != NULL && (copy = strdup(b64)) != NULL) {
		if (X509_up_ref(x) != 1) {
			free(copy);
			*out = x;
			return MP_OK;
		}
		slot = &cache->slot[cache->next];
		cache->next = (cache->next + 1) % MP_ANCHOR_CACHE_SIZE;
		free(slot->b64);
		X509_free(slot->x);
		slot->b64 = copy;
		slot->x = x;
	}
	*out = x;
	return MP_OK;
}

/*
 * Verifies leaf under the anchors of rows whose tenant_id is tenant (their
 * certificates through cache). *anchor gets the row of the anchor that ended
 * the chain, or NULL when it does not verify; every certificate below the
 * anchor must pass not_revoked, or for the one the anchor issued
 * not_on_uploaded_crl when the anchor has a CRL (their errors, with *why).
 */
static int
verify_in_tenant(mp_db *db, mp_anchor_cache *cache, json_t *rows, const char *tenant, X509 *leaf,
    STACK_OF(X509) *chain, json_t **anchor, const char **why)
{
	mp_crl_cache *crls = cache != NULL ? cache->crls : NULL;
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *path;
	X509 **xs = calloc(json_array_size(rows) + 1, sizeof(*xs));
	json_t *row, *found = NULL;
	size_t i;
	X509 *top, *found_x = NULL;
	int r = MP_ERR_NOMEM, n;

	*anchor = NULL;
	if (store == NULL || ctx == NULL || xs == NULL)
		goto out;
	json_array_foreach(rows, i, row) {
		const char *b64 = json_string_value(json_object_get(row, "certificate"));

		if (strcmp(json_string_value(json_object_get(row, "tenant_id")), tenant) != 0)
			continue;
		if (b64 == NULL || (r = anchor_x509(cache, b64, &xs[i])) != MP_OK) {
			r = MP_ERR_INTEGRITY;
			goto out;
		}
		if (!X509_STORE_add_cert(store, xs[i])) {
			r = MP_ERR_CRYPTO;
			goto out;
		}
	}
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	if (!X509_STORE_CTX_init(ctx, store, leaf, chain)) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	r = MP_OK;
	if (X509_verify_cert(ctx) != 1 || (path = X509_STORE_CTX_get0_chain(ctx)) == NULL)
		goto out;
	n = sk_X509_num(path);
	top = sk_X509_value(path, n - 1);
	json_array_foreach(rows, i, row) {
		if (xs[i] != NULL && X509_cmp(top, xs[i]) == 0) {
			found = row;
			found_x = xs[i];
			break;
		}
	}
	for (int k = 0; k < n - 1; k++) {
		X509 *below = sk_X509_value(path, k);

		r = k == n - 2 && found != NULL && json_is_string(json_object_get(found, "crl_sha256")) ?
		    not_on_uploaded_crl(db, crls, below, found_x, found, why) :
		    not_revoked(crls, below, sk_X509_value(path, k + 1), why);
		if (r != MP_OK)
			goto out;
	}
	*anchor = found;
out:
	ERR_clear_error();
	for (i = 0; xs != NULL && i < json_array_size(rows); i++)
		X509_free(xs[i]);
	free(xs);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}

int
mp_trust_anchor_verify(mp_db *db, mp_anchor_cache *cache, X509 *leaf, STACK_OF(X509) *chain,
    const char *serial, json_t **out, const char **why)
{
	const char *reason = "no trust anchor vouches for the client certificate";
	json_t *names = NULL, *rows = NULL, *found = NULL, *row, *anchor;
	char *names_text = NULL;
	const char *params[2];
	size_t i;
	int r;

	if (chain != NULL && sk_X509_num(chain) > MP_TRUST_ANCHOR_MAX_CHAIN) {
		reason = "the client sent too many certificates";
		r = MP_ERR_TOO_LARGE;
		goto out;
	}
	if ((r = issuer_names(leaf, chain, &names)) != MP_OK)
		goto out;
	if ((names_text = json_dumps(names, JSON_COMPACT)) == NULL || (found = json_array()) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	params[0] = names_text;
	params[1] = serial;
	if ((r = mp_record_list(db, "SELECT " COLUMNS ", (SELECT d.id FROM devices d"
	    " WHERE d.tenant_id = a.tenant_id AND d.serial = $2) AS device_id FROM trust_anchors a"
	    " WHERE subject IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY tenant_id, id",
	    2, params, &rows)) != MP_OK)
		goto out;
	json_array_foreach(rows, i, row) {
		const char *tenant = json_string_value(json_object_get(row, "tenant_id"));

		if (i > 0 && strcmp(tenant, json_string_value(json_object_get(json_array_get(rows,
		    i - 1), "tenant_id"))) == 0)
			continue;
		if ((r = verify_in_tenant(db, cache, rows, tenant, leaf, chain, &anchor, &reason)) !=
		    MP_OK)
			goto out;
		if (anchor != NULL && json_array_append_new(found, json_pack("{s:O, s:O, s:O, s:O,"
		    " s:O, s:O}", "id", json_object_get(anchor, "id"), "tenant_id",
		    json_object_get(anchor, "tenant_id"), "name", json_object_get(anchor, "name"),
		    "subject", json_object_get(anchor, "subject"), "policy", json_object_get(anchor,
		    "policy"), "device_id", json_object_get(anchor, "device_id"))) != 0) {
			r = MP_ERR_NOMEM;
			goto out;
		}
	}
	if (json_array_size(found) == 0) {
		r = MP_ERR_UNAUTHENTICATED;
		goto out;
	}
	*out = found;
	found = NULL;
	reason = NULL;
	r = MP_OK;
out:
	if (why != NULL)
		*why = reason;
	json_decref(names);
	json_decref(rows);
	json_decref(found);
	free(names_text);
	return r;
}

/* t as Unix seconds. */
static int
time_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return MP_ERR_INVALID;
	*out = (int64_t)timegm(&tm);
	return MP_OK;
}

struct crl_ctx {
	const mp_actor *actor;
	const char *tenant_id;
	const char *id;
	const uint8_t *der;
	size_t len;
	const char *why;
};

/*
 * The checks of mp_trust_anchor_set_crl against anchor (its DER in the
 * locked row res) and the stored CRL's thisUpdate; sets *this_update,
 * *next_update and *revoked.
 */
static int
crl_check(struct crl_ctx *c, const PGresult *res, int64_t *this_update, int64_t *next_update,
    int *revoked)
{
	const unsigned char *p = c->der;
	const char *stored = mp_db_value(res, 0, 1);
	X509_CRL *crl = NULL;
	X509 *anchor = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	uint64_t old = 0;
	int r;

	if ((r = mp_db_bytea_value(res, 0, 0, MP_TRUST_ANCHOR_MAX_DER, &der, &len)) != MP_OK ||
	    (r = parse_one(der, len, &anchor)) != MP_OK)
		goto out;
	r = MP_ERR_INVALID;
	c->why = "not exactly one X.509 CRL";
	if (c->len == 0 || c->len > MP_TRUST_ANCHOR_MAX_CRL ||
	    (crl = d2i_X509_CRL(NULL, &p, (long)c->len)) == NULL || p != c->der + c->len)
		goto out;
	r = MP_ERR_POLICY;
	c->why = "the CRL is not issued by this trust anchor (its issuer is another name)";
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(anchor)) != 0)
		goto out;
	c->why = "the CRL's signature does not verify with the trust anchor's key";
	if (X509_CRL_verify(crl, X509_get0_pubkey(anchor)) != 1)
		goto out;
	c->why = "the CRL needs a thisUpdate not in the future and a nextUpdate still to come";
	if (time_unix(X509_CRL_get0_lastUpdate(crl), this_update) != MP_OK ||
	    time_unix(X509_CRL_get0_nextUpdate(crl), next_update) != MP_OK ||
	    *this_update > (int64_t)time(NULL) + 300 || *next_update <= (int64_t)time(NULL))
		goto out;
	if (stored != NULL && mp_parse_u64(stored, INT64_MAX, &old) == MP_OK &&
	    *this_update < (int64_t)old) {
		c->why = "the CRL is older (thisUpdate) than the one stored with this trust anchor";
		r = MP_ERR_CONFLICT;
		goto out;
	}
	*revoked = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
	if (*revoked < 0)
		*revoked = 0;
	c->why = NULL;
	r = MP_OK;
out:
	ERR_clear_error();
	X509_CRL_free(crl);
	X509_free(anchor);
	free(der);
	return r;
}

static int
crl_txn(mp_db *db, void *arg, json_t **out)
{
	struct crl_ctx *c = arg;
	PGresult *res = NULL;
	json_t *row = NULL, *details = NULL;
	char *crl = NULL, tu[24], nu[24], rev[16];
	const char *params[6] = { c->id, c->tenant_id };
	int64_t this_update = 0, next_update = 0;
	int revoked = 0, r;

	if ((r = mp_db_query_row(db, "SELECT certificate,"
	    " extract(epoch FROM crl_this_update)::bigint FROM trust_anchors"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE", 2, params,
	    &res)) != MP_OK)
		goto out;
	if ((r = crl_check(c, res, &this_update, &next_update, &revoked)) != MP_OK ||
	    (r = mp_db_bytea_param(c->der, c->len, &crl)) != MP_OK)
		goto out;
	mp_record_time(this_update, tu);
	mp_record_time(next_update, nu);
	snprintf(rev, sizeof(rev), "%d", revoked);
	params[2] = crl;
	params[3] = tu;
	params[4] = nu;
	params[5] = rev;
	if ((r = mp_record_get(db, "UPDATE trust_anchors SET crl = $3,"
	    " crl_this_update = to_timestamp($4::bigint), crl_next_update = to_timestamp($5::bigint),"
	    " crl_revoked = $6, crl_updated_at = now() WHERE id = $1"
	    " AND ($2::uuid IS NULL OR tenant_id = $2) RETURNING " COLUMNS, 6, params, &row)) !=
	    MP_OK)
		goto out;
	if ((details = json_pack("{s:O, s:O, s:i}", "this_update", json_object_get(row,
	    "crl_this_update"), "next_update", json_object_get(row, "crl_next_update"), "revoked",
	    revoked)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((r = mp_audit_write_in(db, c->actor, json_string_value(json_object_get(row,
	    "tenant_id")), "trust_anchor.crl", "trust_anchor", c->id, details)) != MP_OK ||
	    (r = decorate(row)) != MP_OK)
		goto out;
	*out = row;
	row = NULL;
out:
	json_decref(details);
	json_decref(row);
	free(crl);
	PQclear(res);
	return r;
}

int
mp_trust_anchor_set_crl(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id, const uint8_t *der, size_t len, json_t **out, const char **why)
{
	struct crl_ctx c = { actor, tenant_id, id, der, len, NULL };
	int r;

	if (actor == NULL || id == NULL || der == NULL)
		return MP_ERR_INVALID;
	r = mp_record_txn(db, crl_txn, &c, out);
	if (why != NULL)
		*why = r == MP_OK ? NULL : c.why;
	return r;
}

int
mp_trust_anchor_delete_crl(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id)
{
	const char *params[2] = { id, tenant_id };
	json_t *details;
	int r;

	if (actor == NULL || id == NULL)
		return MP_ERR_INVALID;
	if ((details = json_object()) == NULL)
		return MP_ERR_NOMEM;
	r = mp_record_insert(db, actor, "trust_anchor.crl_delete", "trust_anchor",
	    "UPDATE trust_anchors SET crl = NULL, crl_this_update = NULL, crl_next_update = NULL,"
	    " crl_revoked = NULL, crl_updated_at = NULL WHERE id = $1"
	    " AND ($2::uuid IS NULL OR tenant_id = $2) AND crl IS NOT NULL RETURNING id, tenant_id",
	    2, params, details, NULL);
	json_decref(details);
	return r;
}

int
mp_trust_anchor_delete(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id)
{
	const char *params[2] = { id, tenant_id };

	if (actor == NULL || id == NULL)
		return MP_ERR_INVALID;
	return mp_record_insert(db, actor, "trust_anchor.delete", "trust_anchor",
	    "DELETE FROM trust_anchors WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)"
	    " RETURNING id, tenant_id, name, subject", 2, params, NULL, NULL);
}
