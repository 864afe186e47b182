/*
 * Root keys encrypted to a manufacturing line's public key: CMS (RFC 5652)
 * enveloped data that `openssl cms -decrypt -inkey KEY` opens. The recipient
 * is named by a certificate (CMS identifies it by issuer and serial number);
 * the content is AuthEnvelopedData (RFC 5083) under AES-256-GCM, whose key
 * goes to an RSA key of 2048 bits or more with RSA-OAEP (SHA-256, MGF1 with
 * SHA-256), or to an EC key with ephemeral-static ECDH, the X9.63 KDF with
 * SHA-256 and AES-256 key wrap (RFC 5753).
 */
#ifndef LW_ENVELOPE_H
#define LW_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

/* The largest recipient certificate (DER). */
#define LW_ENVELOPE_CERT_MAX 16384

/*
 * Checks that der (len bytes) is one X.509 certificate whose key can be a
 * recipient (RSA of 2048 bits or more, or EC). MP_ERR_INVALID for anything
 * that is not a certificate, MP_ERR_UNSUPPORTED for another key.
 */
int lw_envelope_check_recipient(const uint8_t *der, size_t len);

/*
 * The CMS enveloped data of in (len bytes) for the certificate der, PEM
 * ("-----BEGIN CMS-----") into *pem (free it). Errors as
 * lw_envelope_check_recipient, or MP_ERR_CRYPTO.
 */
int lw_envelope_seal(const uint8_t *der, size_t der_len, const uint8_t *in, size_t len,
    char **pem);

#endif
