#include "request.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "der.h"
#include "err.h"

/* The hash algorithms of CertIDs, by OID contents, in ocsp_hash order. */
static const struct {
	uint8_t oid[9];
	size_t oid_len;
	size_t digest_len;
} hashes[] = {
	[OCSP_HASH_SHA1] = { { 0x2b, 0x0e, 0x03, 0x02, 0x1a }, 5, 20 },
	[OCSP_HASH_SHA256] = { { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 }, 9, 32 },
	[OCSP_HASH_SHA384] = { { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02 }, 9, 48 },
	[OCSP_HASH_SHA512] = { { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03 }, 9, 64 },
};

#define N_HASHES (sizeof(hashes) / sizeof(hashes[0]))

/* id-pkix-ocsp-nonce, 1.3.6.1.5.5.7.48.1.2 */
static const uint8_t oid_nonce[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02 };

size_t
ocsp_hash_len(ocsp_hash h)
{
	return (unsigned)h < N_HASHES ? hashes[h].digest_len : 0;
}

/* Whether an INTEGER's contents are a positive value of at most 20 octets, minimally encoded. */
static bool
serial_ok(const uint8_t *p, size_t n)
{
	if (n == 0 || n > OCSP_SERIAL_MAX || (p[0] & 0x80u))
		return false;
	if (p[0] == 0) {
		/* the sign octet: only before a byte with its top bit set (which also rules out 0) */
		return n > 1 && (p[1] & 0x80u);
	}
	/* 21 octets are allowed only when the first is the sign octet */
	return n < OCSP_SERIAL_MAX;
}

/*
 * One extension's fields. A DER BOOLEAN is 0x00 or 0xff; an explicit FALSE
 * (a DEFAULT value, not DER) is tolerated because some encoders write it.
 */
static int
read_extension(const mp_der_tlv *ext, mp_der_tlv *oid, bool *critical, mp_der_tlv *value)
{
	mp_der d;
	mp_der_tlv b;
	bool present;

	if (ext->tag != MP_DER_SEQUENCE)
		return MP_ERR_INVALID;
	mp_der_enter(ext, &d);
	if (mp_der_expect(&d, MP_DER_OID, oid) != MP_OK || oid->len == 0 ||
	    mp_der_optional(&d, MP_DER_BOOLEAN, &b, &present) != MP_OK)
		return MP_ERR_INVALID;
	*critical = false;
	if (present) {
		if (b.len != 1 || (b.value[0] != 0x00 && b.value[0] != 0xff))
			return MP_ERR_INVALID;
		*critical = b.value[0] == 0xff;
	}
	if (mp_der_expect(&d, MP_DER_OCTET_STRING, value) != MP_OK || !mp_der_empty(&d))
		return MP_ERR_INVALID;
	return MP_OK;
}

/*
 * The nonce from an extnValue: an OCTET STRING of 1..OCSP_NONCE_MAX bytes
 * (RFC 8954), or, when extnValue is not exactly one OCTET STRING, the raw
 * bytes of extnValue under the same limits.
 */
static int
read_nonce(const mp_der_tlv *value, const uint8_t **nonce, size_t *len)
{
	mp_der d;
	mp_der_tlv inner;

	mp_der_init(&d, value->value, value->len);
	if (mp_der_peek(&d) == MP_DER_OCTET_STRING && mp_der_next(&d, &inner) == MP_OK &&
	    mp_der_empty(&d)) {
		*nonce = inner.value;
		*len = inner.len;
	} else {
		*nonce = value->value;
		*len = value->len;
	}
	return *len >= 1 && *len <= OCSP_NONCE_MAX ? MP_OK : MP_ERR_INVALID;
}

/*
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension, inside an EXPLICIT tag.
 * Unknown critical extensions are refused; with req set, the nonce is taken.
 */
static int
read_extensions(const mp_der_tlv *explicit_tag, ocsp_request *req)
{
	mp_der outer, d;
	mp_der_tlv seq, ext, oid, value;
	bool critical;

	mp_der_enter(explicit_tag, &outer);
	if (mp_der_expect(&outer, MP_DER_SEQUENCE, &seq) != MP_OK || !mp_der_empty(&outer) ||
	    seq.len == 0)
		return MP_ERR_INVALID;
	mp_der_enter(&seq, &d);
	while (!mp_der_empty(&d)) {
		if (mp_der_next(&d, &ext) != MP_OK ||
		    read_extension(&ext, &oid, &critical, &value) != MP_OK)
			return MP_ERR_INVALID;
		if (req != NULL && mp_der_oid_is(&oid, oid_nonce, sizeof(oid_nonce))) {
			if (req->has_nonce ||
			    read_nonce(&value, &req->nonce, &req->nonce_len) != MP_OK)
				return MP_ERR_INVALID;
			req->has_nonce = true;
		} else if (critical) {
			return MP_ERR_INVALID;
		}
	}
	return MP_OK;
}

/*
 * AlgorithmIdentifier of a CertID's hash: *h is set for a known one, and
 * *known says whether it was. MP_ERR_INVALID only for a malformed one.
 */
static int
read_hash_alg(const mp_der_tlv *alg, ocsp_hash *h, bool *known)
{
	mp_der d;
	mp_der_tlv oid, params;

	*known = false;
	if (alg->tag != MP_DER_SEQUENCE)
		return MP_ERR_INVALID;
	mp_der_enter(alg, &d);
	if (mp_der_expect(&d, MP_DER_OID, &oid) != MP_OK || oid.len == 0)
		return MP_ERR_INVALID;
	if (!mp_der_empty(&d)) {
		if (mp_der_next(&d, &params) != MP_OK || !mp_der_empty(&d))
			return MP_ERR_INVALID;
		/* parameters other than NULL: a well-formed algorithm we do not know */
		if (params.tag != MP_DER_NULL || params.len != 0)
			return MP_OK;
	}
	for (size_t i = 0; i < N_HASHES; i++) {
		if (mp_der_oid_is(&oid, hashes[i].oid, hashes[i].oid_len)) {
			*h = (ocsp_hash)i;
			*known = true;
		}
	}
	return MP_OK;
}

/* CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber } */
static int
read_certid(const mp_der_tlv *t, ocsp_certid *id, bool *known)
{
	mp_der d;
	mp_der_tlv alg, name, key, serial;
	ocsp_hash h = OCSP_HASH_SHA1;

	if (t->tag != MP_DER_SEQUENCE)
		return MP_ERR_INVALID;
	mp_der_enter(t, &d);
	if (mp_der_next(&d, &alg) != MP_OK || read_hash_alg(&alg, &h, known) != MP_OK ||
	    mp_der_expect(&d, MP_DER_OCTET_STRING, &name) != MP_OK ||
	    mp_der_expect(&d, MP_DER_OCTET_STRING, &key) != MP_OK ||
	    mp_der_expect(&d, MP_DER_INTEGER, &serial) != MP_OK || !mp_der_empty(&d) ||
	    !serial_ok(serial.value, serial.len))
		return MP_ERR_INVALID;
	/* the lengths of an unknown algorithm's hashes cannot be checked, only that they agree */
	if (name.len != key.len || name.len == 0 || name.len > OCSP_HASH_MAX ||
	    (*known && name.len != hashes[h].digest_len))
		return MP_ERR_INVALID;
	id->hash = h;
	id->name_hash = name.value;
	id->key_hash = key.value;
	id->hash_len = name.len;
	id->serial = serial.value;
	id->serial_len = serial.len;
	id->der = t->whole;
	id->der_len = t->whole_len;
	return MP_OK;
}

/* Request ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL } */
static int
read_single(const mp_der_tlv *t, ocsp_certid *id, bool *known)
{
	mp_der d;
	mp_der_tlv certid, exts;
	bool present;

	if (t->tag != MP_DER_SEQUENCE)
		return MP_ERR_INVALID;
	mp_der_enter(t, &d);
	if (mp_der_next(&d, &certid) != MP_OK || read_certid(&certid, id, known) != MP_OK ||
	    mp_der_optional(&d, MP_DER_CTX(0), &exts, &present) != MP_OK ||
	    (present && read_extensions(&exts, NULL) != MP_OK) || !mp_der_empty(&d))
		return MP_ERR_INVALID;
	return MP_OK;
}

/*
 * Signature ::= SEQUENCE { signatureAlgorithm AlgorithmIdentifier, signature
 * BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }, inside
 * the [0] of optionalSignature: checked for form only.
 */
static int
read_signature(const mp_der_tlv *explicit_tag)
{
	mp_der outer, d, inner;
	mp_der_tlv sig, alg, oid, params, bits, certs, seq, cert;
	const uint8_t *b;
	size_t blen;
	bool present;

	mp_der_enter(explicit_tag, &outer);
	if (mp_der_expect(&outer, MP_DER_SEQUENCE, &sig) != MP_OK || !mp_der_empty(&outer))
		return MP_ERR_INVALID;
	mp_der_enter(&sig, &d);
	if (mp_der_expect(&d, MP_DER_SEQUENCE, &alg) != MP_OK)
		return MP_ERR_INVALID;
	mp_der_enter(&alg, &inner);
	if (mp_der_expect(&inner, MP_DER_OID, &oid) != MP_OK || oid.len == 0)
		return MP_ERR_INVALID;
	if (!mp_der_empty(&inner) &&
	    (mp_der_next(&inner, &params) != MP_OK || !mp_der_empty(&inner)))
		return MP_ERR_INVALID;
	if (mp_der_expect(&d, MP_DER_BIT_STRING, &bits) != MP_OK ||
	    mp_der_bits(&bits, &b, &blen) != MP_OK ||
	    mp_der_optional(&d, MP_DER_CTX(0), &certs, &present) != MP_OK || !mp_der_empty(&d))
		return MP_ERR_INVALID;
	if (!present)
		return MP_OK;
	mp_der_enter(&certs, &outer);
	if (mp_der_expect(&outer, MP_DER_SEQUENCE, &seq) != MP_OK || !mp_der_empty(&outer))
		return MP_ERR_INVALID;
	mp_der_enter(&seq, &inner);
	while (!mp_der_empty(&inner))
		if (mp_der_expect(&inner, MP_DER_SEQUENCE, &cert) != MP_OK)
			return MP_ERR_INVALID;
	return MP_OK;
}

/* [0] EXPLICIT Version DEFAULT v1: only v1 (0) when it is given. */
static int
read_version(const mp_der_tlv *explicit_tag)
{
	mp_der d;
	mp_der_tlv v;
	uint64_t n;

	mp_der_enter(explicit_tag, &d);
	if (mp_der_expect(&d, MP_DER_INTEGER, &v) != MP_OK || !mp_der_empty(&d) ||
	    mp_der_uint(&v, 0, &n) != MP_OK)
		return MP_ERR_INVALID;
	return MP_OK;
}

/*
 * TBSRequest ::= SEQUENCE { version [0], requestorName [1], requestList
 * SEQUENCE OF Request, requestExtensions [2] }. *unknown counts CertIDs of a
 * hash algorithm we do not know.
 */
static int
read_tbs(const mp_der_tlv *t, ocsp_request *req, size_t *unknown)
{
	mp_der d, list;
	mp_der_tlv opt, seq, single, name;
	bool present, known;

	if (t->tag != MP_DER_SEQUENCE)
		return MP_ERR_INVALID;
	mp_der_enter(t, &d);
	if (mp_der_optional(&d, MP_DER_CTX(0), &opt, &present) != MP_OK ||
	    (present && read_version(&opt) != MP_OK))
		return MP_ERR_INVALID;
	if (mp_der_optional(&d, MP_DER_CTX(1), &opt, &present) != MP_OK)
		return MP_ERR_INVALID;
	if (present) {
		/* GeneralName: one element, whichever choice */
		mp_der_enter(&opt, &list);
		if (mp_der_next(&list, &name) != MP_OK || !mp_der_empty(&list))
			return MP_ERR_INVALID;
	}
	if (mp_der_expect(&d, MP_DER_SEQUENCE, &seq) != MP_OK || seq.len == 0)
		return MP_ERR_INVALID;
	mp_der_enter(&seq, &list);
	while (!mp_der_empty(&list)) {
		if (req->n == OCSP_MAX_CERTS)
			return MP_ERR_TOO_LARGE;
		if (mp_der_next(&list, &single) != MP_OK ||
		    read_single(&single, &req->ids[req->n], &known) != MP_OK)
			return MP_ERR_INVALID;
		if (!known)
			(*unknown)++;
		req->n++;
	}
	if (mp_der_optional(&d, MP_DER_CTX(2), &opt, &present) != MP_OK ||
	    (present && read_extensions(&opt, req) != MP_OK) || !mp_der_empty(&d))
		return MP_ERR_INVALID;
	return MP_OK;
}

int
ocsp_request_parse(const uint8_t *der, size_t len, ocsp_request *out)
{
	ocsp_request req;
	mp_der d, body;
	mp_der_tlv top, tbs, sig;
	size_t unknown = 0;
	bool present;
	int r;

	if (der == NULL || out == NULL)
		return MP_ERR_INVALID;
	if (len > OCSP_REQUEST_MAX_BYTES)
		return MP_ERR_TOO_LARGE;
	memset(&req, 0, sizeof(req));
	mp_der_init(&d, der, len);
	if (mp_der_expect(&d, MP_DER_SEQUENCE, &top) != MP_OK || !mp_der_empty(&d))
		return MP_ERR_INVALID;
	mp_der_enter(&top, &body);
	if (mp_der_next(&body, &tbs) != MP_OK)
		return MP_ERR_INVALID;
	if ((r = read_tbs(&tbs, &req, &unknown)) != MP_OK)
		return r;
	if (mp_der_optional(&body, MP_DER_CTX(0), &sig, &present) != MP_OK ||
	    (present && read_signature(&sig) != MP_OK) || !mp_der_empty(&body))
		return MP_ERR_INVALID;
	if (unknown > 0)
		return MP_ERR_UNSUPPORTED;
	*out = req;
	return MP_OK;
}

int
ocsp_request_from_path(const char *path, uint8_t **der, size_t *len)
{
	/* base64 of OCSP_REQUEST_MAX_BYTES with padding, and a leading '/' */
	enum { MAX_CHARS = (OCSP_REQUEST_MAX_BYTES + 2) / 3 * 4 + 1 };
	char *s = NULL;
	uint8_t *d = NULL;
	size_t n, dlen = 0;
	int r = MP_ERR_INVALID;

	if (path == NULL || der == NULL || len == NULL)
		return MP_ERR_INVALID;
	if (path[0] == '/')
		path++;
	n = strnlen(path, MAX_CHARS + 1);
	if (n > MAX_CHARS)
		return MP_ERR_TOO_LARGE;
	if (n == 0)
		return MP_ERR_INVALID;
	if ((s = malloc(n)) == NULL)
		return MP_ERR_NOMEM;
	/* one alphabet for the decoder: the URL-safe one, whose padding is optional */
	for (size_t i = 0; i < n; i++) {
		char c = path[i];

		if (c == '+' || c == ' ')
			c = '-';
		else if (c == '/')
			c = '_';
		s[i] = c;
	}
	if ((r = mp_b64_decode(s, n, true, OCSP_REQUEST_MAX_BYTES, &d, &dlen)) != MP_OK)
		goto out;
	if (dlen == 0) {
		r = MP_ERR_INVALID;
		goto out;
	}
	*der = d;
	*len = dlen;
	d = NULL;
	r = MP_OK;
out:
	free(d);
	free(s);
	return r;
}

int
ocsp_certid_make(ocsp_hash h, const uint8_t *name_hash, const uint8_t *key_hash,
    const uint8_t *serial, size_t serial_len, uint8_t buf[OCSP_CERTID_MAX], ocsp_certid *out)
{
	size_t hl = ocsp_hash_len(h), alg_len, body, o = 0;

	if (hl == 0 || name_hash == NULL || key_hash == NULL || serial == NULL || buf == NULL ||
	    out == NULL || !serial_ok(serial, serial_len))
		return MP_ERR_INVALID;
	alg_len = 2 + hashes[h].oid_len + 2;
	body = 2 + alg_len + 2 + hl + 2 + hl + 2 + serial_len;
	/* body is at most 170 octets: a one-octet long form from 128 on */
	buf[o++] = MP_DER_SEQUENCE;
	if (body >= 0x80)
		buf[o++] = 0x81;
	buf[o++] = (uint8_t)body;
	buf[o++] = MP_DER_SEQUENCE;
	buf[o++] = (uint8_t)alg_len;
	buf[o++] = MP_DER_OID;
	buf[o++] = (uint8_t)hashes[h].oid_len;
	memcpy(buf + o, hashes[h].oid, hashes[h].oid_len);
	o += hashes[h].oid_len;
	buf[o++] = MP_DER_NULL;
	buf[o++] = 0;
	buf[o++] = MP_DER_OCTET_STRING;
	buf[o++] = (uint8_t)hl;
	out->name_hash = buf + o;
	memcpy(buf + o, name_hash, hl);
	o += hl;
	buf[o++] = MP_DER_OCTET_STRING;
	buf[o++] = (uint8_t)hl;
	out->key_hash = buf + o;
	memcpy(buf + o, key_hash, hl);
	o += hl;
	buf[o++] = MP_DER_INTEGER;
	buf[o++] = (uint8_t)serial_len;
	out->serial = buf + o;
	memcpy(buf + o, serial, serial_len);
	o += serial_len;
	out->hash = h;
	out->hash_len = hl;
	out->serial_len = serial_len;
	out->der = buf;
	out->der_len = o;
	return MP_OK;
}
