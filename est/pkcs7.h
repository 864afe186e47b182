/* The certs-only PKCS#7 that EST answers carry (RFC 7030 4.1.3 and 4.2.3). */
#ifndef EST_PKCS7_H
#define EST_PKCS7_H

#include <stddef.h>
#include <stdint.h>

/*
 * A degenerate SignedData (no content, no signers, RFC 5652 5.2) holding the
 * certificates in pem, in order, as DER in *der (free with OPENSSL_free).
 * MP_ERR_INVALID when pem holds no certificate, one that is not a DER
 * SEQUENCE, or more than 16.
 */
int est_certs_only(const char *pem, uint8_t **der, size_t *len);

#endif
