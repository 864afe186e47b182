#include "trust_anchors.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "codec.h"
#include "err.h"
#include "record.h"

#define COLUMNS "id, tenant_id, name, certificate, subject, policy, created_at"

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
	    json_object_update(row, d) != 0) {
		r = MP_ERR_NOMEM;
		goto out;
	}
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
