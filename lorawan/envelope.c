/* CMS AuthEnvelopedData to a recipient certificate's RSA or EC key. */
#include "envelope.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
/* pem.h first: cms.h declares PEM_write_bio_CMS only after it */
#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "err.h"

#define RSA_MIN_BITS 2048

/*
 * The certificate der, its key checked, as *out (out NULL: only checked);
 * errors as lw_envelope_check_recipient.
 */
static int
recipient(const uint8_t *der, size_t len, X509 **out)
{
	const unsigned char *p = der;
	EVP_PKEY *key;
	X509 *x = NULL;
	int r = MP_ERR_INVALID, id;

	if (der == NULL || len == 0 || len > LW_ENVELOPE_CERT_MAX ||
	    (x = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len)
		goto out;
	r = MP_ERR_UNSUPPORTED;
	key = X509_get0_pubkey(x);
	id = key != NULL ? EVP_PKEY_get_base_id(key) : EVP_PKEY_NONE;
	if (id == EVP_PKEY_EC || (id == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) >= RSA_MIN_BITS))
		r = MP_OK;
out:
	/* the certificate goes to the caller who asked for it, or is freed */
	if (r == MP_OK && out != NULL)
		*out = x;
	else
		X509_free(x);
	return r;
}

int
lw_envelope_check_recipient(const uint8_t *der, size_t len)
{
	return recipient(der, len, NULL);
}

/* RSA-OAEP with SHA-256, or the X9.63 KDF with SHA-256, for recipient info ri. */
static int
key_params(CMS_RecipientInfo *ri, X509 *x)
{
	EVP_PKEY_CTX *pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);

	if (pctx == NULL)
		return MP_ERR_CRYPTO;
	if (EVP_PKEY_get_base_id(X509_get0_pubkey(x)) == EVP_PKEY_RSA)
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
		    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) > 0 &&
		    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0 ? MP_OK : MP_ERR_CRYPTO;
	return EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256()) > 0 ? MP_OK : MP_ERR_CRYPTO;
}

int
lw_envelope_seal(const uint8_t *der, size_t der_len, const uint8_t *in, size_t len,
    char **pem)
{
	CMS_ContentInfo *cms = NULL;
	CMS_RecipientInfo *ri;
	BIO *src = NULL, *dst = NULL;
	X509 *x = NULL;
	char *text = NULL, *data;
	long n;
	int r;

	if ((r = recipient(der, der_len, &x)) != MP_OK)
		goto out;
	r = MP_ERR_CRYPTO;
	if (len > INT_MAX || (src = BIO_new_mem_buf(in, (int)len)) == NULL ||
	    (dst = BIO_new(BIO_s_mem())) == NULL ||
	    (cms = CMS_encrypt(NULL, NULL, EVP_aes_256_gcm(), CMS_BINARY | CMS_PARTIAL)) == NULL ||
	    (ri = CMS_add1_recipient_cert(cms, x, CMS_KEY_PARAM)) == NULL ||
	    key_params(ri, x) != MP_OK || CMS_final(cms, src, NULL, CMS_BINARY) != 1 ||
	    PEM_write_bio_CMS(dst, cms) != 1 || (n = BIO_get_mem_data(dst, &data)) <= 0)
		goto out;
	if ((text = malloc((size_t)n + 1)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	memcpy(text, data, (size_t)n);
	text[n] = '\0';
	*pem = text;
	r = MP_OK;
out:
	CMS_ContentInfo_free(cms);
	BIO_free(src);
	BIO_free(dst);
	X509_free(x);
	return r;
}
