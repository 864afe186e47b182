#include "hash.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "err.h"
#include "secure.h"

/* The digest of alg and its length; NULL for an algorithm we do not know. */
static const EVP_MD *
alg_md(int alg, size_t *len)
{
	switch (alg) {
	case FDO_SHA256:
	case FDO_HMAC_SHA256:
		*len = 32;
		return EVP_sha256();
	case FDO_SHA384:
	case FDO_HMAC_SHA384:
		*len = 48;
		return EVP_sha384();
	default:
		return NULL;
	}
}

static bool
is_hmac(int alg)
{
	return alg == FDO_HMAC_SHA256 || alg == FDO_HMAC_SHA384;
}

int
fdo_hash_decode(fdo_cbor *c, bool hmac, fdo_hash *out)
{
	fdo_cbor w = *c;
	const uint8_t *p;
	size_t n, want;
	int64_t alg;

	if (fdo_cbor_array_n(&w, 2) != MP_OK || fdo_cbor_int(&w, &alg) != MP_OK ||
	    alg < INT32_MIN || alg > INT32_MAX || alg_md((int)alg, &want) == NULL ||
	    is_hmac((int)alg) != hmac || fdo_cbor_bstr(&w, &p, &n) != MP_OK || n != want)
		return MP_ERR_INVALID;
	out->alg = (int)alg;
	out->len = n;
	memcpy(out->v, p, n);
	*c = w;
	return MP_OK;
}

int
fdo_hash_encode(mp_buf *b, const fdo_hash *h)
{
	int r;

	if ((r = fdo_put_array(b, 2)) != MP_OK || (r = fdo_put_int(b, h->alg)) != MP_OK)
		return r;
	return fdo_put_bstr(b, h->v, h->len);
}

int
fdo_hash_compute(int alg, const fdo_bytes *parts, size_t n, fdo_hash *out)
{
	const EVP_MD *md;
	EVP_MD_CTX *ctx = NULL;
	unsigned int got = 0;
	size_t len;
	int r = MP_ERR_INVALID;

	if ((md = alg_md(alg, &len)) == NULL || is_hmac(alg))
		return MP_ERR_INVALID;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return MP_ERR_NOMEM;
	r = MP_ERR_CRYPTO;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (parts[i].n > 0 && EVP_DigestUpdate(ctx, parts[i].p, parts[i].n) != 1)
			goto out;
	if (EVP_DigestFinal_ex(ctx, out->v, &got) != 1 || got != len)
		goto out;
	out->alg = alg;
	out->len = len;
	r = MP_OK;
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

int
fdo_hmac_compute(int alg, const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len,
    fdo_hash *out)
{
	const EVP_MD *md;
	unsigned int got = 0;
	size_t want;

	if ((md = alg_md(alg, &want)) == NULL || !is_hmac(alg) || keylen > INT32_MAX)
		return MP_ERR_INVALID;
	if (HMAC(md, key, (int)keylen, msg, len, out->v, &got) == NULL || got != want)
		return MP_ERR_CRYPTO;
	out->alg = alg;
	out->len = want;
	return MP_OK;
}

bool
fdo_hash_equal(const fdo_hash *a, const fdo_hash *b)
{
	return a->alg == b->alg && mp_ct_equal(a->v, a->len, b->v, b->len);
}
