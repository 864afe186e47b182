#include "est_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "codec.h"
#include "der.h"
#include "err.h"

int
est_key_generate(const char *spec, EVP_PKEY **out)
{
	EVP_PKEY *k = NULL;

	if (strcmp(spec, "ec-p256") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(spec, "ec-p384") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else if (strcmp(spec, "rsa-2048") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(spec, "rsa-3072") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else if (strcmp(spec, "rsa-4096") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
	else if (strcmp(spec, "ed25519") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		return MP_ERR_INVALID;
	if (k == NULL)
		return MP_ERR_CRYPTO;
	*out = k;
	return MP_OK;
}

/* The digest a request signed by key uses: none for Ed25519, SHA-384 for P-384. */
static const EVP_MD *
csr_md(EVP_PKEY *key)
{
	char group[32];

	if (EVP_PKEY_is_a(key, "ED25519"))
		return NULL;
	if (EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) == 1 &&
	    strcmp(group, SN_secp384r1) == 0)
		return EVP_sha384();
	return EVP_sha256();
}

int
est_csr_make(EVP_PKEY *key, const X509_NAME *subject, const GENERAL_NAMES *sans,
    const uint8_t *challenge, size_t len, char **out)
{
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext = NULL;
	unsigned char *der = NULL;
	char *b64 = NULL;
	mp_buf *lines = NULL;
	int n, r = MP_ERR_CRYPTO;

	if (req == NULL)
		return MP_ERR_NOMEM;
	if (!X509_REQ_set_version(req, X509_REQ_VERSION_1) || !X509_REQ_set_pubkey(req, key) ||
	    (subject != NULL && !X509_REQ_set_subject_name(req, subject)))
		goto out;
	if (sans != NULL && sk_GENERAL_NAME_num(sans) > 0) {
		if ((exts = sk_X509_EXTENSION_new_null()) == NULL ||
		    (ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, (void *)sans)) == NULL ||
		    !sk_X509_EXTENSION_push(exts, ext))
			goto out;
		ext = NULL;
		if (!X509_REQ_add_extensions(req, exts))
			goto out;
	}
	if (challenge != NULL) {
		r = mp_b64_encode(challenge, len, false, &b64);
		if (r != MP_OK)
			goto out;
		r = MP_ERR_CRYPTO;
		if (!X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, MBSTRING_UTF8,
		    (const unsigned char *)b64, -1))
			goto out;
	}
	if (X509_REQ_sign(req, key, csr_md(key)) <= 0 || (n = i2d_X509_REQ(req, &der)) <= 0)
		goto out;
	free(b64);
	b64 = NULL;
	if ((r = mp_b64_encode(der, (size_t)n, false, &b64)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((lines = mp_buf_new(strlen(b64) * 2 + 8)) == NULL)
		goto out;
	for (size_t i = 0, total = strlen(b64); i < total; i += 64)
		if (mp_buf_put(lines, b64 + i, total - i < 64 ? total - i : 64) != MP_OK ||
		    mp_buf_put_u8(lines, '\n') != MP_OK)
			goto out;
	if ((*out = strdup(mp_buf_str(lines))) == NULL)
		goto out;
	r = MP_OK;
out:
	ERR_clear_error();
	mp_buf_free(lines);
	free(b64);
	OPENSSL_free(der);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return r;
}

/* The DER that len bytes of base64 text carry, at most EST_MAX_RESPONSE bytes. */
static int
body_der(const char *body, size_t len, uint8_t **der, size_t *der_len)
{
	int r = mp_b64_decode(body, len, false, EST_MAX_RESPONSE, der, der_len);

	if (r == MP_OK && *der_len == 0) {
		free(*der);
		r = MP_ERR_INVALID;
	}
	return r;
}

int
est_certs_parse(const char *body, size_t len, STACK_OF(X509) **out)
{
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t der_len = 0;
	PKCS7 *p7 = NULL;
	STACK_OF(X509) *certs = NULL, *copy = NULL;
	int r;

	if ((r = body_der(body, len, &der, &der_len)) != MP_OK)
		return r;
	r = MP_ERR_INVALID;
	p = der;
	if ((p7 = d2i_PKCS7(NULL, &p, (long)der_len)) == NULL || p != der + der_len ||
	    !PKCS7_type_is_signed(p7) || p7->d.sign == NULL ||
	    (certs = p7->d.sign->cert) == NULL || sk_X509_num(certs) == 0)
		goto out;
	r = MP_ERR_NOMEM;
	if ((copy = sk_X509_new_null()) == NULL)
		goto out;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (!X509_up_ref(x))
			goto out;
		if (!sk_X509_push(copy, x)) {
			X509_free(x);
			goto out;
		}
	}
	*out = copy;
	copy = NULL;
	r = MP_OK;
out:
	ERR_clear_error();
	sk_X509_pop_free(copy, X509_free);
	PKCS7_free(p7);
	free(der);
	return r;
}

/* The name of the OBJECT IDENTIFIER t (its short name, else dotted), appended to text. */
static int
put_oid(const mp_der_tlv *t, mp_buf *text)
{
	const unsigned char *p = t->whole;
	ASN1_OBJECT *o = d2i_ASN1_OBJECT(NULL, &p, (long)t->whole_len);
	char name[128];
	int nid, r;

	if (o == NULL || p != t->whole + t->whole_len) {
		ASN1_OBJECT_free(o);
		ERR_clear_error();
		return MP_ERR_INVALID;
	}
	nid = OBJ_obj2nid(o);
	if (nid != NID_undef)
		snprintf(name, sizeof(name), "%s", OBJ_nid2sn(nid));
	else if (OBJ_obj2txt(name, sizeof(name), o, 1) <= 0)
		snprintf(name, sizeof(name), "(unprintable)");
	ASN1_OBJECT_free(o);
	r = mp_buf_put_str(text, name);
	return r;
}

/* One Attribute { type, SET OF value }: its type, then its OID values or their count. */
static int
put_attribute(const mp_der_tlv *a, mp_buf *text)
{
	mp_der in, set;
	mp_der_tlv type, values, v;
	size_t n = 0, oids = 0;
	int r;

	mp_der_enter(a, &in);
	if (mp_der_expect(&in, MP_DER_OID, &type) != MP_OK ||
	    mp_der_expect(&in, MP_DER_SET, &values) != MP_OK || !mp_der_empty(&in))
		return MP_ERR_INVALID;
	if ((r = put_oid(&type, text)) != MP_OK || (r = mp_buf_put_str(text, ":")) != MP_OK)
		return r;
	mp_der_enter(&values, &set);
	while (!mp_der_empty(&set)) {
		if (mp_der_next(&set, &v) != MP_OK)
			return MP_ERR_INVALID;
		n++;
		if (v.tag != MP_DER_OID)
			continue;
		if ((r = mp_buf_put_str(text, oids++ == 0 ? " " : ", ")) != MP_OK ||
		    (r = put_oid(&v, text)) != MP_OK)
			return r;
	}
	if (oids == 0)
		r = mp_buf_putf(text, " (%zu values)", n);
	return r;
}

int
est_csrattrs_describe(const char *body, size_t len, mp_buf *text)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	mp_der d, in;
	mp_der_tlv all, e;
	int r;

	if ((r = mp_b64_decode(body, len, false, EST_MAX_RESPONSE, &der, &der_len)) != MP_OK)
		return r;
	r = MP_ERR_INVALID;
	mp_der_init(&d, der, der_len);
	if (mp_der_expect(&d, MP_DER_SEQUENCE, &all) != MP_OK || !mp_der_empty(&d))
		goto out;
	mp_der_enter(&all, &in);
	while (!mp_der_empty(&in)) {
		r = MP_ERR_INVALID;
		if (mp_der_next(&in, &e) != MP_OK)
			goto out;
		if (e.tag == MP_DER_OID)
			r = put_oid(&e, text);
		else if (e.tag == MP_DER_SEQUENCE)
			r = put_attribute(&e, text);
		if (r != MP_OK || (r = mp_buf_put_u8(text, '\n')) != MP_OK)
			goto out;
	}
	r = MP_OK;
out:
	free(der);
	return r;
}
