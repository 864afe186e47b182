/* The admin client's URL parsing and percent-encoding. */
#include <string.h>

#include "../../cli/admin_url.h"
#include "check_main.h"
#include "err.h"

START_TEST(good_urls)
{
	cli_url *u = NULL;

	ck_assert_int_eq(cli_url_parse("https://127.0.0.1:9443", &u), MP_OK);
	ck_assert_str_eq(u->host, "127.0.0.1");
	ck_assert_str_eq(u->port, "9443");
	ck_assert_str_eq(u->prefix, "");
	ck_assert(u->host_is_ip);
	cli_url_free(u);
	ck_assert_int_eq(cli_url_parse("https://pki.example.com/midpki/", &u), MP_OK);
	ck_assert_str_eq(u->host, "pki.example.com");
	ck_assert_str_eq(u->port, "443");
	ck_assert_str_eq(u->prefix, "/midpki");
	ck_assert(!u->host_is_ip);
	cli_url_free(u);
	ck_assert_int_eq(cli_url_parse("https://[::1]:8443/", &u), MP_OK);
	ck_assert_str_eq(u->host, "::1");
	ck_assert_str_eq(u->port, "8443");
	ck_assert(u->host_is_ip);
	ck_assert(u->tls);
	cli_url_free(u);
}
END_TEST

START_TEST(http_urls)
{
	cli_url *u = NULL;

	ck_assert_int_eq(cli_url_parse_http("http://pki.example/ssh/krl/x", &u), MP_OK);
	ck_assert_str_eq(u->host, "pki.example");
	ck_assert_str_eq(u->port, "80");
	ck_assert_str_eq(u->prefix, "/ssh/krl/x");
	ck_assert(!u->tls);
	cli_url_free(u);
	ck_assert_int_eq(cli_url_parse_http("https://127.0.0.1:9443/a", &u), MP_OK);
	ck_assert_str_eq(u->port, "9443");
	ck_assert(u->tls);
	cli_url_free(u);
	u = NULL;
	ck_assert_int_eq(cli_url_parse_http("ftp://h/x", &u), MP_ERR_INVALID);
	ck_assert_int_eq(cli_url_parse_http("http://h:0/x", &u), MP_ERR_INVALID);
	ck_assert_int_eq(cli_url_parse_http("http://u@h/x", &u), MP_ERR_INVALID);
	ck_assert_ptr_null(u);
}
END_TEST

START_TEST(bad_urls)
{
	static const char *bad[] = {
		"http://127.0.0.1:9443", "https://", "https://:9443", "https://h:0", "https://h:65536",
		"https://h:x", "https://user@h", "https://h/a?b=1", "https://h/a#f", "https://[::1",
		"https://[nope]:1", "https://h_x", "https://h/a b", "127.0.0.1:9443",
	};
	cli_url *u = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(cli_url_parse(bad[i], &u) == MP_ERR_INVALID, "%s", bad[i]);
	ck_assert_ptr_null(u);
}
END_TEST

START_TEST(encode)
{
	mp_buf *b = mp_buf_new(64);

	ck_assert_int_eq(cli_url_encode(b, "a b/c?d&e=f~g_h.i-j%\xc3\xa9"), MP_OK);
	ck_assert_str_eq(mp_buf_str(b), "a%20b%2Fc%3Fd%26e%3Df~g_h.i-j%25%C3%A9");
	mp_buf_free(b);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("cli_admin_url");
	TCase *tc = tcase_create("url");

	tcase_add_test(tc, good_urls);
	tcase_add_test(tc, bad_urls);
	tcase_add_test(tc, http_urls);
	tcase_add_test(tc, encode);
	suite_add_tcase(s, tc);
	return s;
}
