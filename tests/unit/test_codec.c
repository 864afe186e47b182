#include <string.h>

#include "check_main.h"
#include "codec.h"
#include "err.h"
#include "num.h"
#include "secure.h"

/* RFC 4648 section 10 test vectors */
static const char *const rfc4648[][2] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
};

START_TEST(base64_rfc4648_vectors)
{
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		char *enc = NULL;
		uint8_t *dec = NULL;
		size_t n = 0;
		const char *in = rfc4648[i][0];

		ck_assert_int_eq(mp_b64_encode((const uint8_t *)in, strlen(in), false, &enc), MP_OK);
		ck_assert_str_eq(enc, rfc4648[i][1]);
		ck_assert_int_eq(mp_b64_decode(enc, strlen(enc), false, 64, &dec, &n), MP_OK);
		ck_assert_uint_eq(n, strlen(in));
		ck_assert(memcmp(dec, in, n) == 0);
		free(enc);
		free(dec);
	}
}
END_TEST

START_TEST(base64_wrapping_and_errors)
{
	uint8_t *dec = NULL;
	size_t n = 0;
	const char *wrapped = "Zm9v\r\nYmFy\n";
	const uint8_t bin[] = { 0xfb, 0xff, 0xfe };
	char *enc = NULL;

	ck_assert_int_eq(mp_b64_decode(wrapped, strlen(wrapped), false, 64, &dec, &n), MP_OK);
	ck_assert_uint_eq(n, 6);
	ck_assert(memcmp(dec, "foobar", 6) == 0);
	free(dec);
	ck_assert_int_eq(mp_b64_decode("Zm9v!", 5, false, 64, &dec, &n), MP_ERR_INVALID);
	ck_assert_int_eq(mp_b64_decode("Zg=", 3, false, 64, &dec, &n), MP_ERR_INVALID);
	ck_assert_int_eq(mp_b64_decode("Zg==Zg==", 8, false, 64, &dec, &n), MP_ERR_INVALID);
	ck_assert_int_eq(mp_b64_decode("Z", 1, false, 64, &dec, &n), MP_ERR_INVALID);
	ck_assert_int_eq(mp_b64_decode("Zm9vYmFy", 8, false, 5, &dec, &n), MP_ERR_TOO_LARGE);
	/* non-canonical trailing bits */
	ck_assert_int_eq(mp_b64_decode("Zh==", 4, false, 64, &dec, &n), MP_ERR_INVALID);
	/* URL-safe: no padding, '-' and '_' */
	ck_assert_int_eq(mp_b64_encode(bin, 3, true, &enc), MP_OK);
	ck_assert_str_eq(enc, "-__-");
	free(enc);
	ck_assert_int_eq(mp_b64_decode("Zg", 2, true, 64, &dec, &n), MP_OK);
	ck_assert_uint_eq(n, 1);
	free(dec);
	ck_assert_int_eq(mp_b64_decode("Zm9v\n", 5, true, 64, &dec, &n), MP_ERR_INVALID);
}
END_TEST

START_TEST(hex_roundtrip_and_errors)
{
	const uint8_t bin[] = { 0x00, 0xab, 0x7f, 0xff };
	uint8_t *dec = NULL;
	char *enc = NULL;
	size_t n = 0;

	ck_assert_int_eq(mp_hex_encode(bin, 4, &enc), MP_OK);
	ck_assert_str_eq(enc, "00ab7fff");
	ck_assert_int_eq(mp_hex_decode("00AB7ffF", 8, 4, &dec, &n), MP_OK);
	ck_assert_uint_eq(n, 4);
	ck_assert(memcmp(dec, bin, 4) == 0);
	free(dec);
	free(enc);
	ck_assert_int_eq(mp_hex_decode("abc", 3, 4, &dec, &n), MP_ERR_INVALID);
	ck_assert_int_eq(mp_hex_decode("zz", 2, 4, &dec, &n), MP_ERR_INVALID);
	ck_assert_int_eq(mp_hex_decode("0011223344", 10, 4, &dec, &n), MP_ERR_TOO_LARGE);
}
END_TEST

START_TEST(hex_decode_fixed)
{
	const uint8_t want[4] = { 0x00, 0xab, 0x7f, 0xff }, zero[4] = { 0 };
	uint8_t out[4];

	ck_assert_int_eq(mp_hex_decode_fixed("00AB7ffF", 8, out, 4), MP_OK);
	ck_assert_mem_eq(out, want, 4);
	/* a bad digit anywhere: refused, and what was decoded is wiped */
	ck_assert_int_eq(mp_hex_decode_fixed("00ab7fgf", 8, out, 4), MP_ERR_INVALID);
	ck_assert_mem_eq(out, zero, 4);
	ck_assert_int_eq(mp_hex_decode_fixed("00ab7f", 6, out, 4), MP_ERR_INVALID);
	ck_assert_int_eq(mp_hex_decode_fixed("00ab7fff00", 10, out, 4), MP_ERR_INVALID);
	ck_assert_int_eq(mp_hex_decode_fixed("", 0, out, 0), MP_OK);
}
END_TEST

START_TEST(pem_roundtrip)
{
	uint8_t der[100], *dec = NULL;
	char *pem = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(der); i++)
		der[i] = (uint8_t)i;
	ck_assert_int_eq(mp_pem_encode("CERTIFICATE", der, sizeof(der), &pem), MP_OK);
	ck_assert(strncmp(pem, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
	ck_assert_ptr_nonnull(strstr(pem, "-----END CERTIFICATE-----\n"));
	ck_assert_int_eq(mp_pem_decode(pem, strlen(pem), "CERTIFICATE", 4096, &dec, &n), MP_OK);
	ck_assert_uint_eq(n, sizeof(der));
	ck_assert(memcmp(dec, der, n) == 0);
	free(dec);
	ck_assert_int_eq(mp_pem_decode(pem, strlen(pem), "PRIVATE KEY", 4096, &dec, &n),
	    MP_ERR_NOT_FOUND);
	ck_assert_int_eq(mp_pem_decode(pem, 40, "CERTIFICATE", 4096, &dec, &n), MP_ERR_INVALID);
	free(pem);
}
END_TEST

START_TEST(url_decode)
{
	char *out = NULL;

	ck_assert_int_eq(mp_url_decode("/a%20b+c", 8, false, &out), MP_OK);
	ck_assert_str_eq(out, "/a b+c");
	free(out);
	ck_assert_int_eq(mp_url_decode("a+b%2Bc", 7, true, &out), MP_OK);
	ck_assert_str_eq(out, "a b+c");
	free(out);
	ck_assert_int_eq(mp_url_decode("%4", 2, false, &out), MP_ERR_INVALID);
	ck_assert_int_eq(mp_url_decode("%zz", 3, false, &out), MP_ERR_INVALID);
	ck_assert_int_eq(mp_url_decode("a%00b", 5, false, &out), MP_ERR_INVALID);
	ck_assert_int_eq(mp_url_decode("a\0b", 3, false, &out), MP_ERR_INVALID);
	ck_assert_int_eq(mp_url_decode("%41", 3, false, &out), MP_OK);
	ck_assert_str_eq(out, "A");
	free(out);
}
END_TEST

START_TEST(numbers_and_durations)
{
	uint64_t v = 0;

	ck_assert_int_eq(mp_parse_u64("65535", 65535, &v), MP_OK);
	ck_assert(v == 65535);
	ck_assert_int_eq(mp_parse_u64("65536", 65535, &v), MP_ERR_TOO_LARGE);
	ck_assert_int_eq(mp_parse_u64("-1", 10, &v), MP_ERR_INVALID);
	ck_assert_int_eq(mp_parse_u64(" 1", 10, &v), MP_ERR_INVALID);
	ck_assert_int_eq(mp_parse_u64("", 10, &v), MP_ERR_INVALID);
	ck_assert_int_eq(mp_parse_u64("99999999999999999999999", UINT64_MAX, &v),
	    MP_ERR_TOO_LARGE);
	ck_assert_int_eq(mp_parse_duration_ms("250ms", 100000, &v), MP_OK);
	ck_assert(v == 250);
	ck_assert_int_eq(mp_parse_duration_ms("8h", UINT64_MAX, &v), MP_OK);
	ck_assert(v == 8ULL * 3600 * 1000);
	ck_assert_int_eq(mp_parse_duration_ms("30", 100000, &v), MP_OK);
	ck_assert(v == 30000);
	ck_assert_int_eq(mp_parse_duration_ms("2w", 100000000, &v), MP_ERR_INVALID);
	ck_assert_int_eq(mp_parse_duration_ms("2d", 1000, &v), MP_ERR_TOO_LARGE);
}
END_TEST

START_TEST(constant_time_equal)
{
	ck_assert(mp_ct_equal("abc", 3, "abc", 3));
	ck_assert(!mp_ct_equal("abc", 3, "abd", 3));
	ck_assert(!mp_ct_equal("abc", 3, "abcd", 4));
	ck_assert(mp_ct_equal("", 0, "", 0));
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, base64_rfc4648_vectors);
	tcase_add_test(tc, base64_wrapping_and_errors);
	tcase_add_test(tc, hex_roundtrip_and_errors);
	tcase_add_test(tc, hex_decode_fixed);
	tcase_add_test(tc, pem_roundtrip);
	tcase_add_test(tc, url_decode);
	tcase_add_test(tc, numbers_and_durations);
	tcase_add_test(tc, constant_time_equal);
	suite_add_tcase(s, tc);
	return s;
}
