/*
 * libFuzzer target: the plain listeners' request framing, http_head_parse
 * and http_chunks_decode, as bytes arrive from a client. A chunked body is
 * decoded twice, in one piece and byte by byte, and both must agree.
 */
#include <stdlib.h>
#include <string.h>

#include "http_head.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BODY 4096

static enum http_chunks_result
decode_bytewise(uint8_t *body, size_t len, size_t *out, size_t *wire)
{
	struct http_chunks st = { 0 };
	enum http_chunks_result r = HTTP_CHUNKS_PARTIAL;

	for (size_t n = 1; n <= len && r == HTTP_CHUNKS_PARTIAL; n++)
		r = http_chunks_decode(body, n, MAX_BODY, &st, out, wire);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head h;
	struct http_chunks st = { 0 };
	uint8_t *a, *b;
	size_t out1 = 0, wire1 = 0, out2 = 0, wire2 = 0, rest;
	enum http_chunks_result r1, r2;

	if (size > 65536 || (a = malloc(size + 1)) == NULL)
		return 0;
	memcpy(a, data, size);
	if (http_head_parse((char *)a, size, &h) != HTTP_HEAD_OK || !h.chunked) {
		if (h.len > size)
			abort();
		free(a);
		return 0;
	}
	if (h.len > size || strlen(h.method) == 0 || h.target[0] == '\0')
		abort();
	rest = size - h.len;
	if ((b = malloc(rest + 1)) == NULL) {
		free(a);
		return 0;
	}
	memcpy(b, a + h.len, rest);
	r1 = http_chunks_decode(a + h.len, rest, MAX_BODY, &st, &out1, &wire1);
	r2 = decode_bytewise(b, rest, &out2, &wire2);
	if (r1 != r2)
		abort();
	if (r1 == HTTP_CHUNKS_OK && (out1 != out2 || wire1 != wire2 || wire1 > rest ||
	    out1 > wire1 || out1 > MAX_BODY || memcmp(a + h.len, b, out1) != 0))
		abort();
	free(b);
	free(a);
	return 0;
}
