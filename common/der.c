#include "der.h"

#include <string.h>

#include "err.h"

void
mp_der_init(mp_der *d, const uint8_t *p, size_t len)
{
	d->p = p;
	d->len = p != NULL ? len : 0;
}

void
mp_der_enter(const mp_der_tlv *t, mp_der *inner)
{
	mp_der_init(inner, t->value, t->len);
}

bool
mp_der_empty(const mp_der *d)
{
	return d->len == 0;
}

int
mp_der_peek(const mp_der *d)
{
	return d->len > 0 ? d->p[0] : -1;
}

int
mp_der_next(mp_der *d, mp_der_tlv *t)
{
	size_t hdr = 2, len;
	unsigned n;

	if (d->len < 2)
		return MP_ERR_INVALID;
	/* tag numbers of 31 and above (multi-octet tags) appear in nothing we read */
	if ((d->p[0] & 0x1fu) == 0x1fu)
		return MP_ERR_INVALID;
	len = d->p[1];
	if (len & 0x80u) {
		n = len & 0x7fu;
		/* 0x80 is the indefinite form (BER only); more than 4 octets is never needed */
		if (n == 0 || n > 4 || d->len < 2 + (size_t)n)
			return MP_ERR_INVALID;
		len = 0;
		for (unsigned i = 0; i < n; i++)
			len = (len << 8) | d->p[2 + i];
		/* minimal: no leading zero octet, and the long form only from 128 on */
		if (d->p[2] == 0 || len < 0x80)
			return MP_ERR_INVALID;
		hdr += n;
	}
	if (len > d->len - hdr)
		return MP_ERR_INVALID;
	t->tag = d->p[0];
	t->whole = d->p;
	t->whole_len = hdr + len;
	t->value = d->p + hdr;
	t->len = len;
	d->p += t->whole_len;
	d->len -= t->whole_len;
	return MP_OK;
}

int
mp_der_expect(mp_der *d, unsigned tag, mp_der_tlv *t)
{
	if (mp_der_peek(d) != (int)tag)
		return MP_ERR_INVALID;
	return mp_der_next(d, t);
}

int
mp_der_optional(mp_der *d, unsigned tag, mp_der_tlv *t, bool *present)
{
	*present = false;
	if (mp_der_peek(d) != (int)tag)
		return MP_OK;
	if (mp_der_next(d, t) != MP_OK)
		return MP_ERR_INVALID;
	*present = true;
	return MP_OK;
}

bool
mp_der_oid_is(const mp_der_tlv *t, const uint8_t *oid, size_t len)
{
	return t->tag == MP_DER_OID && t->len == len && memcmp(t->value, oid, len) == 0;
}

int
mp_der_uint(const mp_der_tlv *t, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if ((t->tag != MP_DER_INTEGER && t->tag != MP_DER_ENUMERATED) || t->len == 0 ||
	    (t->value[0] & 0x80u))
		return MP_ERR_INVALID;
	/* a leading zero octet only to keep the next one's top bit from meaning "negative" */
	if (t->len > 1 && t->value[0] == 0 && !(t->value[1] & 0x80u))
		return MP_ERR_INVALID;
	for (size_t i = 0; i < t->len; i++) {
		if (v > (UINT64_MAX >> 8))
			return MP_ERR_INVALID;
		v = (v << 8) | t->value[i];
		if (v > max)
			return MP_ERR_INVALID;
	}
	*out = v;
	return MP_OK;
}

int
mp_der_bits(const mp_der_tlv *t, const uint8_t **bits, size_t *len)
{
	if (t->tag != MP_DER_BIT_STRING || t->len < 2 || t->value[0] != 0)
		return MP_ERR_INVALID;
	*bits = t->value + 1;
	*len = t->len - 1;
	return MP_OK;
}

int
mp_der_check_tree(const mp_der_tlv *t, unsigned max_depth)
{
	bool constructed = (t->tag & 0x20u) != 0;
	unsigned number = t->tag & 0x1fu;
	mp_der inner;
	mp_der_tlv e;

	/* universal class: number 0 is end-of-contents; 16 and 17 are SEQUENCE and SET */
	if ((t->tag & 0xc0u) == 0 &&
	    (number == 0 || constructed != (number == 0x10u || number == 0x11u)))
		return MP_ERR_INVALID;
	if (!constructed)
		return MP_OK;
	if (max_depth == 0)
		return MP_ERR_INVALID;
	mp_der_enter(t, &inner);
	while (!mp_der_empty(&inner)) {
		if (mp_der_next(&inner, &e) != MP_OK || mp_der_check_tree(&e, max_depth - 1) != MP_OK)
			return MP_ERR_INVALID;
	}
	return MP_OK;
}

size_t
mp_der_header(uint8_t *out, unsigned tag, size_t len)
{
	size_t n = 0;

	if (len >= 0x80)
		for (size_t v = len; v > 0; v >>= 8)
			n++;
	if (out != NULL) {
		out[0] = (uint8_t)tag;
		if (n == 0) {
			out[1] = (uint8_t)len;
		} else {
			out[1] = (uint8_t)(0x80u | n);
			for (size_t i = 0; i < n; i++)
				out[2 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
		}
	}
	return 2 + n;
}
