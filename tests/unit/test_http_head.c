/* Request framing of the plain listeners: heads parsed in place, chunked bodies decoded. */
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "http_head.h"

/* Parses s (copied: the parser writes into its buffer) into h. */
static enum http_head_result
parse(const char *s, char *buf, size_t cap, struct http_head *h)
{
	size_t n = strlen(s);

	ck_assert_uint_lt(n, cap);
	memcpy(buf, s, n + 1);
	return http_head_parse(buf, n, h);
}

START_TEST(test_get)
{
	char buf[512];
	struct http_head h;
	const char *s = "GET /ocsp/MEM%2Bw?x=1 HTTP/1.1\r\nHost: a\r\n"
	                "If-None-Match:  \"ab\" \t\r\n\r\nNEXT";

	ck_assert_int_eq(parse(s, buf, sizeof(buf), &h), HTTP_HEAD_OK);
	ck_assert_str_eq(h.method, "GET");
	ck_assert_str_eq(h.target, "/ocsp/MEM%2Bw?x=1");
	ck_assert_int_eq(h.minor, 1);
	ck_assert_uint_eq(h.nfields, 2);
	ck_assert_str_eq(http_head_field(&h, "if-none-match"), "\"ab\"");
	ck_assert_str_eq(http_head_field(&h, "HOST"), "a");
	ck_assert_ptr_null(http_head_field(&h, "Content-Length"));
	ck_assert_uint_eq(h.len, strlen(s) - 4);
	ck_assert(!h.close && !h.has_length && !h.chunked);
}
END_TEST

START_TEST(test_partial_leaves_buffer)
{
	const char *full = "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n";
	char buf[128];
	struct http_head h;

	for (size_t n = 0; n < strlen(full); n++) {
		memcpy(buf, full, strlen(full) + 1);
		ck_assert_int_eq(http_head_parse(buf, n, &h), HTTP_HEAD_PARTIAL);
		ck_assert_str_eq(buf, full);
	}
	ck_assert_int_eq(parse(full, buf, sizeof(buf), &h), HTTP_HEAD_OK);
	ck_assert(h.has_length);
	ck_assert_uint_eq(h.length, 3);
}
END_TEST

START_TEST(test_connection_rules)
{
	char buf[256];
	struct http_head h;

	ck_assert_int_eq(parse("\r\n\nGET / HTTP/1.0\n\n", buf, sizeof(buf), &h), HTTP_HEAD_OK);
	ck_assert_int_eq(h.minor, 0);
	ck_assert(h.close);
	ck_assert_uint_eq(h.len, 19);
	ck_assert_int_eq(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", buf, sizeof(buf), &h),
	    HTTP_HEAD_OK);
	ck_assert(!h.close && h.keep_alive);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", buf, sizeof(buf), &h),
	    HTTP_HEAD_OK);
	ck_assert(h.close);
	ck_assert_int_eq(parse("PUT / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 9\r\n\r\n",
	                     buf, sizeof(buf), &h), HTTP_HEAD_OK);
	ck_assert(h.expect_continue);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", buf,
	                     sizeof(buf), &h), HTTP_HEAD_OK);
	ck_assert(h.chunked);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n",
	                     buf, sizeof(buf), &h), HTTP_HEAD_OK);
	ck_assert_uint_eq(h.length, 7);
}
END_TEST

START_TEST(test_refusals)
{
	static const struct {
		const char *req;
		enum http_head_result want;
	} cases[] = {
		{ "garbage\r\n\r\n", HTTP_HEAD_BAD },
		{ "GET /\r\n\r\n", HTTP_HEAD_BAD },
		{ "GET / HTTP/2.0\r\n\r\n", HTTP_HEAD_BAD },
		{ "GET / HTTP/1.1 \r\n\r\n", HTTP_HEAD_BAD },
		{ "GET  / HTTP/1.1\r\n\r\n", HTTP_HEAD_BAD },
		{ "GET /a\x01 HTTP/1.1\r\n\r\n", HTTP_HEAD_BAD },
		{ "GET / HTTP/1.1\r\nHost : x\r\n\r\n", HTTP_HEAD_BAD },
		{ "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", HTTP_HEAD_BAD },
		{ "GET / HTTP/1.1\r\nNoColon\r\n\r\n", HTTP_HEAD_BAD },
		{ "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", HTTP_HEAD_BAD },
		{ "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", HTTP_HEAD_BAD },
		{ "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", HTTP_HEAD_BAD },
		{ "POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", HTTP_HEAD_BAD },
		{ "POST / HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n", HTTP_HEAD_BAD },
		{ "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
			HTTP_HEAD_BAD },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
			HTTP_HEAD_BAD },
		{ "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_HEAD_BAD },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", HTTP_HEAD_CODING },
		{ "TRACE / HTTP/1.1\r\n\r\n", HTTP_HEAD_METHOD },
		{ "get / HTTP/1.1\r\n\r\n", HTTP_HEAD_METHOD },
		{ "TRACE / HTTP/1.1\r\nBad Field: x\r\n\r\n", HTTP_HEAD_BAD },
		{ "PUT / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", HTTP_HEAD_EXPECT },
	};
	char buf[256];
	struct http_head h;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(parse(cases[i].req, buf, sizeof(buf), &h) == cases[i].want, "case %zu", i);
	memcpy(buf, "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 27);
	ck_assert_int_eq(http_head_parse(buf, 27, &h), HTTP_HEAD_BAD);
}
END_TEST

START_TEST(test_too_many_fields)
{
	static char req[8192], buf[8192];
	struct http_head h;
	size_t n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n");

	for (int i = 0; i < HTTP_HEAD_MAX_FIELDS; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n, "X%d: y\r\n", i);
	memcpy(req + n, "\r\n", 3);
	ck_assert_int_eq(parse(req, buf, sizeof(buf), &h), HTTP_HEAD_OK);
	ck_assert_uint_eq(h.nfields, HTTP_HEAD_MAX_FIELDS);
	memcpy(req + n, "Z: 1\r\n\r\n", 9);
	ck_assert_int_eq(parse(req, buf, sizeof(buf), &h), HTTP_HEAD_TOO_MANY);
}
END_TEST

/* Decodes body in pieces of step bytes; returns the result and fills *size and *wire. */
static enum http_chunks_result
chunks(const char *body, size_t step, uint64_t max, char *buf, size_t *size, size_t *wire)
{
	struct http_chunks st = { 0 };
	size_t len = strlen(body), n = 0;
	enum http_chunks_result r = HTTP_CHUNKS_PARTIAL;

	memcpy(buf, body, len + 1);
	while (r == HTTP_CHUNKS_PARTIAL && n < len) {
		n = n + step < len ? n + step : len;
		r = http_chunks_decode((uint8_t *)buf, n, max, &st, size, wire);
	}
	return r;
}

START_TEST(test_chunks)
{
	const char *body = "4;ext=\"a b\"\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n"
	                   "Trailer: x\r\n\r\nGET /next";
	char buf[256];
	size_t size = 0, wire = 0;

	for (size_t step = 1; step <= strlen(body); step++) {
		ck_assert_int_eq(chunks(body, step, 1024, buf, &size, &wire), HTTP_CHUNKS_OK);
		ck_assert_uint_eq(size, 23);
		ck_assert_int_eq(memcmp(buf, "Wikipedia in\r\n\r\nchunks.", 23), 0);
		ck_assert_uint_eq(wire, strlen(body) - 9);
	}
	ck_assert_int_eq(chunks("0\n\n", 1, 10, buf, &size, &wire), HTTP_CHUNKS_OK);
	ck_assert_uint_eq(size, 0);
	ck_assert_uint_eq(wire, 3);
	ck_assert_int_eq(chunks("5\r\nhello\r\n0\r\n", 100, 10, buf, &size, &wire),
	    HTTP_CHUNKS_PARTIAL);
	ck_assert_int_eq(chunks("5\r\nhello\r\n6\r\n", 100, 10, buf, &size, &wire),
	    HTTP_CHUNKS_TOO_LARGE);
	ck_assert_int_eq(chunks("fffffffffffffffff\r\n", 100, 10, buf, &size, &wire),
	    HTTP_CHUNKS_TOO_LARGE);
	ck_assert_int_eq(chunks("5\r\nhelloX\r\n0\r\n\r\n", 100, 10, buf, &size, &wire),
	    HTTP_CHUNKS_BAD);
	ck_assert_int_eq(chunks("x\r\n", 100, 10, buf, &size, &wire), HTTP_CHUNKS_BAD);
	ck_assert_int_eq(chunks("-1\r\n", 100, 10, buf, &size, &wire), HTTP_CHUNKS_BAD);
	ck_assert_int_eq(chunks("5x\r\nhello\r\n", 100, 10, buf, &size, &wire), HTTP_CHUNKS_BAD);
	ck_assert_int_eq(chunks("0\r\nBad\x01\r\n\r\n", 100, 10, buf, &size, &wire),
	    HTTP_CHUNKS_BAD);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("http_head");
	TCase *tc = tcase_create("framing");

	tcase_add_test(tc, test_get);
	tcase_add_test(tc, test_partial_leaves_buffer);
	tcase_add_test(tc, test_connection_rules);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_too_many_fields);
	tcase_add_test(tc, test_chunks);
	suite_add_tcase(s, tc);
	return s;
}
