/*
 * EST request bodies (RFC 7030 4.2.1, RFC 8951): a PKCS#10 request sent as
 * base64 text, with or without a Content-Transfer-Encoding header, wrapped at
 * any width with LF or CRLF line ends, or not wrapped at all.
 */
#ifndef EST_BODY_H
#define EST_BODY_H

#include <stddef.h>
#include <stdint.h>

/* The largest request body: a CSR of CA_CSR_MAX_BYTES in base64 with CRLF every 64 columns, and then some. */
#define EST_MAX_BODY 131072

/*
 * Decodes the body of a request that must be of media type type (e.g.
 * "application/pkcs10") into *der (at most max_der bytes; free it).
 * content_type and cte are the request's Content-Type and
 * Content-Transfer-Encoding headers (each may be NULL). MP_ERR_UNSUPPORTED
 * for another media type; MP_ERR_INVALID for a transfer encoding other than
 * base64, an empty body or one that is not base64; MP_ERR_TOO_LARGE beyond
 * EST_MAX_BODY or max_der. *why gets a static sentence for the client on
 * every error.
 */
int est_body_decode(const char *content_type, const char *cte, const char *type,
    const uint8_t *body, size_t len, size_t max_der, uint8_t **der, size_t *derlen,
    const char **why);

/*
 * der as a response body: base64 in lines of width characters, each ended by
 * LF (64, as OpenSSL's base64 BIO writes it, is what libest expects), or
 * with no line break at all for width 0 (what strongSwan's pki reads); RFC
 * 8951 readers take any. *out is NUL-terminated; *outlen excludes the NUL.
 */
int est_body_encode(const uint8_t *der, size_t len, size_t width, char **out, size_t *outlen);

#endif
