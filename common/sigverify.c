/* Signature verification matching the key store's signing (keystore.h). */
#include "keystore.h"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "err.h"

int
mp_verify_data(const mp_key_spec *spec, EVP_PKEY *pub, const uint8_t *msg, size_t len,
    const uint8_t *sig, size_t siglen)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *mctx = NULL;
	mp_key_spec actual;
	const char *md;
	int r = MP_ERR_INVALID;

	if (mp_key_spec_of(pub, spec->alg == MP_KEY_RSA_PSS, &actual) != MP_OK ||
	    actual.alg != spec->alg || actual.rsa_bits != spec->rsa_bits)
		return MP_ERR_INVALID;
	md = spec->alg == MP_KEY_ED25519 ? NULL :
	    spec->alg == MP_KEY_EC_P384  ? SN_sha384 :
	                                   SN_sha256;
	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return MP_ERR_NOMEM;
	r = MP_ERR_CRYPTO;
	if (EVP_DigestVerifyInit_ex(mctx, &pctx, md, NULL, NULL, pub, NULL) != 1)
		goto out;
	if (spec->alg == MP_KEY_RSA_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	r = EVP_DigestVerify(mctx, sig, siglen, msg, len) == 1 ? MP_OK : MP_ERR_INTEGRITY;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	return r;
}
