#include <string.h>

#include "buf.h"
#include "check_main.h"
#include "err.h"

START_TEST(put_get_roundtrip)
{
	mp_buf *b = mp_buf_new(64);
	uint32_t v32;
	uint64_t v64;
	uint8_t v8;
	char *s = NULL;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(mp_buf_put_u8(b, 7), MP_OK);
	ck_assert_int_eq(mp_buf_put_u32(b, 0xdeadbeef), MP_OK);
	ck_assert_int_eq(mp_buf_put_u64(b, 0x0102030405060708ULL), MP_OK);
	ck_assert_int_eq(mp_buf_put_string(b, "hello", 5), MP_OK);
	ck_assert_uint_eq(mp_buf_len(b), 1 + 4 + 8 + 4 + 5);
	ck_assert_int_eq(mp_buf_get_u8(b, &v8), MP_OK);
	ck_assert_uint_eq(v8, 7);
	ck_assert_int_eq(mp_buf_get_u32(b, &v32), MP_OK);
	ck_assert_uint_eq(v32, 0xdeadbeef);
	ck_assert_int_eq(mp_buf_get_u64(b, &v64), MP_OK);
	ck_assert(v64 == 0x0102030405060708ULL);
	ck_assert_int_eq(mp_buf_get_cstring(b, 16, &s), MP_OK);
	ck_assert_str_eq(s, "hello");
	ck_assert_uint_eq(mp_buf_len(b), 0);
	ck_assert_int_eq(mp_buf_get_u8(b, &v8), MP_ERR_INVALID);
	free(s);
	mp_buf_free(b);
}
END_TEST

START_TEST(maximum_is_hard)
{
	mp_buf *b = mp_buf_new(10);

	ck_assert_int_eq(mp_buf_put(b, "0123456789", 10), MP_OK);
	ck_assert_int_eq(mp_buf_put_u8(b, 'x'), MP_ERR_TOO_LARGE);
	ck_assert_uint_eq(mp_buf_len(b), 10);
	ck_assert_str_eq(mp_buf_str(b), "0123456789");
	mp_buf_reset(b);
	ck_assert_int_eq(mp_buf_putf(b, "%s", "too long for ten"), MP_ERR_TOO_LARGE);
	ck_assert_int_eq(mp_buf_putf(b, "%d-%s", 42, "ok"), MP_OK);
	ck_assert_str_eq(mp_buf_str(b), "42-ok");
	mp_buf_free(b);
	mp_buf_free(NULL);
}
END_TEST

START_TEST(cstring_refuses_nul_and_overlong)
{
	mp_buf *b = mp_buf_new(64);
	char *s = NULL;

	ck_assert_int_eq(mp_buf_put_string(b, "a\0b", 3), MP_OK);
	ck_assert_int_eq(mp_buf_get_cstring(b, 16, &s), MP_ERR_INVALID);
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(mp_buf_len(b), 7); /* nothing consumed */
	mp_buf_reset(b);
	ck_assert_int_eq(mp_buf_put_string(b, "abcdef", 6), MP_OK);
	ck_assert_int_eq(mp_buf_get_cstring(b, 5, &s), MP_ERR_TOO_LARGE);
	mp_buf_reset(b);
	/* a declared length beyond the data */
	ck_assert_int_eq(mp_buf_put_u32(b, 1000), MP_OK);
	ck_assert_int_eq(mp_buf_put(b, "abc", 3), MP_OK);
	ck_assert_int_eq(mp_buf_get_cstring(b, 4096, &s), MP_ERR_INVALID);
	mp_buf_free(b);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, put_get_roundtrip);
	tcase_add_test(tc, maximum_is_hard);
	tcase_add_test(tc, cstring_refuses_nul_and_overlong);
	suite_add_tcase(s, tc);
	return s;
}
