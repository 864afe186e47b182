/*
 * A key made by /serverkeygen, protected beyond TLS when the request asks
 * (RFC 7030 4.4.1.1, 4.4.1.2, 4.4.2): the CSR's DecryptKeyIdentifier
 * attribute names a symmetric key shared before (we share none: refused),
 * its AsymmetricDecryptKeyIdentifier the subjectKeyIdentifier of a
 * certificate to encrypt the key to, which must be the TLS client
 * certificate the request came with.
 */
#ifndef EST_KEYWRAP_H
#define EST_KEYWRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "http.h"

/* id-aa-decryptKeyID and id-aa-asymmDecryptKeyID */
#define EST_OID_DECRYPT_KEY_ID "1.2.840.113549.1.9.16.2.37"
#define EST_OID_ASYMM_DECRYPT_KEY_ID "1.2.840.113549.1.9.16.2.54"
/* id-ct-KP-aKeyPackage (RFC 5958) */
#define EST_OID_KEY_PACKAGE "2.16.840.1.101.2.1.2.78.5"
/* The longest key identifier taken. */
#define EST_KEYWRAP_MAX_ID 64

typedef enum est_keywrap {
	EST_KEYWRAP_NONE = 0,   /* TLS only: the key as application/pkcs8 */
	EST_KEYWRAP_SYMMETRIC,  /* DecryptKeyIdentifier */
	EST_KEYWRAP_ASYMMETRIC, /* AsymmetricDecryptKeyIdentifier */
} est_keywrap;

/*
 * What the DER PKCS#10 csr asks for: *kind, and for an asymmetric key its
 * identifier in id (*id_len bytes). MP_ERR_INVALID with *why (static) for
 * a request that does not decode, that carries both attributes or one
 * twice, or one that is not a single OCTET STRING of 1 to
 * EST_KEYWRAP_MAX_ID bytes.
 */
int est_keywrap_request(const uint8_t *csr, size_t len, est_keywrap *kind,
    uint8_t id[EST_KEYWRAP_MAX_ID], size_t *id_len, const char **why);

/*
 * The certificate to encrypt the key of a /serverkeygen with csr to: *out
 * NULL when the request asks for none, else the client certificate of the
 * connection (borrowed) when its subjectKeyIdentifier is the one asked
 * for. Otherwise replies 400 with the reason and returns false.
 */
bool est_keywrap_recipient(mp_http_req *req, const uint8_t *csr, size_t len, X509 **out);

/*
 * The answer's key part for recipient (RFC 7030 4.4.2): CMS EnvelopedData,
 * AES-256-CBC, to the recipient named by its subjectKeyIdentifier (key
 * transport for RSA, ECDH key agreement for EC), whose content of type
 * id-ct-KP-aKeyPackage is an AsymmetricKeyPackage (RFC 5958) holding the
 * one PKCS#8 key. DER in *der (OPENSSL_free). MP_ERR_UNSUPPORTED for a
 * recipient key that cannot receive (e.g. Ed25519), MP_ERR_CRYPTO.
 */
int est_keywrap_envelop(const uint8_t *pkcs8, size_t len, X509 *recipient, uint8_t **der,
    size_t *der_len);

#endif
