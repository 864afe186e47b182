/*
 * TLS for our listeners: the one server context policy that every TLS
 * listener uses, whatever certificate and key it is given.
 */
#ifndef MP_TLS_H
#define MP_TLS_H

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stddef.h>

/*
 * A server context with cert, its chain (may be NULL) and key: TLS 1.2 to
 * 1.3, TLS 1.2 suites limited to ECDHE with AES-GCM or ChaCha20-Poly1305, no
 * compression, no renegotiation. It asks for an optional client certificate
 * and accepts any certificate without verifying it: a handler that relies on
 * the peer certificate must verify it against its own trust anchors.
 * Takes its own references; returns NULL with a message in err on failure.
 */
SSL_CTX *mp_tls_server_ctx_new(X509 *cert, STACK_OF(X509) *chain, EVP_PKEY *key, char *err,
    size_t errsz);

#endif
