#include "pubkey.h"

#include <string.h>

#include <openssl/x509.h>

#include "err.h"
#include "keystore.h"

/* COSE_Key labels and values (RFC 9052, 9053). */
#define COSE_KEY_KTY 1
#define COSE_KEY_CRV (-1)
#define COSE_KEY_X (-2)
#define COSE_KEY_Y (-3)
#define COSE_KTY_EC2 2
#define COSE_CRV_P256 1
#define COSE_CRV_P384 2

bool
fdo_pubkey_is_type(int type, EVP_PKEY *key)
{
	mp_key_spec spec;

	if (mp_key_spec_of(key, false, &spec) != MP_OK)
		return false;
	switch (type) {
	case FDO_PK_SECP256R1:
		return spec.alg == MP_KEY_EC_P256;
	case FDO_PK_SECP384R1:
		return spec.alg == MP_KEY_EC_P384;
	case FDO_PK_RSA2048RESTR:
		return spec.alg == MP_KEY_RSA && spec.rsa_bits == 2048;
	case FDO_PK_RSAPKCS:
	case FDO_PK_RSAPSS:
		return spec.alg == MP_KEY_RSA;
	default:
		return false;
	}
}

static int
spki_key(const uint8_t *p, size_t n, EVP_PKEY **out)
{
	const unsigned char *q = p;
	EVP_PKEY *k;

	if (n == 0 || n > FDO_PK_MAX_DER || (k = d2i_PUBKEY(NULL, &q, (long)n)) == NULL)
		return MP_ERR_INVALID;
	if (q != p + n) {
		EVP_PKEY_free(k);
		return MP_ERR_INVALID;
	}
	*out = k;
	return MP_OK;
}

/* The key of the first certificate of an array of DER certificates. */
static int
x5chain_key(fdo_cbor *c, EVP_PKEY **out)
{
	const unsigned char *q;
	const uint8_t *p;
	size_t n, len;
	X509 *x = NULL;
	EVP_PKEY *key = NULL;
	int r = MP_ERR_INVALID;

	if (fdo_cbor_array(c, &n) != MP_OK || n == 0 || n > FDO_PK_MAX_CHAIN)
		return MP_ERR_INVALID;
	for (size_t i = 0; i < n; i++) {
		if (fdo_cbor_bstr(c, &p, &len) != MP_OK || len == 0 || len > FDO_PK_MAX_DER)
			goto out;
		if (i == 0) {
			q = p;
			if ((x = d2i_X509(NULL, &q, (long)len)) == NULL || q != p + len ||
			    (key = X509_get_pubkey(x)) == NULL)
				goto out;
		}
	}
	*out = key;
	key = NULL;
	r = MP_OK;
out:
	EVP_PKEY_free(key);
	X509_free(x);
	return r;
}

static int
cose_ec_key(fdo_cbor *c, int type, EVP_PKEY **out)
{
	const uint8_t *x = NULL, *y = NULL, *v;
	uint8_t point[1 + 2 * 48];
	size_t n, xl = 0, yl = 0, vl, field = type == FDO_PK_SECP384R1 ? 48 : 32;
	int64_t label, crv = 0, val;

	if (type != FDO_PK_SECP256R1 && type != FDO_PK_SECP384R1)
		return MP_ERR_UNSUPPORTED;
	if (fdo_cbor_map(c, &n) != MP_OK || n > 16)
		return MP_ERR_INVALID;
	for (size_t i = 0; i < n; i++) {
		if (fdo_cbor_int(c, &label) != MP_OK)
			return MP_ERR_INVALID;
		if (label == COSE_KEY_X || label == COSE_KEY_Y) {
			if (fdo_cbor_bstr(c, &v, &vl) != MP_OK)
				return MP_ERR_INVALID;
			if (label == COSE_KEY_X)
				x = v, xl = vl;
			else
				y = v, yl = vl;
		} else if (label == COSE_KEY_CRV || label == COSE_KEY_KTY) {
			if (fdo_cbor_int(c, &val) != MP_OK ||
			    (label == COSE_KEY_KTY && val != COSE_KTY_EC2))
				return MP_ERR_INVALID;
			if (label == COSE_KEY_CRV)
				crv = val;
		} else if (fdo_cbor_skip(c, NULL, NULL) != MP_OK) {
			return MP_ERR_INVALID;
		}
	}
	if (crv != (type == FDO_PK_SECP384R1 ? COSE_CRV_P384 : COSE_CRV_P256) || xl != field ||
	    yl != field)
		return MP_ERR_INVALID;
	point[0] = 0x04;
	memcpy(point + 1, x, field);
	memcpy(point + 1 + field, y, field);
	return mp_ec_public_key(type == FDO_PK_SECP384R1 ? "P-384" : "P-256", field, point,
	    1 + 2 * field, out);
}

static int
crypto_rsa_key(fdo_cbor *c, int type, EVP_PKEY **out)
{
	const uint8_t *n, *e;
	size_t nl, el;

	if (type != FDO_PK_RSA2048RESTR && type != FDO_PK_RSAPKCS && type != FDO_PK_RSAPSS)
		return MP_ERR_UNSUPPORTED;
	if (fdo_cbor_array_n(c, 2) != MP_OK || fdo_cbor_bstr(c, &n, &nl) != MP_OK ||
	    fdo_cbor_bstr(c, &e, &el) != MP_OK || nl == 0 || nl > 1024 || el == 0 || el > 8)
		return MP_ERR_INVALID;
	return mp_rsa_public_key(n, nl, e, el, out);
}

int
fdo_pubkey_decode(fdo_cbor *c, fdo_pubkey *out, fdo_detail *d)
{
	fdo_cbor w = *c;
	EVP_PKEY *key = NULL;
	const uint8_t *p;
	uint64_t type, enc;
	size_t n;
	int r;

	if (fdo_cbor_array_n(&w, 3) != MP_OK || fdo_cbor_uint(&w, 255, &type) != MP_OK ||
	    fdo_cbor_uint(&w, 255, &enc) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID, "public key: not [type, encoding, body]");
	if (type != FDO_PK_SECP256R1 && type != FDO_PK_SECP384R1 && type != FDO_PK_RSA2048RESTR &&
	    type != FDO_PK_RSAPKCS && type != FDO_PK_RSAPSS)
		return fdo_refuse(d, MP_ERR_UNSUPPORTED, "public key: type %u is not supported",
		    (unsigned)type);
	switch (enc) {
	case FDO_PKENC_X509:
		r = fdo_cbor_bstr(&w, &p, &n) == MP_OK ? spki_key(p, n, &key) : MP_ERR_INVALID;
		break;
	case FDO_PKENC_X5CHAIN:
		r = x5chain_key(&w, &key);
		break;
	case FDO_PKENC_COSEKEY:
		r = cose_ec_key(&w, (int)type, &key);
		break;
	case FDO_PKENC_CRYPTO:
		r = crypto_rsa_key(&w, (int)type, &key);
		break;
	default:
		r = MP_ERR_UNSUPPORTED;
		break;
	}
	if (r == MP_ERR_UNSUPPORTED)
		return fdo_refuse(d, r, "public key: encoding %u of type %u is not supported",
		    (unsigned)enc, (unsigned)type);
	if (r != MP_OK)
		return fdo_refuse(d, r == MP_ERR_NOMEM ? r : MP_ERR_INVALID,
		    "public key: the body of encoding %u does not hold a key", (unsigned)enc);
	if (!fdo_pubkey_is_type((int)type, key)) {
		EVP_PKEY_free(key);
		return fdo_refuse(d, MP_ERR_INVALID, "public key: the key is not of type %u",
		    (unsigned)type);
	}
	out->type = (int)type;
	out->enc = (int)enc;
	out->key = key;
	*c = w;
	return MP_OK;
}

int
fdo_pubkey_encode(mp_buf *b, int type, EVP_PKEY *key)
{
	unsigned char *der = NULL;
	int n, r;

	if ((n = i2d_PUBKEY(key, &der)) <= 0)
		return MP_ERR_CRYPTO;
	if ((r = fdo_put_array(b, 3)) == MP_OK && (r = fdo_put_uint(b, (uint64_t)type)) == MP_OK &&
	    (r = fdo_put_uint(b, FDO_PKENC_X509)) == MP_OK)
		r = fdo_put_bstr(b, der, (size_t)n);
	OPENSSL_free(der);
	return r;
}

bool
fdo_pubkey_same_kind(const fdo_pubkey *a, const fdo_pubkey *b)
{
	return a->type == b->type && EVP_PKEY_get_bits(a->key) == EVP_PKEY_get_bits(b->key);
}

void
fdo_pubkey_clear(fdo_pubkey *pk)
{
	if (pk == NULL)
		return;
	EVP_PKEY_free(pk->key);
	pk->key = NULL;
}
