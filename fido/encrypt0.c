#include "encrypt0.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "cbor.h"
#include "err.h"
#include "secure.h"

#define COSE_HDR_ALG 1
#define COSE_HDR_IV 5
#define IV_LEN 12
#define TAG_LEN 16
/* The longest plaintext (a message of the FDO listener, at most 64 KiB). */
#define MAX_PLAINTEXT (64 * 1024)

/* ["Encrypt0", protected, h''] */
static int
enc_structure(const uint8_t *prot, size_t prot_len, mp_buf **out)
{
	static const char context[] = "Encrypt0";
	mp_buf *b = mp_buf_new(prot_len + 32);
	int r;

	if (b == NULL)
		return MP_ERR_NOMEM;
	if ((r = fdo_put_array(b, 3)) != MP_OK ||
	    (r = fdo_put_tstr(b, context, sizeof(context) - 1)) != MP_OK ||
	    (r = fdo_put_bstr(b, prot, prot_len)) != MP_OK || (r = fdo_put_bstr(b, NULL, 0)) != MP_OK) {
		mp_buf_free(b);
		return r;
	}
	*out = b;
	return MP_OK;
}

static const EVP_CIPHER *
gcm(const fdo_sek *k)
{
	return k->cipher == FDO_A256GCM && k->len == 32 ? EVP_aes_256_gcm() :
	    k->cipher == FDO_A128GCM && k->len == 16 ? EVP_aes_128_gcm() : NULL;
}

/* AES-GCM of in under k and iv with aad, into out (tag after the text when encrypting). */
static int
aes_gcm(const fdo_sek *k, bool enc, const uint8_t iv[IV_LEN], const mp_buf *aad,
    const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len = 0, r = enc ? MP_ERR_CRYPTO : MP_ERR_INTEGRITY;

	if (ctx == NULL)
		return MP_ERR_NOMEM;
	if (EVP_CipherInit_ex(ctx, gcm(k), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, IV_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, k->key, iv, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &len, mp_buf_ptr(aad), (int)mp_buf_len(aad)) != 1 ||
	    (n > 0 && EVP_CipherUpdate(ctx, out, &len, in, (int)n) != 1) ||
	    (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1) ||
	    EVP_CipherFinal_ex(ctx, out + (n > 0 ? len : 0), &len) != 1 ||
	    (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1))
		goto out;
	r = MP_OK;
out:
	ERR_clear_error();
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/* The protected header {1: alg} of k's cipher. */
static int
protected_header(const fdo_sek *k, mp_buf *b)
{
	int r;

	if ((r = fdo_put_map(b, 1)) != MP_OK || (r = fdo_put_uint(b, COSE_HDR_ALG)) != MP_OK)
		return r;
	return fdo_put_uint(b, (uint64_t)k->cipher);
}

int
fdo_encrypt0(const fdo_sek *k, const uint8_t *pt, size_t n, mp_buf *out)
{
	uint8_t iv[IV_LEN], *ct = NULL;
	mp_buf *ph = NULL, *aad = NULL;
	int r;

	if (gcm(k) == NULL || n > MAX_PLAINTEXT)
		return MP_ERR_INVALID;
	if ((ph = mp_buf_new(8)) == NULL || (ct = OPENSSL_malloc(n + TAG_LEN)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((r = protected_header(k, ph)) != MP_OK ||
	    (r = enc_structure(mp_buf_ptr(ph), mp_buf_len(ph), &aad)) != MP_OK ||
	    (r = mp_random_bytes(iv, sizeof(iv))) != MP_OK ||
	    (r = aes_gcm(k, true, iv, aad, pt, n, ct, ct + n)) != MP_OK)
		goto out;
	if ((r = fdo_put_tag(out, FDO_COSE_ENCRYPT0_TAG)) != MP_OK ||
	    (r = fdo_put_array(out, 3)) != MP_OK ||
	    (r = fdo_put_bstr(out, mp_buf_ptr(ph), mp_buf_len(ph))) != MP_OK ||
	    (r = fdo_put_map(out, 1)) != MP_OK || (r = fdo_put_uint(out, COSE_HDR_IV)) != MP_OK ||
	    (r = fdo_put_bstr(out, iv, sizeof(iv))) != MP_OK)
		goto out;
	r = fdo_put_bstr(out, ct, n + TAG_LEN);
out:
	OPENSSL_clear_free(ct, n + TAG_LEN);
	mp_buf_free(ph);
	mp_buf_free(aad);
	return r;
}

/* The IV in the unprotected header: a map holding 5: bstr of 12 bytes. */
static int
header_iv(fdo_cbor *c, const uint8_t **iv)
{
	size_t items, n;
	int64_t label;
	const uint8_t *v;

	*iv = NULL;
	if (fdo_cbor_map(c, &items) != MP_OK || items > 8)
		return MP_ERR_INVALID;
	for (size_t i = 0; i < items; i++) {
		if (fdo_cbor_int(c, &label) != MP_OK)
			return MP_ERR_INVALID;
		if (label != COSE_HDR_IV) {
			if (fdo_cbor_skip(c, NULL, NULL) != MP_OK)
				return MP_ERR_INVALID;
			continue;
		}
		if (*iv != NULL || fdo_cbor_bstr(c, &v, &n) != MP_OK || n != IV_LEN)
			return MP_ERR_INVALID;
		*iv = v;
	}
	return *iv != NULL ? MP_OK : MP_ERR_INVALID;
}

int
fdo_decrypt0(const fdo_sek *k, const uint8_t *in, size_t len, mp_buf *out, fdo_detail *d)
{
	const uint8_t *prot, *iv, *ct;
	uint8_t tag[TAG_LEN], *pt = NULL;
	size_t prot_len, ct_len = 0;
	mp_buf *want = NULL, *aad = NULL;
	uint64_t t;
	fdo_cbor c;
	int r;

	fdo_cbor_init(&c, in, len);
	if (fdo_cbor_tag(&c, &t) != MP_OK || t != FDO_COSE_ENCRYPT0_TAG ||
	    fdo_cbor_array_n(&c, 3) != MP_OK || fdo_cbor_bstr(&c, &prot, &prot_len) != MP_OK ||
	    header_iv(&c, &iv) != MP_OK || fdo_cbor_bstr(&c, &ct, &ct_len) != MP_OK ||
	    !fdo_cbor_empty(&c) || ct_len < TAG_LEN || ct_len - TAG_LEN > MAX_PLAINTEXT)
		return fdo_refuse(d, MP_ERR_INVALID, "not a COSE_Encrypt0 [protected, {5: IV},"
		    " ciphertext] of at most %d bytes", MAX_PLAINTEXT);
	if (gcm(k) == NULL)
		return MP_ERR_INVALID;
	if ((want = mp_buf_new(8)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((r = protected_header(k, want)) != MP_OK)
		goto out;
	/* the protected header must name the session's cipher */
	if (!mp_ct_equal(mp_buf_ptr(want), mp_buf_len(want), prot, prot_len)) {
		r = fdo_refuse(d, MP_ERR_INVALID, "COSE_Encrypt0: the algorithm is not the session's");
		goto out;
	}
	if ((pt = OPENSSL_malloc(ct_len)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	memcpy(tag, ct + ct_len - TAG_LEN, TAG_LEN);
	if ((r = enc_structure(prot, prot_len, &aad)) != MP_OK)
		goto out;
	if ((r = aes_gcm(k, false, iv, aad, ct, ct_len - TAG_LEN, pt, tag)) != MP_OK) {
		r = r == MP_ERR_INTEGRITY ? fdo_refuse(d, r,
		    "COSE_Encrypt0: does not decrypt with the session key") : r;
		goto out;
	}
	r = mp_buf_put(out, pt, ct_len - TAG_LEN);
out:
	OPENSSL_clear_free(pt, ct_len);
	mp_buf_free(want);
	mp_buf_free(aad);
	return r;
}
