/*
 * The certs-only SignedData is written directly around the certificates'
 * DER: parsing them into X509 objects for PKCS7_add_certificate decoded
 * every public key again (OpenSSL 3.0 builds a decoder chain per key), which
 * cost a tenth of an EST enrollment. The bytes are those i2d_PKCS7 writes.
 */
#include "pkcs7.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>

#include "codec.h"
#include "der.h"
#include "err.h"

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END "-----END CERTIFICATE-----"
/* The most certificates, and the largest certificate, an answer carries. */
#define CERTS_MAX 16
#define CERT_MAX_DER 65536
/* Nesting deeper than any certificate needs. */
#define CERT_MAX_DEPTH 32

/* version 1, digestAlgorithms {}, encapContentInfo { id-data } with no content */
static const uint8_t signed_head[] = { 0x02, 0x01, 0x01, 0x31, 0x00, 0x30, 0x0b, 0x06, 0x09,
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };
/* signerInfos {} */
static const uint8_t signed_tail[] = { 0x31, 0x00 };
/* contentType id-signedData */
static const uint8_t oid_signed[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
	0x07, 0x02 };

/* Whether der is exactly one DER SEQUENCE with well-formed contents (a certificate's shape). */
static bool
one_certificate(const uint8_t *der, size_t len)
{
	mp_der d;
	mp_der_tlv t;

	mp_der_init(&d, der, len);
	return mp_der_expect(&d, MP_DER_SEQUENCE, &t) == MP_OK && mp_der_empty(&d) &&
	    mp_der_check_tree(&t, CERT_MAX_DEPTH) == MP_OK;
}

int
est_certs_only(const char *pem, uint8_t **der, size_t *len)
{
	uint8_t *certs[CERTS_MAX] = { NULL }, *out = NULL, *w, *one = NULL;
	size_t lens[CERTS_MAX], count = 0, all = 0, sd, sd_whole, total, n;
	const char *p = pem, *end;
	int r;

	while ((p = strstr(p, PEM_BEGIN)) != NULL) {
		if ((r = mp_pem_decode(p, strlen(p), "CERTIFICATE", CERT_MAX_DER, &one, &n)) !=
		    MP_OK || !one_certificate(one, n) || count == CERTS_MAX) {
			r = r == MP_ERR_NOMEM ? r : MP_ERR_INVALID;
			goto out;
		}
		certs[count] = one;
		lens[count++] = n;
		one = NULL;
		all += n;
		if ((end = strstr(p, PEM_END)) == NULL)
			break;
		p = end + strlen(PEM_END);
	}
	if (count == 0) {
		r = MP_ERR_INVALID;
		goto out;
	}
	sd = sizeof(signed_head) + mp_der_header(NULL, MP_DER_CTX(0), all) + all +
	    sizeof(signed_tail);
	sd_whole = mp_der_header(NULL, MP_DER_SEQUENCE, sd) + sd;
	total = sizeof(oid_signed) + mp_der_header(NULL, MP_DER_CTX(0), sd_whole) + sd_whole;
	if ((out = OPENSSL_malloc(mp_der_header(NULL, MP_DER_SEQUENCE, total) + total)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	w = out;
	w += mp_der_header(w, MP_DER_SEQUENCE, total);
	memcpy(w, oid_signed, sizeof(oid_signed));
	w += sizeof(oid_signed);
	w += mp_der_header(w, MP_DER_CTX(0), sd_whole);
	w += mp_der_header(w, MP_DER_SEQUENCE, sd);
	memcpy(w, signed_head, sizeof(signed_head));
	w += sizeof(signed_head);
	w += mp_der_header(w, MP_DER_CTX(0), all);
	for (size_t i = 0; i < count; i++) {
		memcpy(w, certs[i], lens[i]);
		w += lens[i];
	}
	memcpy(w, signed_tail, sizeof(signed_tail));
	w += sizeof(signed_tail);
	*der = out;
	*len = (size_t)(w - out);
	out = NULL;
	r = MP_OK;
out:
	for (size_t i = 0; i < count; i++)
		free(certs[i]);
	free(one);
	OPENSSL_free(out);
	return r;
}
