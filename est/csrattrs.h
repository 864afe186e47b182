/* The CSR attributes answer (RFC 7030 4.5): what a device should put in its request. */
#ifndef EST_CSRATTRS_H
#define EST_CSRATTRS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * CsrAttrs (RFC 7030 4.5.2) as DER in *der (free with OPENSSL_free) for the
 * key algorithms of info (ca_enroll_info): for EC keys the attribute
 * id-ecPublicKey with the allowed curves and the OIDs of ECDSA with SHA-256
 * (and SHA-384 when P-384 is allowed); for RSA the OIDs rsaEncryption and
 * sha256WithRSAEncryption; for Ed25519 the OID id-Ed25519.
 */
int est_csrattrs_der(const json_t *info, uint8_t **der, size_t *len);

#endif
