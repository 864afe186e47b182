/*
 * TLS for our listeners: one server context policy and, until the X.509 CA
 * issues listener certificates, a self-signed certificate made at start.
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

/*
 * Generates a fresh ECDSA P-256 key in memory (it never touches disk) and a
 * self-signed certificate for it: 90 days, random 16-byte serial, SAN
 * IP:127.0.0.1, IP:::1, DNS:localhost, CA:FALSE, serverAuth. Writes the
 * certificate to <state_dir>/tls/server.crt (0644, directory 0700) and to
 * <state_dir>/trust.pem (what clients need to verify our listeners), each via
 * a temporary file and rename. state_dir must exist. On success the caller
 * owns *key and *cert; on error returns MP_ERR_CRYPTO or MP_ERR_IO with err set.
 */
int mp_tls_selfsigned(const char *state_dir, EVP_PKEY **key, X509 **cert, char *err,
    size_t errsz);

#endif
