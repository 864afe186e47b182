#include "keywrap.h"

#include <string.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "reply.h"

/*
 * The one value of attribute oid of req, an OCTET STRING of 1 to
 * EST_KEYWRAP_MAX_ID bytes, into id: MP_OK; MP_ERR_NOT_FOUND without the
 * attribute; MP_ERR_INVALID otherwise.
 */
static int
octets_attr(const X509_REQ *req, const char *oid, uint8_t id[EST_KEYWRAP_MAX_ID],
    size_t *id_len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	const ASN1_TYPE *v;
	X509_ATTRIBUTE *attr;
	int loc, n, r = MP_ERR_INVALID;

	if (obj == NULL)
		return MP_ERR_NOMEM;
	if ((loc = X509_REQ_get_attr_by_OBJ(req, obj, -1)) < 0) {
		r = MP_ERR_NOT_FOUND;
		goto out;
	}
	if (X509_REQ_get_attr_by_OBJ(req, obj, loc) >= 0 ||
	    (attr = X509_REQ_get_attr(req, loc)) == NULL || X509_ATTRIBUTE_count(attr) != 1 ||
	    (v = X509_ATTRIBUTE_get0_type(attr, 0)) == NULL || v->type != V_ASN1_OCTET_STRING ||
	    (n = ASN1_STRING_length(v->value.octet_string)) < 1 || n > EST_KEYWRAP_MAX_ID)
		goto out;
	memcpy(id, ASN1_STRING_get0_data(v->value.octet_string), (size_t)n);
	*id_len = (size_t)n;
	r = MP_OK;
out:
	ASN1_OBJECT_free(obj);
	return r;
}

int
est_keywrap_request(const uint8_t *csr, size_t len, est_keywrap *kind,
    uint8_t id[EST_KEYWRAP_MAX_ID], size_t *id_len, const char **why)
{
	const unsigned char *p = csr;
	X509_REQ *req = NULL;
	uint8_t sym[EST_KEYWRAP_MAX_ID];
	size_t sym_len = 0;
	int rs, ra, r = MP_ERR_INVALID;

	*why = "csr: not a DER PKCS#10 request";
	if (len == 0 || len > 1 << 20 || (req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL ||
	    p != csr + len)
		goto out;
	rs = octets_attr(req, EST_OID_DECRYPT_KEY_ID, sym, &sym_len);
	ra = octets_attr(req, EST_OID_ASYMM_DECRYPT_KEY_ID, id, id_len);
	if (rs == MP_ERR_NOMEM || ra == MP_ERR_NOMEM) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if (rs == MP_ERR_INVALID || ra == MP_ERR_INVALID) {
		*why = "csr: a DecryptKeyIdentifier or AsymmetricDecryptKeyIdentifier attribute"
		    " must be one OCTET STRING of 1 to 64 bytes, given once";
		goto out;
	}
	if (rs == MP_OK && ra == MP_OK) {
		*why = "csr: DecryptKeyIdentifier and AsymmetricDecryptKeyIdentifier exclude each other";
		goto out;
	}
	*kind = rs == MP_OK ? EST_KEYWRAP_SYMMETRIC : ra == MP_OK ? EST_KEYWRAP_ASYMMETRIC :
	    EST_KEYWRAP_NONE;
	*why = NULL;
	r = MP_OK;
out:
	ERR_clear_error();
	X509_REQ_free(req);
	return r;
}

bool
est_keywrap_recipient(mp_http_req *req, const uint8_t *csr, size_t len, X509 **out)
{
	X509 *peer = mp_http_req_peer_cert(req);
	const ASN1_OCTET_STRING *ski = peer != NULL ? X509_get0_subject_key_id(peer) : NULL;
	uint8_t id[EST_KEYWRAP_MAX_ID];
	size_t id_len = 0;
	est_keywrap kind = EST_KEYWRAP_NONE;
	const char *why = NULL;
	int base;

	*out = NULL;
	if (est_keywrap_request(csr, len, &kind, id, &id_len, &why) != MP_OK) {
		est_reply_text(req, 400, why != NULL ? why : "csr: cannot be read");
		return false;
	}
	if (kind == EST_KEYWRAP_NONE)
		return true;
	if (kind == EST_KEYWRAP_SYMMETRIC) {
		est_reply_text(req, 400, "csr.DecryptKeyIdentifier: this server shares no symmetric"
		    " key with clients; ask with AsymmetricDecryptKeyIdentifier for the key to be"
		    " encrypted to your TLS client certificate");
		return false;
	}
	if (ski == NULL || (size_t)ASN1_STRING_length(ski) != id_len ||
	    CRYPTO_memcmp(ASN1_STRING_get0_data(ski), id, id_len) != 0) {
		est_reply_text(req, 400, "csr.AsymmetricDecryptKeyIdentifier: must be the"
		    " subjectKeyIdentifier of the TLS client certificate this request came with");
		return false;
	}
	base = EVP_PKEY_get_base_id(X509_get0_pubkey(peer));
	if (base != EVP_PKEY_RSA && base != EVP_PKEY_EC) {
		est_reply_text(req, 400, "csr.AsymmetricDecryptKeyIdentifier: the key of that"
		    " certificate cannot receive an encrypted key; it must be RSA or EC");
		return false;
	}
	*out = peer;
	return true;
}

/* SEQUENCE { pkcs8 }: an AsymmetricKeyPackage of one key, in a new buffer of *n bytes. */
static uint8_t *
key_package(const uint8_t *pkcs8, size_t len, size_t *n)
{
	uint8_t head[6], *pkg;
	size_t h = 0;

	head[h++] = 0x30;
	if (len < 0x80) {
		head[h++] = (uint8_t)len;
	} else {
		size_t bytes = len > 0xffffff ? 4 : len > 0xffff ? 3 : len > 0xff ? 2 : 1;

		head[h++] = (uint8_t)(0x80 | bytes);
		for (size_t i = bytes; i > 0; i--)
			head[h++] = (uint8_t)(len >> (8 * (i - 1)));
	}
	if ((pkg = OPENSSL_malloc(h + len)) == NULL)
		return NULL;
	memcpy(pkg, head, h);
	memcpy(pkg + h, pkcs8, len);
	*n = h + len;
	return pkg;
}

int
est_keywrap_envelop(const uint8_t *pkcs8, size_t len, X509 *recipient, uint8_t **der,
    size_t *der_len)
{
	const unsigned int flags = CMS_BINARY | CMS_PARTIAL | CMS_USE_KEYID;
	STACK_OF(X509) *to = NULL;
	CMS_ContentInfo *cms = NULL;
	ASN1_OBJECT *type = NULL;
	unsigned char *out = NULL;
	uint8_t *pkg = NULL;
	size_t pkg_len = 0;
	BIO *in = NULL;
	int base, n, r = MP_ERR_NOMEM;

	base = EVP_PKEY_get_base_id(X509_get0_pubkey(recipient));
	if (base != EVP_PKEY_RSA && base != EVP_PKEY_EC) {
		r = MP_ERR_UNSUPPORTED;
		goto out;
	}
	if ((pkg = key_package(pkcs8, len, &pkg_len)) == NULL ||
	    (in = BIO_new_mem_buf(pkg, (int)pkg_len)) == NULL || (to = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(to, recipient) || (type = OBJ_txt2obj(EST_OID_KEY_PACKAGE, 1)) == NULL)
		goto out;
	r = MP_ERR_CRYPTO;
	if ((cms = CMS_encrypt(to, NULL, EVP_aes_256_cbc(), flags)) == NULL ||
	    !CMS_set1_eContentType(cms, type) || !CMS_final(cms, in, NULL, CMS_BINARY) ||
	    (n = i2d_CMS_ContentInfo(cms, &out)) <= 0)
		goto out;
	*der = out;
	*der_len = (size_t)n;
	r = MP_OK;
out:
	ERR_clear_error();
	CMS_ContentInfo_free(cms);
	ASN1_OBJECT_free(type);
	sk_X509_free(to);
	BIO_free(in);
	OPENSSL_clear_free(pkg, pkg_len);
	return r;
}
