/* PKCS#10 certificate requests from untrusted callers: decoding and proof of possession. */
#ifndef CA_CSR_H
#define CA_CSR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca.h"

#define CA_CSR_MAX_BYTES 65536

/* A decoded request; every member is owned by it and freed by ca_csr_free. */
typedef struct ca_csr {
	X509_NAME *subject;
	STACK_OF(X509_EXTENSION) *extensions; /* the extension request; NULL when none */
	EVP_PKEY *pub;
	X509_ALGOR *spki_alg;                 /* the SubjectPublicKeyInfo algorithm as encoded */
	uint8_t *spki_bits;                   /* its BIT STRING contents (no unused-bits octet) */
	size_t spki_bits_len;
	char *challenge_password;             /* PKCS#9 challengePassword; NULL when none */
} ca_csr;

/*
 * Decodes a PKCS#10 request (PEM or DER, at most CA_CSR_MAX_BYTES; strict
 * DER, nothing trailing, version 1), verifies its signature over the request
 * info as received (proof of possession) with a digest of at least SHA-256,
 * and refuses weak keys (RSA < 2048 or > 8192 bits, RSA exponent not odd or
 * < 65537, EC not P-256/P-384 by name, unknown key types). The extension
 * request is the extensionRequest attribute (or Microsoft's, when the
 * standard one is absent); a challengePassword (one PrintableString or
 * UTF8String without NUL, at most once) is kept; other attributes must be
 * well-formed and are ignored. MP_ERR_INVALID / MP_ERR_TOO_LARGE / MP_ERR_POLICY with d->field
 * "csr", "csr.signature", "csr.key" or "csr.extensions".
 */
int ca_csr_decode(const uint8_t *in, size_t len, ca_csr **out, ca_detail *d);
void ca_csr_free(ca_csr *csr);

#endif
