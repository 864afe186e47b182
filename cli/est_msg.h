/*
 * The messages of the EST client (`midpki est`, RFC 7030): keys and PKCS#10
 * requests it makes, and the server's certs-only PKCS#7 and CsrAttrs it
 * reads, all base64 in the body (RFC 8951: any line wrapping). Pure
 * functions, so that the parsers can be fuzzed (tests/fuzz/fuzz_est_client.c).
 */
#ifndef CLI_EST_MSG_H
#define CLI_EST_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"

/* The largest body the client reads from an EST server. */
#define EST_MAX_RESPONSE ((size_t)1 << 20)

/*
 * A new key: "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096" or
 * "ed25519". MP_ERR_INVALID for another name, MP_ERR_CRYPTO.
 */
int est_key_generate(const char *spec, EVP_PKEY **out);

/*
 * A PKCS#10 request for key, signed with SHA-256 (SHA-384 for P-384, none
 * for Ed25519), as base64 of its DER in lines of 64 characters. subject and
 * sans (may be NULL) are copied in; a challengePassword attribute carries
 * challenge (len bytes, base64 encoded as RFC 7030 3.5 wants) when it is not
 * NULL. *out is malloc'd. MP_ERR_CRYPTO, MP_ERR_NOMEM.
 */
int est_csr_make(EVP_PKEY *key, const X509_NAME *subject, const GENERAL_NAMES *sans,
    const uint8_t *challenge, size_t len, char **out);

/*
 * The certificates of a certs-only PKCS#7 (RFC 7030 4.1.3, 4.2.3) given as
 * base64 (len bytes of body), in the order sent. MP_ERR_INVALID when it is
 * not base64 of a SignedData with at least one certificate, MP_ERR_TOO_LARGE.
 */
int est_certs_parse(const char *body, size_t len, STACK_OF(X509) **out);

/*
 * CsrAttrs (RFC 7030 4.5.2, RFC 9908) given as base64, described into text,
 * one line per element: "<oid name or dotted form>" for an OID, and
 * "<attribute type>: <value>, ..." for an attribute whose values are OIDs
 * (others are shown as "(n values)"). An empty CsrAttrs writes nothing.
 * MP_ERR_INVALID when it is not base64 of DER CsrAttrs.
 */
int est_csrattrs_describe(const char *body, size_t len, mp_buf *text);

#endif
