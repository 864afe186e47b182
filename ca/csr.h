/* PKCS#10 certificate requests from untrusted callers: decoding and proof of possession. */
#ifndef CA_CSR_H
#define CA_CSR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ca.h"

#define CA_CSR_MAX_BYTES 65536
/* Decodes a PKCS#10 request (PEM or DER, at most CA_CSR_MAX_BYTES), verifies its
 * signature (proof of possession) and refuses weak keys (RSA < 2048 or > 8192 bits,
 * RSA exponent not odd or < 65537, EC not P-256/P-384, unknown key types).
 * MP_ERR_INVALID / MP_ERR_TOO_LARGE / MP_ERR_POLICY with d set. */
int ca_csr_decode(const uint8_t *in, size_t len, X509_REQ **out, ca_detail *d);

#endif
