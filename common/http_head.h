/*
 * HTTP/1.1 request framing (RFC 9112) for the plain listeners: the request
 * head parsed in place, and chunked bodies decoded in place. Pure functions
 * over a byte buffer that arrives in pieces; nothing here reads a socket.
 */
#ifndef MP_HTTP_HEAD_H
#define MP_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Header fields in one request; more is refused as too large. */
#define HTTP_HEAD_MAX_FIELDS 100

enum http_head_result {
	HTTP_HEAD_OK,
	HTTP_HEAD_PARTIAL,      /* the head does not end in the bytes given yet */
	HTTP_HEAD_BAD,          /* not valid HTTP/1.x: 400 */
	HTTP_HEAD_TOO_MANY,     /* more than HTTP_HEAD_MAX_FIELDS fields: 431 */
	HTTP_HEAD_METHOD,       /* a method we do not implement: 501 */
	HTTP_HEAD_CODING,       /* a transfer coding other than chunked: 501 */
	HTTP_HEAD_EXPECT,       /* an Expect other than 100-continue: 417 */
};

struct http_field {
	const char *name;
	const char *value;
};

struct http_head {
	const char *method;
	char *target;           /* as sent: the caller splits path and query */
	int minor;              /* HTTP/1.<minor>: 0 or 1 */
	struct http_field fields[HTTP_HEAD_MAX_FIELDS];
	size_t nfields;
	size_t len;             /* bytes of the head, empty lines before it and its blank line included */
	bool has_length;        /* Content-Length given */
	uint64_t length;
	bool chunked;           /* Transfer-Encoding: chunked */
	bool close;             /* the connection ends after this request */
	bool keep_alive;        /* an HTTP/1.0 request asked to keep the connection */
	bool expect_continue;
};

/*
 * Parses the request head at the start of buf[0..len). While it is
 * incomplete, returns HTTP_HEAD_PARTIAL and leaves buf alone; otherwise it
 * NUL-terminates method, target, field names and values inside buf (so the
 * head must not be parsed twice) and fills h, whose strings point into buf.
 * Content-Length with Transfer-Encoding, repeated lengths that differ,
 * obsolete line folding and blanks before a field's colon are HTTP_HEAD_BAD.
 */
enum http_head_result http_head_parse(char *buf, size_t len, struct http_head *h);

/* The value of field name (any case), or NULL. */
const char *http_head_field(const struct http_head *h, const char *name);

/* Where a chunked body's decoding stands between calls: zero it for a new body. */
struct http_chunks {
	size_t scan;            /* wire bytes checked so far: whole chunks only */
	uint64_t size;          /* data bytes in them */
};

enum http_chunks_result {
	HTTP_CHUNKS_OK,
	HTTP_CHUNKS_PARTIAL,
	HTTP_CHUNKS_BAD,
	HTTP_CHUNKS_TOO_LARGE,  /* the data would exceed max */
};

/*
 * Follows the chunked body at buf[0..len), resuming where st left off.
 * HTTP_CHUNKS_OK once the last chunk and the trailer section are in: then
 * the data is moved to buf[0..*size) and *wire is the body's length on the
 * wire (trailer fields are read and dropped). While incomplete: PARTIAL.
 */
enum http_chunks_result http_chunks_decode(uint8_t *buf, size_t len, uint64_t max,
    struct http_chunks *st, size_t *size, size_t *wire);

#endif
