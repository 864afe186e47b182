/*
 * mp_buf: a growable byte buffer with a hard maximum fixed at creation, a read
 * offset for parsing, and a free that wipes. Every put refuses to grow past the
 * maximum (MP_ERR_TOO_LARGE); every get refuses to read past the end
 * (MP_ERR_INVALID). The data is always followed by a NUL that is not counted.
 */
#ifndef MP_BUF_H
#define MP_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mp_buf mp_buf;

/* A new empty buffer that will never hold more than max bytes; NULL on ENOMEM. */
mp_buf *mp_buf_new(size_t max);
/* Wipes the contents and frees. b may be NULL. */
void mp_buf_free(mp_buf *b);
/* Wipes and empties the buffer, keeping its maximum. */
void mp_buf_reset(mp_buf *b);

size_t mp_buf_len(const mp_buf *b);       /* bytes not yet read */
const uint8_t *mp_buf_ptr(const mp_buf *b);/* first unread byte, NUL-terminated */
const char *mp_buf_str(const mp_buf *b);   /* the same, as a C string */

int mp_buf_put(mp_buf *b, const void *p, size_t n);
int mp_buf_put_str(mp_buf *b, const char *s);
int mp_buf_put_u8(mp_buf *b, uint8_t v);
int mp_buf_put_u32(mp_buf *b, uint32_t v);   /* big-endian */
int mp_buf_put_u64(mp_buf *b, uint64_t v);   /* big-endian */
/* A u32 big-endian length followed by the bytes. */
int mp_buf_put_string(mp_buf *b, const void *p, size_t n);
int mp_buf_putf(mp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mp_buf_vputf(mp_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

int mp_buf_get(mp_buf *b, void *out, size_t n);
int mp_buf_get_u8(mp_buf *b, uint8_t *v);
int mp_buf_get_u32(mp_buf *b, uint32_t *v);
int mp_buf_get_u64(mp_buf *b, uint64_t *v);
/*
 * Reads a u32-length-prefixed string of at most maxlen bytes into a new
 * NUL-terminated allocation; refuses an embedded NUL (MP_ERR_INVALID).
 */
int mp_buf_get_cstring(mp_buf *b, size_t maxlen, char **out);
/*
 * Reads a u32-length-prefixed string of at most maxlen bytes in place: *p
 * points into the buffer, valid until the buffer is next changed or freed.
 */
int mp_buf_get_string_direct(mp_buf *b, size_t maxlen, const uint8_t **p, size_t *len);
/* Skips n unread bytes. */
int mp_buf_consume(mp_buf *b, size_t n);

#endif
