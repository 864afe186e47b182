#include "trust_anchors.h"

#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "codec.h"
#include "err.h"
#include "record.h"

#define COLUMNS "id, tenant_id, name, certificate, subject, policy, created_at"

/* The RFC 2253 subject and SHA-256 fingerprint (hex) of exactly one DER certificate. */
static int
describe(const uint8_t *der, size_t derlen, char **subject, char **fingerprint)
{
	const unsigned char *p = der;
	X509 *x = NULL;
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char *s = NULL, *fp = NULL;
	int r;

	if (derlen == 0 || derlen > MP_TRUST_ANCHOR_MAX_DER) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((x = d2i_X509(NULL, &p, (long)derlen)) == NULL || p != der + derlen) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) < 0 ||
	    BIO_write(bio, "", 1) != 1 || BIO_get_mem_ptr(bio, &mem) != 1 || mem == NULL) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	if (EVP_Digest(der, derlen, md, &mdlen, EVP_sha256(), NULL) != 1) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	if ((s = strdup(mem->data)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((r = mp_hex_encode(md, mdlen, &fp)) != MP_OK)
		goto out;
	*subject = s;
	*fingerprint = fp;
	s = NULL;
	r = MP_OK;
out:
	free(s);
	BIO_free(bio);
	X509_free(x);
	return r;
}

int
mp_trust_anchor_create(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *name, const uint8_t *der, size_t derlen, json_t *policy, json_t **out)
{
	char *subject = NULL, *fp = NULL, *cert = NULL, *pol = NULL;
	json_t *details = NULL;
	const char *params[5];
	int r;

	if (tenant_id == NULL || name == NULL || der == NULL) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((r = describe(der, derlen, &subject, &fp)) != MP_OK ||
	    (r = mp_db_bytea_param(der, derlen, &cert)) != MP_OK ||
	    (r = mp_record_object_text(policy, &pol)) != MP_OK)
		goto out;
	if ((details = json_pack("{s:s, s:s, s:s}", "name", name, "subject", subject,
	    "sha256", fp)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	params[0] = tenant_id;
	params[1] = name;
	params[2] = cert;
	params[3] = subject;
	params[4] = pol;
	r = mp_record_insert(db, actor, "trust_anchor.create", "trust_anchor",
	    "INSERT INTO trust_anchors (tenant_id, name, certificate, subject, policy)"
	    " VALUES ($1, $2, $3, $4, $5) RETURNING " COLUMNS, 5, params, details, out);
out:
	json_decref(details);
	free(subject);
	free(fp);
	free(cert);
	free(pol);
	return r;
}

int
mp_trust_anchor_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	return mp_record_get(db, "SELECT " COLUMNS " FROM trust_anchors"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)", 2, params, out);
}

int
mp_trust_anchor_list(mp_db *db, const char *tenant_id, const char *after_name, unsigned limit,
    json_t **out)
{
	char lim[16];
	const char *params[3] = { tenant_id, after_name, lim };

	mp_record_limit(limit, lim);
	return mp_record_list(db, "SELECT " COLUMNS " FROM trust_anchors"
	    " WHERE ($1::uuid IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR name > $2)"
	    " ORDER BY name, id LIMIT $3", 3, params, out);
}
