/*
 * The admin client's HTTP/1.1 response parser: a pure function over the bytes
 * received so far, so that it can be fuzzed (tests/fuzz/fuzz_http_response.c).
 * It understands Content-Length, chunked transfer coding, and a body delimited
 * by the end of the connection; it skips interim 1xx responses.
 */
#ifndef CLI_HTTP_RESPONSE_H
#define CLI_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

/* Returned by cli_http_parse when data is a valid prefix of a response. */
#define CLI_HTTP_NEED_MORE 1

/* Limit on the status line and header block together. */
#define CLI_HTTP_MAX_HEAD 65536

typedef struct cli_http_response {
	int status;          /* 100..599 */
	char *content_type;  /* the Content-Type value, or NULL */
	long retry_after;    /* Retry-After in seconds (at most a day), or -1 when absent or a date */
	char *body;          /* body_len bytes followed by a NUL (not counted) */
	size_t body_len;
	char *head;          /* the status line and header fields, CRLF-terminated */
} cli_http_response;

/*
 * Parses one response from data[0..len). eof says the peer has closed the
 * connection, so nothing more will come. Returns MP_OK with *out set when a
 * whole response is present; CLI_HTTP_NEED_MORE when data is a valid prefix
 * and eof is false; MP_ERR_TOO_LARGE when the head exceeds CLI_HTTP_MAX_HEAD
 * or the body max_body bytes; MP_ERR_INVALID for anything malformed,
 * including a response cut short by eof; MP_ERR_NOMEM.
 */
int cli_http_parse(const char *data, size_t len, bool eof, size_t max_body,
    cli_http_response **out);

/*
 * The value of header field name in r (its first occurrence, any case,
 * without the blanks around it) copied into buf of n bytes; NULL when r has
 * none or it does not fit.
 */
const char *cli_http_header(const cli_http_response *r, const char *name, char *buf, size_t n);

/* Frees r; r may be NULL. */
void cli_http_response_free(cli_http_response *r);

#endif
