#include "kex.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

#include "err.h"
#include "hash.h"
#include "keystore.h"
#include "secure.h"

#define KDF_LABEL "FIDO-KDF"
#define KDF_CONTEXT "AutomaticOnboardTunnel"
/* Shx (48) and two randoms (48 each) at most */
#define SHSE_MAX 144

int
fdo_kex_suite_of(const char *name, size_t len, int64_t cipher, int *suite, fdo_detail *d)
{
	if (len == 7 && memcmp(name, "ECDH256", 7) == 0)
		*suite = FDO_ECDH256;
	else if (len == 7 && memcmp(name, "ECDH384", 7) == 0)
		*suite = FDO_ECDH384;
	else
		return fdo_refuse(d, MP_ERR_UNSUPPORTED, "key exchange %.*s is not supported"
		    " (ECDH256 and ECDH384 are)", (int)(len > 32 ? 32 : len), name);
	if (cipher != FDO_A128GCM && cipher != FDO_A256GCM)
		return fdo_refuse(d, MP_ERR_UNSUPPORTED, "cipher suite %lld is not supported"
		    " (A128GCM 1 and A256GCM 3 are)", (long long)cipher);
	return MP_OK;
}

int
fdo_kdf(int hmac_alg, const uint8_t *shse, size_t n, uint8_t *out, size_t out_len)
{
	uint8_t in[1 + sizeof(KDF_LABEL) + sizeof(KDF_CONTEXT) + 1];
	size_t pos = 0, done = 0, take;
	fdo_hash k;
	int r;

	if (out_len == 0 || out_len > 255 * FDO_HASH_MAX || out_len > UINT16_MAX / 8)
		return MP_ERR_INVALID;
	/* [i]_1 || Label || 0x00 || Context || [L]_2, L in bits */
	in[pos++] = 0;
	memcpy(in + pos, KDF_LABEL, sizeof(KDF_LABEL) - 1);
	pos += sizeof(KDF_LABEL) - 1;
	in[pos++] = 0;
	memcpy(in + pos, KDF_CONTEXT, sizeof(KDF_CONTEXT) - 1);
	pos += sizeof(KDF_CONTEXT) - 1;
	in[pos++] = (uint8_t)((out_len * 8) >> 8);
	in[pos++] = (uint8_t)(out_len * 8);
	for (unsigned i = 1; done < out_len; i++) {
		in[0] = (uint8_t)i;
		if ((r = fdo_hmac_compute(hmac_alg, shse, n, in, pos, &k)) != MP_OK)
			return r;
		take = out_len - done < k.len ? out_len - done : k.len;
		memcpy(out + done, k.v, take);
		done += take;
	}
	mp_wipe(&k, sizeof(k));
	return MP_OK;
}

static size_t
field_len(int suite)
{
	return suite == FDO_ECDH384 ? 48 : 32;
}

static size_t
random_len(int suite)
{
	return suite == FDO_ECDH384 ? 48 : 16;
}

static int
put_blen(mp_buf *b, const uint8_t *p, size_t n)
{
	uint8_t len[2] = { (uint8_t)(n >> 8), (uint8_t)n };
	int r;

	if ((r = mp_buf_put(b, len, 2)) != MP_OK)
		return r;
	return mp_buf_put(b, p, n);
}

int
fdo_kex_param(int suite, EVP_PKEY **key, mp_buf *out)
{
	uint8_t point[1 + 2 * 48], rnd[48];
	size_t fl = field_len(suite), plen = 0;
	EVP_PKEY *k;
	int r = MP_ERR_CRYPTO;

	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", suite == FDO_ECDH384 ? "P-384" : "P-256")) ==
	    NULL)
		return MP_ERR_CRYPTO;
	if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point),
	    &plen) != 1 || plen != 1 + 2 * fl || point[0] != 0x04)
		goto out;
	if ((r = mp_random_bytes(rnd, random_len(suite))) != MP_OK ||
	    (r = put_blen(out, point + 1, fl)) != MP_OK ||
	    (r = put_blen(out, point + 1 + fl, fl)) != MP_OK ||
	    (r = put_blen(out, rnd, random_len(suite))) != MP_OK)
		goto out;
	*key = k;
	k = NULL;
out:
	ERR_clear_error();
	mp_wipe(rnd, sizeof(rnd));
	EVP_PKEY_free(k);
	return r;
}

/* The three parts of a parameter: X and Y (at most the field's size each) and the random. */
static int
parse_param(int suite, const uint8_t *p, size_t n, const uint8_t *part[3], size_t len[3])
{
	size_t pos = 0, l;

	for (int i = 0; i < 3; i++) {
		if (n - pos < 2)
			return MP_ERR_INVALID;
		l = (size_t)p[pos] << 8 | p[pos + 1];
		pos += 2;
		if (l > n - pos)
			return MP_ERR_INVALID;
		part[i] = p + pos;
		len[i] = l;
		pos += l;
	}
	if (pos != n || len[0] == 0 || len[0] > field_len(suite) || len[1] == 0 ||
	    len[1] > field_len(suite) || len[2] != random_len(suite))
		return MP_ERR_INVALID;
	return MP_OK;
}

/* Shx: ECDH of key with the peer's point. */
static int
ecdh(int suite, EVP_PKEY *key, const uint8_t *x, size_t xl, const uint8_t *y, size_t yl,
    uint8_t *shx, size_t *shx_len)
{
	uint8_t point[1 + 2 * 48];
	size_t fl = field_len(suite);
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int r;

	memset(point, 0, sizeof(point));
	point[0] = 0x04;
	memcpy(point + 1 + fl - xl, x, xl);
	memcpy(point + 1 + 2 * fl - yl, y, yl);
	if ((r = mp_ec_public_key(suite == FDO_ECDH384 ? "P-384" : "P-256", fl, point, 1 + 2 * fl,
	    &peer)) != MP_OK)
		return r == MP_ERR_NOMEM ? r : MP_ERR_INVALID;
	r = MP_ERR_CRYPTO;
	*shx_len = fl;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
	    EVP_PKEY_derive(ctx, shx, shx_len) != 1 || *shx_len != fl)
		goto out;
	r = MP_OK;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return r;
}

int
fdo_kex_derive(int suite, int cipher, EVP_PKEY *key, const uint8_t *mine, size_t mine_len,
    const uint8_t *peer, size_t peer_len, bool owner, fdo_sek *out, fdo_detail *d)
{
	const uint8_t *mp[3], *pp[3];
	uint8_t shse[SHSE_MAX];
	size_t ml[3], pl[3], shx_len = 0, rl = random_len(suite);
	int r;

	if (parse_param(suite, mine, mine_len, mp, ml) != MP_OK)
		return MP_ERR_INTERNAL;
	if (parse_param(suite, peer, peer_len, pp, pl) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID, "the key exchange parameter is not blen(X) || X ||"
		    " blen(Y) || Y || blen(Random) || Random of %s", suite == FDO_ECDH384 ?
		    "ECDH384" : "ECDH256");
	if ((r = ecdh(suite, key, pp[0], pl[0], pp[1], pl[1], shse, &shx_len)) != MP_OK)
		return r == MP_ERR_INVALID ? fdo_refuse(d, r, "the key exchange parameter is not a"
		    " point of the curve") : r;
	/* ShSe = Shx || DeviceRandom || OwnerRandom */
	memcpy(shse + shx_len, owner ? pp[2] : mp[2], rl);
	memcpy(shse + shx_len + rl, owner ? mp[2] : pp[2], rl);
	out->cipher = cipher;
	out->len = cipher == FDO_A256GCM ? 32 : 16;
	/* the AES-GCM suites derive with HMAC-SHA256, whatever the curve */
	r = fdo_kdf(FDO_HMAC_SHA256, shse, shx_len + 2 * rl, out->key, out->len);
	mp_wipe(shse, sizeof(shse));
	return r;
}
