/* AES-CMAC, AES-128-ECB blocks and RFC 3394 key wrap through OpenSSL EVP. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "err.h"
#include "secure.h"

int
lw_cmac(const uint8_t key[LW_KEY_LEN], const uint8_t *msg, size_t len, uint8_t out[LW_KEY_LEN])
{
	int r = MP_ERR_CRYPTO;
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((mac = EVP_MAC_fetch(NULL, "CMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    !EVP_MAC_init(ctx, key, LW_KEY_LEN, params) ||
	    !EVP_MAC_update(ctx, msg, len) ||
	    !EVP_MAC_final(ctx, out, &outl, LW_KEY_LEN) || outl != LW_KEY_LEN)
		goto out;
	r = MP_OK;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

int
lw_mic(const uint8_t key[LW_KEY_LEN], const uint8_t *msg, size_t len, uint8_t mic[LW_MIC_LEN])
{
	uint8_t full[LW_KEY_LEN];
	int r;

	if ((r = lw_cmac(key, msg, len, full)) == MP_OK)
		memcpy(mic, full, LW_MIC_LEN);
	mp_wipe(full, sizeof(full));
	return r;
}

int
lw_aes_ecb(const uint8_t key[LW_KEY_LEN], bool encrypt, const uint8_t *in, size_t len,
    uint8_t *out)
{
	int r = MP_ERR_INVALID;
	EVP_CIPHER_CTX *ctx = NULL;
	int outl = 0;

	if (len == 0 || len % 16 != 0 || len > LW_ECB_MAX)
		goto out;
	r = MP_ERR_CRYPTO;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    !EVP_CipherInit_ex2(ctx, EVP_aes_128_ecb(), key, NULL, encrypt ? 1 : 0, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_CipherUpdate(ctx, out, &outl, in, (int)len) || (size_t)outl != len)
		goto out;
	r = MP_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/* The AES-KW cipher for a KEK of kek_len bytes, or NULL for another length. */
static const EVP_CIPHER *
wrap_cipher(size_t kek_len)
{
	switch (kek_len) {
	case 16:
		return EVP_aes_128_wrap();
	case 24:
		return EVP_aes_192_wrap();
	case 32:
		return EVP_aes_256_wrap();
	default:
		return NULL;
	}
}

/* One RFC 3394 pass over len bytes of in; the lengths are checked by the caller. */
static int
wrap_run(const EVP_CIPHER *cipher, const uint8_t *kek, bool wrap, const uint8_t *in,
    size_t len, uint8_t *out, size_t outlen)
{
	int r = MP_ERR_CRYPTO;
	EVP_CIPHER_CTX *ctx = NULL;
	int outl = 0;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (!EVP_CipherInit_ex2(ctx, cipher, kek, NULL, wrap ? 1 : 0, NULL))
		goto out;
	if (!EVP_CipherUpdate(ctx, out, &outl, in, (int)len) || (size_t)outl != outlen) {
		/* with the key set, a failed unwrap is a failed integrity check */
		if (!wrap) {
			ERR_clear_error();
			r = MP_ERR_INTEGRITY;
		}
		goto out;
	}
	r = MP_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (r != MP_OK)
		mp_wipe(out, outlen);
	return r;
}

int
lw_key_wrap(const uint8_t *kek, size_t kek_len, const uint8_t *key, size_t key_len,
    uint8_t *out)
{
	const EVP_CIPHER *cipher = wrap_cipher(kek_len);

	if (cipher == NULL || key_len < 16 || key_len > LW_WRAP_MAX || key_len % 8 != 0)
		return MP_ERR_INVALID;
	return wrap_run(cipher, kek, true, key, key_len, out, key_len + LW_WRAP_OVERHEAD);
}

int
lw_key_unwrap(const uint8_t *kek, size_t kek_len, const uint8_t *wrapped, size_t len,
    uint8_t *out)
{
	const EVP_CIPHER *cipher = wrap_cipher(kek_len);

	if (cipher == NULL || len < 16 + LW_WRAP_OVERHEAD || len > LW_WRAP_MAX + LW_WRAP_OVERHEAD ||
	    len % 8 != 0)
		return MP_ERR_INVALID;
	return wrap_run(cipher, kek, false, wrapped, len, out, len - LW_WRAP_OVERHEAD);
}
