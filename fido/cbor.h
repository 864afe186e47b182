/*
 * CBOR (RFC 8949) for FDO: a reader of untrusted bytes and a writer into an
 * mp_buf. The reader is a cursor over a byte range that hands out one item
 * head at a time, decoded by libcbor's streaming decoder; it accepts definite
 * lengths only, checks every declared count against the bytes that remain
 * (so a length never drives an allocation), and never reads outside its
 * range. Strings and whole items stay in the caller's buffer, so a signed or
 * hashed item is seen in exactly the bytes that were received.
 */
#ifndef FDO_CBOR_H
#define FDO_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Major types as fdo_cbor_peek reports them. */
enum fdo_cbor_type {
	FDO_CBOR_UINT = 0,
	FDO_CBOR_NEGINT = 1,
	FDO_CBOR_BSTR = 2,
	FDO_CBOR_TSTR = 3,
	FDO_CBOR_ARRAY = 4,
	FDO_CBOR_MAP = 5,
	FDO_CBOR_TAG = 6,
	FDO_CBOR_SIMPLE = 7,  /* false, true, null, undefined, floats */
};

typedef struct fdo_cbor {
	const uint8_t *p;
	size_t len;
} fdo_cbor;

void fdo_cbor_init(fdo_cbor *c, const uint8_t *p, size_t len);
bool fdo_cbor_empty(const fdo_cbor *c);
/* The major type of the next item, or -1 at the end. */
int fdo_cbor_peek(const fdo_cbor *c);

/*
 * Each reads the next item's head (and a string's contents) when it is of the
 * type asked for; MP_ERR_INVALID, with the cursor unmoved, otherwise.
 */
int fdo_cbor_array(fdo_cbor *c, size_t *n);
/* An array of exactly n items. */
int fdo_cbor_array_n(fdo_cbor *c, size_t n);
int fdo_cbor_map(fdo_cbor *c, size_t *n);
/* An unsigned integer no larger than max. */
int fdo_cbor_uint(fdo_cbor *c, uint64_t max, uint64_t *v);
/* An unsigned or negative integer that fits an int64_t. */
int fdo_cbor_int(fdo_cbor *c, int64_t *v);
int fdo_cbor_bstr(fdo_cbor *c, const uint8_t **p, size_t *n);
int fdo_cbor_tstr(fdo_cbor *c, const char **p, size_t *n);
int fdo_cbor_tag(fdo_cbor *c, uint64_t *tag);
int fdo_cbor_bool(fdo_cbor *c, bool *v);
/* Consumes a null when it comes next; says whether it did. */
bool fdo_cbor_null(fdo_cbor *c);
/*
 * Passes over one whole item, whatever its nesting, and gives its encoding
 * (start, len; either may be NULL). MP_ERR_INVALID when it is malformed.
 */
int fdo_cbor_skip(fdo_cbor *c, const uint8_t **start, size_t *len);
/* Whether p..n is exactly one well-formed item (definite lengths only). */
bool fdo_cbor_is_item(const uint8_t *p, size_t n);

/* Writers: each appends one head (and a string's contents); MP_ERR_TOO_LARGE at b's maximum. */
int fdo_put_array(mp_buf *b, size_t n);
int fdo_put_map(mp_buf *b, size_t n);
int fdo_put_uint(mp_buf *b, uint64_t v);
int fdo_put_int(mp_buf *b, int64_t v);
int fdo_put_bstr(mp_buf *b, const void *p, size_t n);
/* Only the head of a byte string of n bytes; the caller appends them. */
int fdo_put_bstr_head(mp_buf *b, size_t n);
int fdo_put_tstr(mp_buf *b, const char *s, size_t n);
int fdo_put_tag(mp_buf *b, uint64_t tag);
int fdo_put_null(mp_buf *b);
int fdo_put_bool(mp_buf *b, bool v);

#endif
