#include <string.h>

#include "check_main.h"
#include "der.h"
#include "err.h"

#define RD(d, ...) \
	static const uint8_t d##_bytes[] = { __VA_ARGS__ }; \
	mp_der d; \
	mp_der_init(&d, d##_bytes, sizeof(d##_bytes))

START_TEST(sequence_walk)
{
	/* SEQUENCE { INTEGER 5, OID 1.2.840.10045.3.1.7, [0] { NULL } } */
	RD(d, 0x30, 0x11, 0x02, 0x01, 0x05, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01,
	    0x07, 0xa0, 0x02, 0x05, 0x00);
	static const uint8_t p256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	mp_der_tlv seq, t;
	mp_der in;
	uint64_t v;
	bool present;

	ck_assert_int_eq(mp_der_expect(&d, MP_DER_SEQUENCE, &seq), MP_OK);
	ck_assert(mp_der_empty(&d));
	ck_assert_uint_eq(seq.whole_len, 19);
	mp_der_enter(&seq, &in);
	ck_assert_int_eq(mp_der_expect(&in, MP_DER_INTEGER, &t), MP_OK);
	ck_assert_int_eq(mp_der_uint(&t, 10, &v), MP_OK);
	ck_assert_uint_eq(v, 5);
	ck_assert_int_eq(mp_der_uint(&t, 4, &v), MP_ERR_INVALID);
	ck_assert_int_eq(mp_der_optional(&in, MP_DER_BOOLEAN, &t, &present), MP_OK);
	ck_assert(!present);
	ck_assert_int_eq(mp_der_next(&in, &t), MP_OK);
	ck_assert(mp_der_oid_is(&t, p256, sizeof(p256)));
	ck_assert(!mp_der_oid_is(&t, p256, sizeof(p256) - 1));
	ck_assert_int_eq(mp_der_optional(&in, MP_DER_CTX(0), &t, &present), MP_OK);
	ck_assert(present);
	ck_assert_uint_eq(t.len, 2);
	ck_assert(mp_der_empty(&in));
	ck_assert_int_eq(mp_der_peek(&in), -1);
	ck_assert_int_eq(mp_der_next(&in, &t), MP_ERR_INVALID);
}
END_TEST

START_TEST(long_lengths)
{
	uint8_t buf[300] = { 0x04, 0x81, 0x80 };
	mp_der d;
	mp_der_tlv t;

	mp_der_init(&d, buf, 3 + 0x80);
	ck_assert_int_eq(mp_der_next(&d, &t), MP_OK);
	ck_assert_uint_eq(t.len, 0x80);
	ck_assert_ptr_eq(t.value, buf + 3);
	/* 127 in the long form is not minimal */
	buf[2] = 0x7f;
	mp_der_init(&d, buf, 3 + 0x7f);
	ck_assert_int_eq(mp_der_next(&d, &t), MP_ERR_INVALID);
	/* leading zero length octet */
	buf[1] = 0x82;
	buf[2] = 0x00;
	buf[3] = 0x80;
	mp_der_init(&d, buf, 4 + 0x80);
	ck_assert_int_eq(mp_der_next(&d, &t), MP_ERR_INVALID);
	/* two-octet length 0x0100 */
	buf[2] = 0x01;
	buf[3] = 0x00;
	mp_der_init(&d, buf, 4 + 0x100);
	ck_assert_int_eq(mp_der_next(&d, &t), MP_OK);
	ck_assert_uint_eq(t.len, 0x100);
	ck_assert_uint_eq(t.whole_len, 4 + 0x100);
}
END_TEST

START_TEST(refusals)
{
	mp_der_tlv t;

	{	/* contents run past the input */
		RD(d, 0x30, 0x05, 0x02, 0x01);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_ERR_INVALID);
	}
	{	/* indefinite length */
		RD(d, 0x30, 0x80, 0x00, 0x00);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_ERR_INVALID);
	}
	{	/* multi-octet tag */
		RD(d, 0x1f, 0x81, 0x01, 0x00);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_ERR_INVALID);
	}
	{	/* length of 5 octets */
		RD(d, 0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_ERR_INVALID);
	}
	{	/* one byte only */
		RD(d, 0x30);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_ERR_INVALID);
	}
	{	/* the wrong tag leaves the cursor where it was */
		RD(d, 0x02, 0x01, 0x01);
		ck_assert_int_eq(mp_der_expect(&d, MP_DER_SEQUENCE, &t), MP_ERR_INVALID);
		ck_assert_int_eq(mp_der_peek(&d), MP_DER_INTEGER);
	}
}
END_TEST

START_TEST(integers)
{
	mp_der_tlv t;
	uint64_t v;

	{
		RD(d, 0x02, 0x02, 0x00, 0x80);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_OK);
		ck_assert_int_eq(mp_der_uint(&t, UINT64_MAX, &v), MP_OK);
		ck_assert_uint_eq(v, 128);
	}
	{	/* non-minimal */
		RD(d, 0x02, 0x02, 0x00, 0x7f);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_OK);
		ck_assert_int_eq(mp_der_uint(&t, UINT64_MAX, &v), MP_ERR_INVALID);
	}
	{	/* negative */
		RD(d, 0x02, 0x01, 0xff);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_OK);
		ck_assert_int_eq(mp_der_uint(&t, UINT64_MAX, &v), MP_ERR_INVALID);
	}
	{	/* empty */
		RD(d, 0x02, 0x00);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_OK);
		ck_assert_int_eq(mp_der_uint(&t, UINT64_MAX, &v), MP_ERR_INVALID);
	}
	{	/* 2^64 does not fit */
		RD(d, 0x02, 0x09, 0x01, 0, 0, 0, 0, 0, 0, 0, 0);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_OK);
		ck_assert_int_eq(mp_der_uint(&t, UINT64_MAX, &v), MP_ERR_INVALID);
	}
	{	/* 2^64 - 1 does */
		RD(d, 0x02, 0x09, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_OK);
		ck_assert_int_eq(mp_der_uint(&t, UINT64_MAX, &v), MP_OK);
		ck_assert(v == UINT64_MAX);
	}
	{	/* ENUMERATED reads the same way; a BOOLEAN does not */
		RD(d, 0x0a, 0x01, 0x03, 0x01, 0x01, 0xff);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_OK);
		ck_assert_int_eq(mp_der_uint(&t, 10, &v), MP_OK);
		ck_assert_uint_eq(v, 3);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_OK);
		ck_assert_int_eq(mp_der_uint(&t, 10, &v), MP_ERR_INVALID);
	}
}
END_TEST

START_TEST(bit_strings)
{
	mp_der_tlv t;
	const uint8_t *bits;
	size_t n;

	{
		RD(d, 0x03, 0x03, 0x00, 0xab, 0xcd);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_OK);
		ck_assert_int_eq(mp_der_bits(&t, &bits, &n), MP_OK);
		ck_assert_uint_eq(n, 2);
		ck_assert_uint_eq(bits[0], 0xab);
	}
	{	/* unused bits */
		RD(d, 0x03, 0x02, 0x04, 0xa0);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_OK);
		ck_assert_int_eq(mp_der_bits(&t, &bits, &n), MP_ERR_INVALID);
	}
	{	/* nothing but the unused-bits octet */
		RD(d, 0x03, 0x01, 0x00);
		ck_assert_int_eq(mp_der_next(&d, &t), MP_OK);
		ck_assert_int_eq(mp_der_bits(&t, &bits, &n), MP_ERR_INVALID);
	}
}
END_TEST

/* mp_der_next on a single-element input, then mp_der_check_tree of it with depth max. */
static int
tree(const uint8_t *p, size_t n, unsigned max)
{
	mp_der d;
	mp_der_tlv t;

	mp_der_init(&d, p, n);
	ck_assert_int_eq(mp_der_next(&d, &t), MP_OK);
	return mp_der_check_tree(&t, max);
}

START_TEST(check_tree)
{
	/* SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String "a" } }, [0] { INTEGER 1 }, [1] "x" } */
	static const uint8_t good[] = { 0x30, 0x14, 0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55,
		0x04, 0x03, 0x0c, 0x01, 0x61, 0xa0, 0x03, 0x02, 0x01, 0x01, 0x81, 0x01, 0x78 };
	/* an inner element longer than its parent's contents */
	static const uint8_t overrun[] = { 0x30, 0x04, 0x31, 0x05, 0x05, 0x00 };
	/* bytes after the last inner element that are not an element */
	static const uint8_t ragged[] = { 0x30, 0x03, 0x05, 0x00, 0x01 };
	/* BER: a constructed OCTET STRING, a primitive SEQUENCE, end-of-contents octets */
	static const uint8_t cons_string[] = { 0x30, 0x05, 0x24, 0x03, 0x04, 0x01, 0x61 };
	static const uint8_t prim_seq[] = { 0x30, 0x02, 0x10, 0x00 };
	static const uint8_t eoc[] = { 0x30, 0x04, 0x05, 0x00, 0x00, 0x00 };
	/* an indefinite length inside */
	static const uint8_t indef[] = { 0x30, 0x06, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00 };
	/* a primitive element is not looked into */
	static const uint8_t opaque[] = { 0x04, 0x02, 0x30, 0x80 };

	ck_assert_int_eq(tree(good, sizeof(good), 3), MP_OK);
	ck_assert_int_eq(tree(good, sizeof(good), 2), MP_ERR_INVALID);
	ck_assert_int_eq(tree(overrun, sizeof(overrun), 8), MP_ERR_INVALID);
	ck_assert_int_eq(tree(ragged, sizeof(ragged), 8), MP_ERR_INVALID);
	ck_assert_int_eq(tree(cons_string, sizeof(cons_string), 8), MP_ERR_INVALID);
	ck_assert_int_eq(tree(prim_seq, sizeof(prim_seq), 8), MP_ERR_INVALID);
	ck_assert_int_eq(tree(eoc, sizeof(eoc), 8), MP_ERR_INVALID);
	ck_assert_int_eq(tree(indef, sizeof(indef), 8), MP_ERR_INVALID);
	ck_assert_int_eq(tree(opaque, sizeof(opaque), 0), MP_OK);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("der");
	TCase *tc = tcase_create("der");

	tcase_add_test(tc, sequence_walk);
	tcase_add_test(tc, long_lengths);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, integers);
	tcase_add_test(tc, bit_strings);
	tcase_add_test(tc, check_tree);
	suite_add_tcase(s, tc);
	return s;
}
