/* The admin client's HTTP response parser: framing, limits, malformed input. */
#include <stdio.h>
#include <string.h>

#include "../../cli/http_response.h"
#include "check_main.h"
#include "err.h"

#define MAXB 1024

static int
parse(const char *s, bool eof, cli_http_response **out)
{
	return cli_http_parse(s, strlen(s), eof, MAXB, out);
}

START_TEST(content_length)
{
	const char *s = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
			"Content-Length: 11\r\n\r\n{\"id\":\"x\"}\n";
	cli_http_response *r = NULL;

	ck_assert_int_eq(parse(s, false, &r), MP_OK);
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(r->content_type, "application/json");
	ck_assert_uint_eq(r->body_len, 11);
	ck_assert_str_eq(r->body, "{\"id\":\"x\"}\n");
	ck_assert_int_eq(r->retry_after, -1);
	cli_http_response_free(r);
}
END_TEST

/* Header fields by name, from the final response after an interim one. */
START_TEST(header_fields)
{
	const char *s = "HTTP/1.1 100 Continue\r\nMessage-Type: 1\r\n\r\n"
			"HTTP/1.1 200 OK\r\nmessage-type:\t 61 \r\nAuthorization: Bearer abc\r\n"
			"X-Long: 0123456789\r\nContent-Length: 0\r\n\r\n";
	cli_http_response *r = NULL;
	char buf[11];

	ck_assert_int_eq(parse(s, false, &r), MP_OK);
	ck_assert_str_eq(cli_http_header(r, "Message-Type", buf, sizeof(buf)), "61");
	ck_assert_str_eq(cli_http_header(r, "AUTHORIZATION", buf, sizeof(buf)), "Bearer abc");
	ck_assert_str_eq(cli_http_header(r, "x-long", buf, sizeof(buf)), "0123456789");
	ck_assert_ptr_null(cli_http_header(r, "X-Long", buf, 10));
	ck_assert_ptr_null(cli_http_header(r, "Message", buf, sizeof(buf)));
	ck_assert_ptr_null(cli_http_header(r, "Retry-After", buf, sizeof(buf)));
	cli_http_response_free(r);
}
END_TEST

START_TEST(retry_after)
{
	static const struct {
		const char *value;
		long want;
	} cases[] = { { "600", 600 }, { " 0 ", 0 }, { "999999", 86400 }, { "-5", -1 },
		{ "Wed, 21 Oct 2026 07:28:00 GMT", -1 }, { "12345678901234", -1 } };
	char s[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cli_http_response *r = NULL;

		snprintf(s, sizeof(s), "HTTP/1.1 202 Accepted\r\nRetry-After: %s\r\n"
		    "Content-Length: 0\r\n\r\n", cases[i].value);
		ck_assert_int_eq(parse(s, false, &r), MP_OK);
		ck_assert_msg(r->retry_after == cases[i].want, "%s: %ld", cases[i].value,
		    r->retry_after);
		cli_http_response_free(r);
	}
}
END_TEST

START_TEST(incomplete)
{
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345";
	cli_http_response *r = NULL;

	ck_assert_int_eq(parse("HTTP/1.1 200 OK\r\nContent-Le", false, &r), CLI_HTTP_NEED_MORE);
	ck_assert_int_eq(parse(s, false, &r), CLI_HTTP_NEED_MORE);
	ck_assert_int_eq(parse(s, true, &r), MP_ERR_INVALID);
	ck_assert_ptr_null(r);
}
END_TEST

START_TEST(chunked)
{
	const char *s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
			"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n";
	cli_http_response *r = NULL;

	ck_assert_int_eq(parse(s, false, &r), MP_OK);
	ck_assert_str_eq(r->body, "hello world");
	ck_assert_uint_eq(r->body_len, 11);
	cli_http_response_free(r);
	r = NULL;
	ck_assert_int_eq(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", false,
			     &r),
	    CLI_HTTP_NEED_MORE);
	ck_assert_int_eq(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX",
			     false, &r),
	    MP_ERR_INVALID);
	ck_assert_int_eq(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false,
			     &r),
	    MP_ERR_INVALID);
	ck_assert_int_eq(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n401\r\n", false,
			     &r),
	    MP_ERR_TOO_LARGE);
	ck_assert_int_eq(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			       "ffffffffffffffffffff\r\n",
			     false, &r),
	    MP_ERR_TOO_LARGE);
	ck_assert_int_eq(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false,
			     &r),
	    MP_ERR_INVALID);
	ck_assert_int_eq(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			       "Content-Length: 3\r\n\r\n0\r\n\r\n",
			     false, &r),
	    MP_ERR_INVALID);
	ck_assert_ptr_null(r);
}
END_TEST

START_TEST(to_eof_and_no_body)
{
	cli_http_response *r = NULL;

	ck_assert_int_eq(parse("HTTP/1.0 200 OK\r\n\r\nabc", false, &r), CLI_HTTP_NEED_MORE);
	ck_assert_int_eq(parse("HTTP/1.0 200 OK\r\n\r\nabc", true, &r), MP_OK);
	ck_assert_str_eq(r->body, "abc");
	ck_assert_ptr_null(r->content_type);
	cli_http_response_free(r);
	r = NULL;
	ck_assert_int_eq(parse("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", false, &r),
	    MP_OK);
	ck_assert_int_eq(r->status, 204);
	ck_assert_uint_eq(r->body_len, 0);
	cli_http_response_free(r);
	r = NULL;
	ck_assert_int_eq(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 Unauthorized\r\n"
			       "Content-Length: 2\r\n\r\n{}",
			     false, &r),
	    MP_OK);
	ck_assert_int_eq(r->status, 401);
	ck_assert_str_eq(r->body, "{}");
	cli_http_response_free(r);
}
END_TEST

START_TEST(malformed)
{
	static const char *bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 600 Odd\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n",
		"HTTP/1.1 101 Switching\r\n\r\n",
		"HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n",
		"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\001b\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
	};
	cli_http_response *r = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], false, &r) == MP_ERR_INVALID, "case %zu", i);
	ck_assert_int_eq(parse("HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\n", false, &r),
	    MP_ERR_TOO_LARGE);
	ck_assert_int_eq(parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
			     false, &r),
	    MP_ERR_TOO_LARGE);
	ck_assert_ptr_null(r);
}
END_TEST

START_TEST(head_limit)
{
	size_t n = CLI_HTTP_MAX_HEAD + 10;
	char *s = malloc(n);
	cli_http_response *r = NULL;

	ck_assert_ptr_nonnull(s);
	memcpy(s, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(s + 20, 'a', n - 20);
	ck_assert_int_eq(cli_http_parse(s, n, false, MAXB, &r), MP_ERR_TOO_LARGE);
	ck_assert_int_eq(cli_http_parse(s, 100, false, MAXB, &r), CLI_HTTP_NEED_MORE);
	ck_assert_ptr_null(r);
	free(s);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("cli_http_response");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, content_length);
	tcase_add_test(tc, retry_after);
	tcase_add_test(tc, header_fields);
	tcase_add_test(tc, incomplete);
	tcase_add_test(tc, chunked);
	tcase_add_test(tc, to_eof_and_no_body);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, head_limit);
	suite_add_tcase(s, tc);
	return s;
}
