/*
 * Text encodings of binary data: base64 (RFC 4648 standard and URL-safe), hex
 * and PEM. Encoders allocate their output; decoders take a cap on the decoded
 * size and refuse anything larger (MP_ERR_TOO_LARGE) or malformed (MP_ERR_INVALID).
 * Character classification is branch-free so that secrets can be encoded.
 */
#ifndef MP_CODEC_H
#define MP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Standard alphabet with '=' padding, or URL-safe alphabet without padding. */
int mp_b64_encode(const uint8_t *in, size_t n, bool url, char **out);
/*
 * Decodes len characters of in. Standard: ASCII whitespace (any line wrapping,
 * LF or CRLF) is ignored and padding must be right when present. URL-safe:
 * no whitespace, padding optional.
 */
int mp_b64_decode(const char *in, size_t len, bool url, size_t max_out, uint8_t **out,
    size_t *outlen);

/* Lower-case hex. */
int mp_hex_encode(const uint8_t *in, size_t n, char **out);
/* Upper or lower case, even length, nothing else. */
/* The value of one hex digit (either case), or -1; branch-free. */
int mp_hex_digit(char c);
int mp_hex_decode(const char *in, size_t len, size_t max_out, uint8_t **out, size_t *outlen);
/*
 * Exactly n bytes from len (= 2n) hex digits of either case into out, with
 * no allocation (for keys: out is wiped on failure). MP_ERR_INVALID otherwise.
 */
int mp_hex_decode_fixed(const char *in, size_t len, uint8_t *out, size_t n);

/* "-----BEGIN label-----", base64 at 64 columns, "-----END label-----\n". */
int mp_pem_encode(const char *label, const uint8_t *der, size_t n, char **out);
/* Decodes the first PEM block with this label found in text. */
int mp_pem_decode(const char *text, size_t len, const char *label, size_t max_out, uint8_t **der,
    size_t *derlen);

/*
 * Percent-decodes len bytes of s (a URL path or query component) into a new
 * string; '+' becomes a space when plus is set. Refuses malformed escapes and
 * NUL, encoded or not (MP_ERR_INVALID).
 */
int mp_url_decode(const char *s, size_t len, bool plus, char **out);

#endif
