/*
 * COSE_Encrypt0 (RFC 9052) as FDO TO2 uses it after the key exchange: tag
 * 16, [protected bstr .cbor {1: alg}, unprotected {5: IV (12 bytes)},
 * ciphertext || tag (16 bytes)], AES-GCM with the session key, the
 * Enc_structure ["Encrypt0", protected, h''] as additional data.
 */
#ifndef FDO_ENCRYPT0_H
#define FDO_ENCRYPT0_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "kex.h"
#include "reason.h"

#define FDO_COSE_ENCRYPT0_TAG 16

/* Appends pt (n bytes) encrypted under k with a fresh IV. */
int fdo_encrypt0(const fdo_sek *k, const uint8_t *pt, size_t n, mp_buf *out);
/*
 * Appends the plaintext of the COSE_Encrypt0 in (exactly len bytes).
 * MP_ERR_INVALID for another shape or algorithm, MP_ERR_INTEGRITY when it
 * does not decrypt under k; d says which.
 */
int fdo_decrypt0(const fdo_sek *k, const uint8_t *in, size_t len, mp_buf *out, fdo_detail *d);

#endif
