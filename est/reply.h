/* Answers to EST clients: refusals as text/plain with the reason, payloads as base64 (RFC 8951). */
#ifndef EST_REPLY_H
#define EST_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "http.h"

/* status with msg and a newline as text/plain. */
void est_reply_text(mp_http_req *req, int status, const char *msg);
/* 401 with WWW-Authenticate: Basic and msg. */
void est_reply_unauthorized(mp_http_req *req, const char *msg);
/* 200 with der as base64 (est_body_encode) of content_type, Content-Transfer-Encoding: base64. */
void est_reply_b64(mp_http_req *req, const char *content_type, const uint8_t *der, size_t len);
/*
 * 200 with the answer to /serverkeygen (RFC 7030 4.4.2): multipart/mixed of
 * the private key (application/pkcs8, or with recipient not NULL encrypted
 * to it as application/pkcs7-mime; smime-type=server-generated-key, see
 * keywrap.h) and the certificate (certs-only PKCS#7), each base64. Every
 * copy of the key it makes is wiped.
 */
void est_reply_keygen(mp_http_req *req, const uint8_t *pkcs8, size_t pkcs8_len,
    X509 *recipient, const uint8_t *certs, size_t certs_len);
/*
 * An error that is not the client's doing: 503 with Retry-After when the
 * database is unreachable, else 500; logged once with what it was about.
 */
void est_reply_fail(mp_http_req *req, int err, const char *what);

#endif
