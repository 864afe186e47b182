#include "cose.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "err.h"

#define COSE_HDR_ALG 1
/* The Sig_structure's size beyond the protected header and the payload. */
#define SIG_STRUCTURE_OVERHEAD 64
#define MAX_PAYLOAD (256 * 1024)

/* The digest, and for ECDSA the size of r and s, of a COSE algorithm; NULL when unknown. */
static const char *
alg_digest(int alg, size_t *ec_half, bool *pss)
{
	*ec_half = 0;
	*pss = false;
	switch (alg) {
	case FDO_COSE_ES256:
		*ec_half = 32;
		return SN_sha256;
	case FDO_COSE_ES384:
		*ec_half = 48;
		return SN_sha384;
	case FDO_COSE_PS256:
		*pss = true;
		return SN_sha256;
	case FDO_COSE_PS384:
		*pss = true;
		return SN_sha384;
	case FDO_COSE_RS256:
		return SN_sha256;
	case FDO_COSE_RS384:
		return SN_sha384;
	default:
		return NULL;
	}
}

/* Whether a key of FDO type may sign with alg. */
static bool
alg_suits(int alg, int type)
{
	switch (alg) {
	case FDO_COSE_ES256:
		return type == FDO_PK_SECP256R1;
	case FDO_COSE_ES384:
		return type == FDO_PK_SECP384R1;
	case FDO_COSE_PS256:
	case FDO_COSE_PS384:
		return type == FDO_PK_RSAPSS || type == FDO_PK_RSA2048RESTR || type == FDO_PK_RSAPKCS;
	default:
		return type == FDO_PK_RSA2048RESTR || type == FDO_PK_RSAPKCS;
	}
}

/* The algorithm in a protected header (a map holding 1: alg). */
static int
protected_alg(const uint8_t *p, size_t n, int64_t *alg)
{
	fdo_cbor c;
	size_t items;
	int64_t label;
	bool found = false;

	fdo_cbor_init(&c, p, n);
	if (fdo_cbor_map(&c, &items) != MP_OK)
		return MP_ERR_INVALID;
	for (size_t i = 0; i < items; i++) {
		if (fdo_cbor_peek(&c) == FDO_CBOR_UINT || fdo_cbor_peek(&c) == FDO_CBOR_NEGINT) {
			if (fdo_cbor_int(&c, &label) != MP_OK)
				return MP_ERR_INVALID;
		} else if (fdo_cbor_skip(&c, NULL, NULL) != MP_OK) {
			return MP_ERR_INVALID;
		} else {
			label = 0;
		}
		if (label == COSE_HDR_ALG) {
			if (found || fdo_cbor_int(&c, alg) != MP_OK)
				return MP_ERR_INVALID;
			found = true;
		} else if (fdo_cbor_skip(&c, NULL, NULL) != MP_OK) {
			return MP_ERR_INVALID;
		}
	}
	return found && fdo_cbor_empty(&c) ? MP_OK : MP_ERR_INVALID;
}

int
fdo_sign1_decode(fdo_cbor *c, fdo_sign1 *out, fdo_detail *d)
{
	fdo_cbor w = *c;
	fdo_sign1 s;
	uint64_t tag;
	int64_t alg;
	size_t half;
	bool pss;

	memset(&s, 0, sizeof(s));
	if (fdo_cbor_tag(&w, &tag) != MP_OK || tag != FDO_COSE_SIGN1_TAG)
		return fdo_refuse(d, MP_ERR_INVALID, "COSE_Sign1: not tagged 18");
	if (fdo_cbor_array_n(&w, 4) != MP_OK || fdo_cbor_bstr(&w, &s.prot, &s.prot_len) != MP_OK ||
	    fdo_cbor_peek(&w) != FDO_CBOR_MAP ||
	    fdo_cbor_skip(&w, &s.unprot, &s.unprot_len) != MP_OK ||
	    fdo_cbor_bstr(&w, &s.payload, &s.payload_len) != MP_OK ||
	    fdo_cbor_bstr(&w, &s.sig, &s.sig_len) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID,
		    "COSE_Sign1: not [protected, unprotected, payload, signature]");
	if (protected_alg(s.prot, s.prot_len, &alg) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID, "COSE_Sign1: no algorithm in the protected header");
	if (alg < INT32_MIN || alg > INT32_MAX || alg_digest((int)alg, &half, &pss) == NULL)
		return fdo_refuse(d, MP_ERR_UNSUPPORTED, "COSE_Sign1: algorithm %lld is not supported",
		    (long long)alg);
	if (s.payload_len > MAX_PAYLOAD)
		return fdo_refuse(d, MP_ERR_TOO_LARGE, "COSE_Sign1: payload larger than %u bytes",
		    MAX_PAYLOAD);
	s.alg = (int)alg;
	*out = s;
	*c = w;
	return MP_OK;
}

/* ["Signature1", protected, h'', payload] */
static int
sig_structure(const uint8_t *prot, size_t prot_len, const uint8_t *payload, size_t len,
    mp_buf **out)
{
	static const char context[] = "Signature1";
	mp_buf *b;
	int r;

	if ((b = mp_buf_new(prot_len + len + SIG_STRUCTURE_OVERHEAD)) == NULL)
		return MP_ERR_NOMEM;
	if ((r = fdo_put_array(b, 4)) != MP_OK ||
	    (r = fdo_put_tstr(b, context, sizeof(context) - 1)) != MP_OK ||
	    (r = fdo_put_bstr(b, prot, prot_len)) != MP_OK || (r = fdo_put_bstr(b, NULL, 0)) != MP_OK ||
	    (r = fdo_put_bstr(b, payload, len)) != MP_OK) {
		mp_buf_free(b);
		return r;
	}
	*out = b;
	return MP_OK;
}

/* r || s, each half bytes, as a DER ECDSA-Sig-Value. */
static int
ecdsa_raw_to_der(const uint8_t *sig, size_t len, size_t half, unsigned char **der, int *derlen)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int ret = MP_ERR_INTEGRITY;

	if (len != 2 * half)
		return MP_ERR_INTEGRITY;
	if ((r = BN_bin2bn(sig, (int)half, NULL)) == NULL ||
	    (s = BN_bin2bn(sig + half, (int)half, NULL)) == NULL || (es = ECDSA_SIG_new()) == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		ret = MP_ERR_NOMEM;
		goto out;
	}
	r = s = NULL;
	*der = NULL;
	if ((*derlen = i2d_ECDSA_SIG(es, der)) <= 0) {
		ret = MP_ERR_NOMEM;
		goto out;
	}
	ret = MP_OK;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return ret;
}

int
fdo_sign1_verify(const fdo_sign1 *s, const fdo_pubkey *pub, fdo_detail *d)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	const uint8_t *sig = s->sig;
	size_t siglen = s->sig_len, half;
	mp_buf *tbs = NULL;
	const char *md;
	int derlen = 0, r;
	bool pss;

	if ((md = alg_digest(s->alg, &half, &pss)) == NULL || !alg_suits(s->alg, pub->type))
		return fdo_refuse(d, MP_ERR_INVALID,
		    "COSE_Sign1: algorithm %d does not suit a key of type %d", s->alg, pub->type);
	if (half > 0) {
		if ((r = ecdsa_raw_to_der(s->sig, s->sig_len, half, &der, &derlen)) != MP_OK)
			return fdo_refuse(d, r, "COSE_Sign1: the signature is not r || s of %zu bytes",
			    2 * half);
		sig = der;
		siglen = (size_t)derlen;
	}
	if ((r = sig_structure(s->prot, s->prot_len, s->payload, s->payload_len, &tbs)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((mctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	r = MP_ERR_CRYPTO;
	if (EVP_DigestVerifyInit_ex(mctx, &pctx, md, NULL, NULL, pub->key, NULL) != 1)
		goto out;
	if (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	r = EVP_DigestVerify(mctx, sig, siglen, mp_buf_ptr(tbs), mp_buf_len(tbs)) == 1 ?
	    MP_OK : fdo_refuse(d, MP_ERR_INTEGRITY, "COSE_Sign1: the signature does not verify");
out:
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	mp_buf_free(tbs);
	return r;
}

int
fdo_key_kind_of(const mp_key_spec *spec, fdo_key_kind *out)
{
	static const struct {
		mp_key_alg alg;
		fdo_key_kind kind;
	} kinds[] = {
		{ MP_KEY_EC_P256, { FDO_PK_SECP256R1, FDO_COSE_ES256, 32 } },
		{ MP_KEY_EC_P384, { FDO_PK_SECP384R1, FDO_COSE_ES384, 48 } },
		{ MP_KEY_RSA, { FDO_PK_RSAPKCS, FDO_COSE_RS256, 0 } },
		{ MP_KEY_RSA_PSS, { FDO_PK_RSAPSS, FDO_COSE_PS256, 0 } },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].alg == spec->alg) {
			*out = kinds[i].kind;
			return MP_OK;
		}
	return MP_ERR_UNSUPPORTED;
}

/* A DER ECDSA-Sig-Value as r || s, each half bytes. */
static int
ecdsa_der_to_raw(const uint8_t *der, size_t len, size_t half, uint8_t *raw)
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	int ret = MP_ERR_CRYPTO;

	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		return MP_ERR_CRYPTO;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, raw, (int)half) == (int)half &&
	    BN_bn2binpad(s, raw + half, (int)half) == (int)half)
		ret = MP_OK;
	ECDSA_SIG_free(es);
	return ret;
}

/* The protected header {1: alg}. */
static int
protected_header(int cose_alg, mp_buf **out)
{
	mp_buf *ph;
	int r;

	if ((ph = mp_buf_new(8)) == NULL)
		return MP_ERR_NOMEM;
	if ((r = fdo_put_map(ph, 1)) != MP_OK || (r = fdo_put_uint(ph, COSE_HDR_ALG)) != MP_OK ||
	    (r = fdo_put_int(ph, cose_alg)) != MP_OK) {
		mp_buf_free(ph);
		return r;
	}
	*out = ph;
	return MP_OK;
}

/* Appends the tagged COSE_Sign1 of its parts; an ECDSA signature (DER) becomes r || s. */
static int
sign1_put(const fdo_key_kind *kind, const mp_buf *ph, const uint8_t *unprot, size_t unprot_len,
    const uint8_t *payload, size_t len, const uint8_t *sig, size_t siglen, mp_buf *out)
{
	uint8_t raw[96];
	int r;

	if (kind->ec_half > 0) {
		if ((r = ecdsa_der_to_raw(sig, siglen, kind->ec_half, raw)) != MP_OK)
			return r;
		sig = raw;
		siglen = 2 * kind->ec_half;
	}
	if ((r = fdo_put_tag(out, FDO_COSE_SIGN1_TAG)) != MP_OK ||
	    (r = fdo_put_array(out, 4)) != MP_OK ||
	    (r = fdo_put_bstr(out, mp_buf_ptr(ph), mp_buf_len(ph))) != MP_OK)
		return r;
	r = unprot != NULL ? mp_buf_put(out, unprot, unprot_len) : fdo_put_map(out, 0);
	if (r != MP_OK || (r = fdo_put_bstr(out, payload, len)) != MP_OK)
		return r;
	return fdo_put_bstr(out, sig, siglen);
}

int
fdo_sign1_sign(mp_key *k, const uint8_t *payload, size_t len, const uint8_t *unprot,
    size_t unprot_len, mp_buf *out)
{
	mp_buf *ph = NULL, *tbs = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	fdo_key_kind kind;
	int r;

	if ((r = fdo_key_kind_of(mp_key_get_spec(k), &kind)) != MP_OK ||
	    (r = protected_header(kind.cose_alg, &ph)) != MP_OK)
		return r;
	if ((r = sig_structure(mp_buf_ptr(ph), mp_buf_len(ph), payload, len, &tbs)) != MP_OK ||
	    (r = mp_key_sign_data(k, 0, mp_buf_ptr(tbs), mp_buf_len(tbs), &sig, &siglen)) != MP_OK)
		goto out;
	r = sign1_put(&kind, ph, unprot, unprot_len, payload, len, sig, siglen, out);
out:
	OPENSSL_free(sig);
	mp_buf_free(ph);
	mp_buf_free(tbs);
	return r;
}

int
fdo_sign1_sign_ec(EVP_PKEY *key, const uint8_t *payload, size_t len, const uint8_t *unprot,
    size_t unprot_len, mp_buf *out)
{
	mp_buf *ph = NULL, *tbs = NULL;
	EVP_MD_CTX *mctx = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	mp_key_spec spec;
	fdo_key_kind kind;
	int r;

	if ((r = mp_key_spec_of(key, false, &spec)) != MP_OK ||
	    (spec.alg != MP_KEY_EC_P256 && spec.alg != MP_KEY_EC_P384))
		return MP_ERR_UNSUPPORTED;
	if ((r = fdo_key_kind_of(&spec, &kind)) != MP_OK ||
	    (r = protected_header(kind.cose_alg, &ph)) != MP_OK)
		return r;
	if ((r = sig_structure(mp_buf_ptr(ph), mp_buf_len(ph), payload, len, &tbs)) != MP_OK)
		goto out;
	r = MP_ERR_CRYPTO;
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(mctx, NULL, kind.ec_half == 48 ? SN_sha384 : SN_sha256, NULL, NULL,
	    key, NULL) != 1 ||
	    EVP_DigestSign(mctx, NULL, &siglen, mp_buf_ptr(tbs), mp_buf_len(tbs)) != 1 ||
	    (sig = OPENSSL_malloc(siglen)) == NULL ||
	    EVP_DigestSign(mctx, sig, &siglen, mp_buf_ptr(tbs), mp_buf_len(tbs)) != 1)
		goto out;
	r = sign1_put(&kind, ph, unprot, unprot_len, payload, len, sig, siglen, out);
out:
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(sig);
	mp_buf_free(ph);
	mp_buf_free(tbs);
	return r;
}
