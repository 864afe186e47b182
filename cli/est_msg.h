/*
 * The messages of the EST client (`midpki est`, RFC 7030): keys and PKCS#10
 * requests it makes, and the server's certs-only PKCS#7 and CsrAttrs it
 * reads, all base64 in the body (RFC 8951: any line wrapping). Pure
 * functions, so that the parsers can be fuzzed (tests/fuzz/fuzz_est_client.c).
 */
#ifndef CLI_EST_MSG_H
#define CLI_EST_MSG_H

#include <stdbool.h>
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

/* id-aa-asymmDecryptKeyID (RFC 7030 4.4.1.2) and id-ct-KP-aKeyPackage (RFC 5958) */
#define EST_OID_ASYMM_DECRYPT_KEY_ID "1.2.840.113549.1.9.16.2.54"
#define EST_OID_KEY_PACKAGE "2.16.840.1.101.2.1.2.78.5"

/*
 * A PKCS#10 request for key, signed with SHA-256 (SHA-384 for P-384, none
 * for Ed25519), as base64 of its DER in lines of 64 characters. subject and
 * sans (may be NULL) are copied in; a challengePassword attribute carries
 * challenge (len bytes, base64 encoded as RFC 7030 3.5 wants) when it is not
 * NULL; an AsymmetricDecryptKeyIdentifier attribute carries key_id when it
 * is not NULL (/serverkeygen: encrypt the key to the certificate of that
 * subjectKeyIdentifier). *out is malloc'd. MP_ERR_CRYPTO, MP_ERR_NOMEM.
 */
int est_csr_make(EVP_PKEY *key, const X509_NAME *subject, const GENERAL_NAMES *sans,
    const uint8_t *challenge, size_t len, const ASN1_OCTET_STRING *key_id, char **out);

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

/* The answer to /serverkeygen (RFC 7030 4.4.2). */
typedef struct est_keygen_answer {
	uint8_t *key;           /* DER: PKCS#8, or when encrypted CMS EnvelopedData */
	size_t key_len;
	bool encrypted;         /* application/pkcs7-mime; smime-type=server-generated-key */
	STACK_OF(X509) *certs;  /* the certs-only PKCS#7's, the new certificate first */
} est_keygen_answer;

/*
 * The two parts of a /serverkeygen answer: multipart/mixed (the boundary
 * from content_type) of the key (application/pkcs8, or encrypted) and the
 * certificate (application/pkcs7-mime), each base64, LF or CRLF line ends.
 * MP_ERR_INVALID when it is not exactly that.
 */
int est_keygen_parse(const char *content_type, const char *body, size_t len,
    est_keygen_answer *out);
/* Wipes the key and frees a's contents; a may be zeroed. */
void est_keygen_answer_free(est_keygen_answer *a);

/* The private key of a PKCS#8 PrivateKeyInfo (DER). MP_ERR_INVALID. */
int est_key_plain(const uint8_t *der, size_t len, EVP_PKEY **out);
/*
 * The private key of an encrypted answer: CMS EnvelopedData of an
 * AsymmetricKeyPackage (RFC 5958) of one key, opened with pkey (and cert,
 * which names the recipient). MP_ERR_INVALID for something else,
 * MP_ERR_CRYPTO when it does not open with that key.
 */
int est_key_unwrap(const uint8_t *der, size_t len, X509 *cert, EVP_PKEY *pkey, EVP_PKEY **out);

#endif
