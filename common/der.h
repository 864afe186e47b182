/*
 * A reader of DER (X.690 distinguished encoding) from untrusted sources: a
 * cursor over a byte range that hands out one TLV at a time. It enforces the
 * DER rules every caller relies on — single-octet tags, definite minimal
 * lengths of at most 4 octets, contents inside the input — and never reads
 * outside the range it was given. Values stay in the caller's buffer.
 */
#ifndef MP_DER_H
#define MP_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MP_DER_BOOLEAN 0x01u
#define MP_DER_INTEGER 0x02u
#define MP_DER_BIT_STRING 0x03u
#define MP_DER_OCTET_STRING 0x04u
#define MP_DER_NULL 0x05u
#define MP_DER_OID 0x06u
#define MP_DER_ENUMERATED 0x0au
#define MP_DER_UTF8_STRING 0x0cu
#define MP_DER_PRINTABLE_STRING 0x13u
#define MP_DER_IA5_STRING 0x16u
#define MP_DER_GENERALIZED_TIME 0x18u
#define MP_DER_SEQUENCE 0x30u
#define MP_DER_SET 0x31u
/* [n] constructed (EXPLICIT, or IMPLICIT over a constructed type) and [n] primitive. */
#define MP_DER_CTX(n) (0xa0u | (unsigned)(n))
#define MP_DER_CTX_PRIM(n) (0x80u | (unsigned)(n))

typedef struct mp_der {
	const uint8_t *p;
	size_t len;
} mp_der;

/* One element: its identifier octet, its contents, and the whole encoding. */
typedef struct mp_der_tlv {
	unsigned tag;
	const uint8_t *value;
	size_t len;
	const uint8_t *whole;
	size_t whole_len;
} mp_der_tlv;

void mp_der_init(mp_der *d, const uint8_t *p, size_t len);
/* A cursor over the contents of t (a SEQUENCE, SET or constructed [n]). */
void mp_der_enter(const mp_der_tlv *t, mp_der *inner);
bool mp_der_empty(const mp_der *d);
/* The tag of the next element without consuming it, or -1 at the end. */
int mp_der_peek(const mp_der *d);

/* Reads the next element. MP_ERR_INVALID at the end or for anything not DER. */
int mp_der_next(mp_der *d, mp_der_tlv *t);
/* mp_der_next that also requires the tag; MP_ERR_INVALID for another one. */
int mp_der_expect(mp_der *d, unsigned tag, mp_der_tlv *t);
/*
 * Reads the next element only if it has tag; *present says whether it did.
 * MP_ERR_INVALID only when the element is malformed.
 */
int mp_der_optional(mp_der *d, unsigned tag, mp_der_tlv *t, bool *present);

/* Whether t is an OBJECT IDENTIFIER whose contents are oid (len bytes). */
bool mp_der_oid_is(const mp_der_tlv *t, const uint8_t *oid, size_t len);
/*
 * A non-negative INTEGER (or ENUMERATED) no larger than max, in minimal
 * encoding. MP_ERR_INVALID for a negative, non-minimal or larger value.
 */
int mp_der_uint(const mp_der_tlv *t, uint64_t max, uint64_t *out);
/*
 * The bytes of a BIT STRING with no unused bits (keys, signatures).
 * MP_ERR_INVALID for an empty string or one with unused bits.
 */
int mp_der_bits(const mp_der_tlv *t, const uint8_t **bits, size_t *len);
/*
 * Checks the structure of everything inside t, for contents handed on to a
 * lenient (BER) decoder: the contents of each constructed element are a run
 * of DER elements, to at most max_depth levels; SEQUENCE and SET are
 * constructed, the other universal types (strings) primitive; no
 * end-of-contents octets. MP_ERR_INVALID otherwise.
 */
int mp_der_check_tree(const mp_der_tlv *t, unsigned max_depth);

/*
 * For writers: the identifier and length octets of an element of len
 * content octets, written to out when it is not NULL; returns how many there
 * are (at most MP_DER_HEADER_MAX for len under 2^32).
 */
#define MP_DER_HEADER_MAX 6
size_t mp_der_header(uint8_t *out, unsigned tag, size_t len);

#endif
