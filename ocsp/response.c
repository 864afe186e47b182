#include "response.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "der.h"
#include "err.h"

/* The longest core or certificate we wrap: 16 MiB keeps every length of a response within 4 octets. */
#define LEN_MAX ((size_t)1 << 24)

/* id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1, as a whole OID element */
static const uint8_t oid_basic[] = { 0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01,
	0x01 };
/* id-pkix-ocsp-nonce, 1.3.6.1.5.5.7.48.1.2, as a whole OID element */
static const uint8_t oid_nonce[] = { 0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01,
	0x02 };

/* signatureAlgorithm AlgorithmIdentifiers, whole */
static const uint8_t alg_ecdsa_sha256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x04, 0x03, 0x02 };
static const uint8_t alg_ecdsa_sha384[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x04, 0x03, 0x03 };
static const uint8_t alg_rsa_sha256[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
	0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
/* RSASSA-PSS-params { sha256, mgf1SHA256, saltLength 32 } (RFC 4055), as the key store signs */
static const uint8_t alg_rsa_pss_sha256[] = { 0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
	0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09,
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
	0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20 };
static const uint8_t alg_ed25519[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };

/* The unsigned answers: SEQUENCE { ENUMERATED status } */
static const uint8_t resp_malformed[] = { 0x30, 0x03, 0x0a, 0x01, OCSP_STATUS_MALFORMED_REQUEST };
static const uint8_t resp_internal[] = { 0x30, 0x03, 0x0a, 0x01, OCSP_STATUS_INTERNAL_ERROR };
static const uint8_t resp_try_later[] = { 0x30, 0x03, 0x0a, 0x01, OCSP_STATUS_TRY_LATER };
static const uint8_t resp_unauthorized[] = { 0x30, 0x03, 0x0a, 0x01, OCSP_STATUS_UNAUTHORIZED };

/* GeneralizedTime "YYYYMMDDHHMMSSZ" */
#define GENTIME_LEN 15

/* An element's whole length: header and len content octets. */
static size_t
der_len(size_t len)
{
	return mp_der_header(NULL, 0, len) + len;
}

/*
 * A writer that fills a buffer from its end towards its start, so that each
 * element's contents are written before its header and their length is known.
 * ok turns false (and stays) when something did not fit.
 */
typedef struct rw {
	uint8_t *base;
	size_t pos;
	bool ok;
} rw;

static void
rw_bytes(rw *w, const void *p, size_t n)
{
	if (!w->ok || n > w->pos) {
		w->ok = false;
		return;
	}
	w->pos -= n;
	memcpy(w->base + w->pos, p, n);
}

/* The header of an element whose contents run from the write position to end. */
static void
rw_hdr(rw *w, unsigned tag, size_t end)
{
	uint8_t h[MP_DER_HEADER_MAX];

	rw_bytes(w, h, mp_der_header(h, tag, end - w->pos));
}

/* Unix seconds as GeneralizedTime contents; MP_ERR_INVALID outside 1970..9999. */
static int
gentime(int64_t t, uint8_t out[GENTIME_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;
	int v[6];

	if (t < 0 || (int64_t)tt != t || gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999)
		return MP_ERR_INVALID;
	v[0] = tm.tm_year + 1900;
	v[1] = tm.tm_mon + 1;
	v[2] = tm.tm_mday;
	v[3] = tm.tm_hour;
	v[4] = tm.tm_min;
	v[5] = tm.tm_sec;
	out[0] = (uint8_t)('0' + v[0] / 1000);
	out[1] = (uint8_t)('0' + v[0] / 100 % 10);
	out[2] = (uint8_t)('0' + v[0] / 10 % 10);
	out[3] = (uint8_t)('0' + v[0] % 10);
	for (int i = 1; i < 6; i++) {
		out[2 + 2 * i] = (uint8_t)('0' + v[i] / 10);
		out[3 + 2 * i] = (uint8_t)('0' + v[i] % 10);
	}
	out[14] = 'Z';
	return MP_OK;
}

static int
rw_time(rw *w, int64_t t)
{
	uint8_t g[GENTIME_LEN];
	size_t end = w->pos;

	if (gentime(t, g) != MP_OK)
		return MP_ERR_INVALID;
	rw_bytes(w, g, sizeof(g));
	rw_hdr(w, MP_DER_GENERALIZED_TIME, end);
	return MP_OK;
}

static bool
reason_ok(int reason)
{
	return reason == -1 || (reason >= 0 && reason <= 10 && reason != 7);
}

/* SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate, nextUpdate [0] OPTIONAL } */
static int
rw_single(rw *w, const ocsp_single *s)
{
	static const uint8_t good[] = { 0x80, 0x00 }, unknown[] = { 0x82, 0x00 };
	size_t end = w->pos, mark;
	uint8_t reason[5] = { MP_DER_CTX(0), 0x03, MP_DER_ENUMERATED, 0x01, 0 };

	if (s->id == NULL || s->id->der == NULL || s->id->der_len == 0 ||
	    s->id->der_len > OCSP_REQUEST_MAX_BYTES ||
	    (s->next_update != 0 && s->next_update < s->this_update))
		return MP_ERR_INVALID;
	if (s->next_update != 0) {
		mark = w->pos;
		if (rw_time(w, s->next_update) != MP_OK)
			return MP_ERR_INVALID;
		rw_hdr(w, MP_DER_CTX(0), mark);
	}
	if (rw_time(w, s->this_update) != MP_OK)
		return MP_ERR_INVALID;
	switch (s->status) {
	case OCSP_GOOD:
		rw_bytes(w, good, sizeof(good));
		break;
	case OCSP_UNKNOWN:
		rw_bytes(w, unknown, sizeof(unknown));
		break;
	case OCSP_REVOKED:
		/* revoked [1] IMPLICIT RevokedInfo { revocationTime, revocationReason [0] EXPLICIT } */
		if (!reason_ok(s->reason))
			return MP_ERR_INVALID;
		mark = w->pos;
		if (s->reason >= 0) {
			reason[4] = (uint8_t)s->reason;
			rw_bytes(w, reason, sizeof(reason));
		}
		if (rw_time(w, s->revoked_at) != MP_OK)
			return MP_ERR_INVALID;
		rw_hdr(w, MP_DER_CTX(1), mark);
		break;
	default:
		return MP_ERR_INVALID;
	}
	rw_bytes(w, s->id->der, s->id->der_len);
	rw_hdr(w, MP_DER_SEQUENCE, end);
	return MP_OK;
}

/* responseExtensions [1] EXPLICIT Extensions { nonce: OCTET STRING { OCTET STRING nonce } } */
static void
rw_nonce(rw *w, const uint8_t *nonce, size_t len)
{
	size_t end = w->pos;

	rw_bytes(w, nonce, len);
	rw_hdr(w, MP_DER_OCTET_STRING, end);
	rw_hdr(w, MP_DER_OCTET_STRING, end);
	rw_bytes(w, oid_nonce, sizeof(oid_nonce));
	rw_hdr(w, MP_DER_SEQUENCE, end);
	rw_hdr(w, MP_DER_SEQUENCE, end);
	rw_hdr(w, MP_DER_CTX(1), end);
}

/*
 * Writes tbsResponseData into w. The caller has made w large enough
 * (tbs_bound); MP_ERR_INTERNAL if it was not.
 */
static int
rw_tbs(rw *w, const uint8_t key_hash[20], int64_t produced_at, const ocsp_single *s, size_t n,
    const uint8_t *nonce, size_t nonce_len)
{
	size_t end = w->pos, list;

	if (nonce != NULL)
		rw_nonce(w, nonce, nonce_len);
	list = w->pos;
	for (size_t i = n; i-- > 0;)
		if (rw_single(w, &s[i]) != MP_OK)
			return MP_ERR_INVALID;
	rw_hdr(w, MP_DER_SEQUENCE, list);
	if (rw_time(w, produced_at) != MP_OK)
		return MP_ERR_INVALID;
	/* responderID byKey [2] EXPLICIT KeyHash (OCTET STRING, SHA-1) */
	list = w->pos;
	rw_bytes(w, key_hash, 20);
	rw_hdr(w, MP_DER_OCTET_STRING, list);
	rw_hdr(w, MP_DER_CTX(2), list);
	rw_hdr(w, MP_DER_SEQUENCE, end);
	return w->ok ? MP_OK : MP_ERR_INTERNAL;
}

/* An upper bound of the tbsResponseData's length. */
static size_t
tbs_bound(const ocsp_single *s, size_t n, size_t nonce_len)
{
	/* per response: the CertID's header room, status, three times, tags, reason */
	size_t b = 128 + nonce_len + 64;

	for (size_t i = 0; i < n; i++)
		b += (s[i].id != NULL ? s[i].id->der_len : 0) + 96;
	return b;
}

static int
sig_alg(const mp_key_spec *spec, const uint8_t **alg, size_t *len)
{
	switch (spec->alg) {
	case MP_KEY_EC_P256:
		*alg = alg_ecdsa_sha256;
		*len = sizeof(alg_ecdsa_sha256);
		return MP_OK;
	case MP_KEY_EC_P384:
		*alg = alg_ecdsa_sha384;
		*len = sizeof(alg_ecdsa_sha384);
		return MP_OK;
	case MP_KEY_RSA:
		*alg = alg_rsa_sha256;
		*len = sizeof(alg_rsa_sha256);
		return MP_OK;
	case MP_KEY_RSA_PSS:
		*alg = alg_rsa_pss_sha256;
		*len = sizeof(alg_rsa_pss_sha256);
		return MP_OK;
	case MP_KEY_ED25519:
		*alg = alg_ed25519;
		*len = sizeof(alg_ed25519);
		return MP_OK;
	}
	return MP_ERR_UNSUPPORTED;
}

int
ocsp_core_sign(mp_key *key, const uint8_t responder_key_hash[20], int64_t produced_at,
    const ocsp_single *s, size_t n, const uint8_t *nonce, size_t nonce_len, uint8_t **core,
    size_t *core_len)
{
	rw w = { NULL, 0, true };
	const uint8_t *alg = NULL, *tbs;
	uint8_t *sig = NULL, *c = NULL;
	size_t bound, tbs_len, alg_len = 0, sig_len = 0, total, o;
	int r = MP_ERR_INVALID;

	if (key == NULL || responder_key_hash == NULL || s == NULL || n == 0 ||
	    n > OCSP_MAX_CERTS || core == NULL || core_len == NULL ||
	    (nonce != NULL && (nonce_len == 0 || nonce_len > OCSP_NONCE_MAX)))
		return MP_ERR_INVALID;
	if ((r = sig_alg(mp_key_get_spec(key), &alg, &alg_len)) != MP_OK)
		return r;
	bound = tbs_bound(s, n, nonce != NULL ? nonce_len : 0);
	if ((w.base = malloc(bound)) == NULL)
		return MP_ERR_NOMEM;
	w.pos = bound;
	if ((r = rw_tbs(&w, responder_key_hash, produced_at, s, n, nonce, nonce_len)) != MP_OK)
		goto out;
	tbs = w.base + w.pos;
	tbs_len = bound - w.pos;
	if ((r = mp_key_sign_data(key, 0, tbs, tbs_len, &sig, &sig_len)) != MP_OK)
		goto out;
	total = tbs_len + alg_len + der_len(sig_len + 1);
	if ((c = malloc(total)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	memcpy(c, tbs, tbs_len);
	o = tbs_len;
	memcpy(c + o, alg, alg_len);
	o += alg_len;
	o += mp_der_header(c + o, MP_DER_BIT_STRING, sig_len + 1);
	c[o++] = 0; /* no unused bits */
	memcpy(c + o, sig, sig_len);
	*core = c;
	*core_len = total;
	c = NULL;
	r = MP_OK;
out:
	OPENSSL_free(sig);
	free(c);
	free(w.base);
	return r;
}

/* The content lengths of the nested elements of a response, and its whole length. */
typedef struct layout {
	size_t cert_seq, certs, basic, bytes_seq, bytes, top, total;
} layout;

static bool
make_layout(size_t core_len, size_t signer_len, layout *l)
{
	if (core_len == 0 || core_len > LEN_MAX || signer_len > LEN_MAX)
		return false;
	/* certs [0] EXPLICIT SEQUENCE OF Certificate: one certificate */
	l->cert_seq = signer_len;
	l->certs = der_len(l->cert_seq);
	l->basic = core_len + (signer_len > 0 ? der_len(l->certs) : 0);
	/* responseBytes SEQUENCE { responseType, response OCTET STRING { BasicOCSPResponse } } */
	l->bytes_seq = sizeof(oid_basic) + der_len(der_len(l->basic));
	l->bytes = der_len(l->bytes_seq);
	/* OCSPResponse SEQUENCE { responseStatus, responseBytes [0] EXPLICIT } */
	l->top = 3 + der_len(l->bytes);
	l->total = der_len(l->top);
	return true;
}

size_t
ocsp_response_size(size_t core_len, size_t signer_len)
{
	layout l;

	return make_layout(core_len, signer_len, &l) ? l.total : 0;
}

size_t
ocsp_response_assemble(const uint8_t *core, size_t core_len, const uint8_t *signer_der,
    size_t signer_len, uint8_t *out, size_t cap)
{
	static const uint8_t successful[] = { MP_DER_ENUMERATED, 0x01, 0x00 };
	layout l;
	size_t o = 0;

	if (core == NULL || out == NULL || (signer_der == NULL && signer_len > 0) ||
	    !make_layout(core_len, signer_len, &l) || l.total > cap)
		return 0;
	o += mp_der_header(out + o, MP_DER_SEQUENCE, l.top);
	memcpy(out + o, successful, sizeof(successful));
	o += sizeof(successful);
	o += mp_der_header(out + o, MP_DER_CTX(0), l.bytes);
	o += mp_der_header(out + o, MP_DER_SEQUENCE, l.bytes_seq);
	memcpy(out + o, oid_basic, sizeof(oid_basic));
	o += sizeof(oid_basic);
	o += mp_der_header(out + o, MP_DER_OCTET_STRING, der_len(l.basic));
	o += mp_der_header(out + o, MP_DER_SEQUENCE, l.basic);
	memcpy(out + o, core, core_len);
	o += core_len;
	if (signer_len > 0) {
		o += mp_der_header(out + o, MP_DER_CTX(0), l.certs);
		o += mp_der_header(out + o, MP_DER_SEQUENCE, l.cert_seq);
		memcpy(out + o, signer_der, signer_len);
		o += signer_len;
	}
	return o;
}

const uint8_t *
ocsp_response_error(int response_status, size_t *len)
{
	const uint8_t *p;

	switch (response_status) {
	case OCSP_STATUS_MALFORMED_REQUEST:
		p = resp_malformed;
		break;
	case OCSP_STATUS_INTERNAL_ERROR:
		p = resp_internal;
		break;
	case OCSP_STATUS_TRY_LATER:
		p = resp_try_later;
		break;
	case OCSP_STATUS_UNAUTHORIZED:
		p = resp_unauthorized;
		break;
	default:
		return NULL;
	}
	if (len != NULL)
		*len = sizeof(resp_malformed);
	return p;
}

static const EVP_MD *
hash_md(ocsp_hash h)
{
	switch (h) {
	case OCSP_HASH_SHA1:
		return EVP_sha1();
	case OCSP_HASH_SHA256:
		return EVP_sha256();
	case OCSP_HASH_SHA384:
		return EVP_sha384();
	case OCSP_HASH_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

int
ocsp_issuer_hashes(X509 *ca, ocsp_hash h, uint8_t name_hash[OCSP_HASH_MAX],
    uint8_t key_hash[OCSP_HASH_MAX], size_t *len)
{
	const EVP_MD *md = hash_md(h);
	const ASN1_BIT_STRING *key;
	const unsigned char *name = NULL;
	uint8_t nh[EVP_MAX_MD_SIZE], kh[EVP_MAX_MD_SIZE];
	unsigned nl = 0, kl = 0;
	size_t name_len = 0;

	if (ca == NULL || md == NULL || name_hash == NULL || key_hash == NULL || len == NULL)
		return MP_ERR_INVALID;
	if ((key = X509_get0_pubkey_bitstr(ca)) == NULL ||
	    X509_NAME_get0_der(X509_get_subject_name(ca), &name, &name_len) != 1 ||
	    EVP_Digest(name, name_len, nh, &nl, md, NULL) != 1 ||
	    EVP_Digest(key->data, (size_t)key->length, kh, &kl, md, NULL) != 1 ||
	    nl != ocsp_hash_len(h) || kl != nl)
		return MP_ERR_CRYPTO;
	memcpy(name_hash, nh, nl);
	memcpy(key_hash, kh, kl);
	*len = nl;
	return MP_OK;
}
