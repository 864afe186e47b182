#include "est_msg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "codec.h"
#include "der.h"
#include "err.h"
#include "http.h"

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
    const uint8_t *challenge, size_t len, const ASN1_OCTET_STRING *key_id, char **out)
{
	X509_REQ *req = X509_REQ_new();
	ASN1_OBJECT *key_id_type = NULL;
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
	if (key_id != NULL &&
	    ((key_id_type = OBJ_txt2obj(EST_OID_ASYMM_DECRYPT_KEY_ID, 1)) == NULL ||
	    !X509_REQ_add1_attr_by_OBJ(req, key_id_type, V_ASN1_OCTET_STRING,
		ASN1_STRING_get0_data(key_id), ASN1_STRING_length(key_id))))
		goto out;
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
	ASN1_OBJECT_free(key_id_type);
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

void
est_keygen_answer_free(est_keygen_answer *a)
{
	OPENSSL_clear_free(a->key, a->key_len);
	sk_X509_pop_free(a->certs, X509_free);
	*a = (est_keygen_answer){ NULL, 0, false, NULL };
}

/* The boundary parameter of a multipart Content-Type into b (1 to 70 characters). */
static bool
boundary_of(const char *content_type, char b[71])
{
	const char *p = content_type, *end;
	size_t n;

	if (p == NULL || !mp_http_media_type_is(p, "multipart/mixed"))
		return false;
	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "boundary=", 9) != 0)
			continue;
		p += 9;
		if (*p == '"') {
			end = strchr(++p, '"');
		} else {
			end = p + strcspn(p, "; \t");
		}
		if (end == NULL || (n = (size_t)(end - p)) < 1 || n > 70)
			return false;
		memcpy(b, p, n);
		b[n] = '\0';
		return true;
	}
	return false;
}

/*
 * The Content-Type of a part's header lines [h, end), lower-cased without
 * blanks into type; "" when there is none.
 */
static void
part_type(const char *h, const char *end, char type[128])
{
	size_t n = 0;

	type[0] = '\0';
	while (h < end) {
		const char *eol = memchr(h, '\n', (size_t)(end - h));
		const char *stop = eol != NULL ? eol : end;

		if ((size_t)(stop - h) > 13 && strncasecmp(h, "Content-Type:", 13) == 0) {
			for (const char *c = h + 13; c < stop && n < 127; c++)
				if (*c != ' ' && *c != '\t' && *c != '\r')
					type[n++] = (char)tolower((unsigned char)*c);
			type[n] = '\0';
		}
		h = stop + 1;
	}
}

/* Takes one part (header lines, then content) of a /serverkeygen answer into a. */
static int
take_part(const char *part, size_t len, est_keygen_answer *a)
{
	const char *sep = memmem(part, len, "\n\r\n", 3), *lf = memmem(part, len, "\n\n", 2);
	const char *content;
	char type[128];
	bool pkcs8, enveloped;

	if (sep == NULL || (lf != NULL && lf < sep))
		sep = lf;
	if (sep == NULL)
		return MP_ERR_INVALID;
	content = sep + (sep[1] == '\r' ? 3 : 2);
	part_type(part, sep, type);
	pkcs8 = strcmp(type, "application/pkcs8") == 0;
	enveloped = strcmp(type, "application/pkcs7-mime;smime-type=server-generated-key") == 0;
	if (pkcs8 || enveloped) {
		uint8_t *der = NULL;
		size_t der_len = 0;
		int r;

		if (a->key != NULL)
			return MP_ERR_INVALID;
		if ((r = body_der(content, len - (size_t)(content - part), &der, &der_len)) != MP_OK)
			return r;
		a->key = der;
		a->key_len = der_len;
		a->encrypted = enveloped;
		return MP_OK;
	}
	if (strncmp(type, "application/pkcs7-mime", 22) != 0 || a->certs != NULL)
		return MP_ERR_INVALID;
	return est_certs_parse(content, len - (size_t)(content - part), &a->certs);
}

int
est_keygen_parse(const char *content_type, const char *body, size_t len, est_keygen_answer *out)
{
	est_keygen_answer a = { NULL, 0, false, NULL };
	char boundary[71], delim[76];
	const char *p = body, *end = body + len;
	size_t dlen;
	int r = MP_ERR_INVALID;

	if (!boundary_of(content_type, boundary))
		goto out;
	dlen = (size_t)snprintf(delim, sizeof(delim), "--%s", boundary);
	/* the first delimiter opens the body or a line */
	while (p < end && !((p == body || p[-1] == '\n') && (size_t)(end - p) >= dlen &&
	    memcmp(p, delim, dlen) == 0)) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		p = nl != NULL ? nl + 1 : end;
	}
	for (;;) {
		const char *next, *stop;

		if ((size_t)(end - p) < dlen)
			goto out;
		p += dlen;
		if ((size_t)(end - p) >= 2 && memcmp(p, "--", 2) == 0)
			break;
		if ((p = memchr(p, '\n', (size_t)(end - p))) == NULL)
			goto out;
		p++;
		/* the part ends at the line break before the next delimiter */
		for (next = p;; next++) {
			if ((next = memmem(next, (size_t)(end - next), delim, dlen)) == NULL)
				goto out;
			if (next > p && next[-1] == '\n')
				break;
		}
		stop = next - 1;
		if (stop > p && stop[-1] == '\r')
			stop--;
		if ((r = take_part(p, (size_t)(stop - p), &a)) != MP_OK)
			goto out;
		r = MP_ERR_INVALID;
		p = next;
	}
	if (a.key == NULL || a.certs == NULL)
		goto out;
	*out = a;
	a = (est_keygen_answer){ NULL, 0, false, NULL };
	r = MP_OK;
out:
	est_keygen_answer_free(&a);
	return r;
}

int
est_key_unwrap(const uint8_t *der, size_t len, X509 *cert, EVP_PKEY *pkey, EVP_PKEY **out)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = NULL;
	BIO *plain = NULL;
	BUF_MEM *mem = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *k = NULL;
	mp_der d, in;
	mp_der_tlv pkg, one;
	char type[64];
	int r = MP_ERR_INVALID;

	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL || p != der + len ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_enveloped ||
	    OBJ_obj2txt(type, sizeof(type), CMS_get0_eContentType(cms), 1) <= 0 ||
	    strcmp(type, EST_OID_KEY_PACKAGE) != 0)
		goto out;
	r = MP_ERR_CRYPTO;
	if ((plain = BIO_new(BIO_s_secmem())) == NULL ||
	    !CMS_decrypt(cms, pkey, cert, NULL, plain, CMS_BINARY) ||
	    BIO_get_mem_ptr(plain, &mem) != 1 || mem == NULL)
		goto out;
	/* AsymmetricKeyPackage ::= SEQUENCE SIZE (1..MAX) OF OneAsymmetricKey: take the one */
	r = MP_ERR_INVALID;
	mp_der_init(&d, (const uint8_t *)mem->data, mem->length);
	if (mp_der_expect(&d, MP_DER_SEQUENCE, &pkg) != MP_OK || !mp_der_empty(&d))
		goto out;
	mp_der_enter(&pkg, &in);
	if (mp_der_expect(&in, MP_DER_SEQUENCE, &one) != MP_OK || !mp_der_empty(&in))
		goto out;
	p = one.whole;
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)one.whole_len)) == NULL ||
	    (k = EVP_PKCS82PKEY(p8)) == NULL)
		goto out;
	*out = k;
	r = MP_OK;
out:
	ERR_clear_error();
	PKCS8_PRIV_KEY_INFO_free(p8);
	BIO_free(plain);
	CMS_ContentInfo_free(cms);
	return r;
}

int
est_key_plain(const uint8_t *der, size_t len, EVP_PKEY **out)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
	EVP_PKEY *k = NULL;

	if (p8 != NULL && p == der + len)
		k = EVP_PKCS82PKEY(p8);
	PKCS8_PRIV_KEY_INFO_free(p8);
	ERR_clear_error();
	if (k == NULL)
		return MP_ERR_INVALID;
	*out = k;
	return MP_OK;
}
