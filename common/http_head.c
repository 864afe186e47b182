/* HTTP/1.1 request heads and chunked bodies, parsed in place (RFC 9112). */
#include "http_head.h"

#include <string.h>
#include <strings.h>

/* The longest chunk-size line (with extensions) or trailer line accepted. */
#define CHUNK_LINE_MAX 4096

static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
	"OPTIONS" };

/* tchar of RFC 9110 5.6.2 */
static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
is_token(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

/* field-vchar, SP and HTAB: no controls (RFC 9110 5.5). */
static bool
is_value(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/*
 * The end of the line that starts at p (the index of its '\n'), or -1 when
 * no '\n' comes before end.
 */
static long
line_end(const char *buf, size_t p, size_t end)
{
	const char *nl = memchr(buf + p, '\n', end - p);

	return nl != NULL ? (long)(nl - buf) : -1;
}

/* The line [p, nl) without its CR; false when a CR stands anywhere else in it. */
static bool
line_trim(const char *buf, size_t p, size_t nl, size_t *n)
{
	size_t len = nl - p;

	if (len > 0 && buf[nl - 1] == '\r')
		len--;
	*n = len;
	return memchr(buf + p, '\r', len) == NULL;
}

/*
 * The offset just past the blank line that ends the head starting at from,
 * or 0 when it is not in buf yet.
 */
static size_t
head_end(const char *buf, size_t from, size_t len)
{
	size_t p = from;
	long nl;

	while ((nl = line_end(buf, p, len)) >= 0) {
		size_t n = (size_t)nl + 1;

		if (n < len && buf[n] == '\n')
			return n + 1;
		if (n + 1 < len && buf[n] == '\r' && buf[n + 1] == '\n')
			return n + 2;
		p = n;
	}
	return 0;
}

/* Whether the comma-separated list v holds token t (any case). */
static bool
list_has(const char *v, const char *t)
{
	size_t n = strlen(t);

	while (*v != '\0') {
		size_t k;

		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		k = strcspn(v, ",");
		while (k > 0 && (v[k - 1] == ' ' || v[k - 1] == '\t'))
			k--;
		if (k == n && strncasecmp(v, t, n) == 0)
			return true;
		v += strcspn(v, ",");
	}
	return false;
}

static enum http_head_result
parse_length(const char *v, struct http_head *h)
{
	uint64_t n = 0;
	size_t digits = strlen(v);

	if (digits == 0 || digits > 18 || strspn(v, "0123456789") != digits)
		return HTTP_HEAD_BAD;
	for (size_t i = 0; i < digits; i++)
		n = n * 10 + (uint64_t)(v[i] - '0');
	if (h->has_length && h->length != n)
		return HTTP_HEAD_BAD;
	h->has_length = true;
	h->length = n;
	return HTTP_HEAD_OK;
}

/* What the framing and connection fields say. */
static enum http_head_result
interpret(struct http_head *h)
{
	enum http_head_result r;
	size_t codings = 0;

	for (size_t i = 0; i < h->nfields; i++) {
		const char *n = h->fields[i].name, *v = h->fields[i].value;

		if (strcasecmp(n, "Content-Length") == 0) {
			if ((r = parse_length(v, h)) != HTTP_HEAD_OK)
				return r;
		} else if (strcasecmp(n, "Transfer-Encoding") == 0) {
			codings++;
			if (strcasecmp(v, "chunked") != 0)
				return HTTP_HEAD_CODING;
			h->chunked = true;
		} else if (strcasecmp(n, "Connection") == 0) {
			if (list_has(v, "close"))
				h->close = true;
			if (list_has(v, "keep-alive"))
				h->keep_alive = true;
		} else if (strcasecmp(n, "Expect") == 0) {
			if (strcasecmp(v, "100-continue") != 0)
				return HTTP_HEAD_EXPECT;
			h->expect_continue = true;
		}
	}
	/* a request framed two ways, or chunked twice, is a smuggling attempt */
	if (codings > 1 || (h->chunked && (h->has_length || h->minor == 0)))
		return HTTP_HEAD_BAD;
	if (h->minor == 0 && !h->keep_alive)
		h->close = true;
	return HTTP_HEAD_OK;
}

/* "method SP target SP HTTP/1.x", line [0, n) of s, NUL-terminated in place. */
static enum http_head_result
request_line(char *s, size_t n, struct http_head *h)
{
	char *sp1 = memchr(s, ' ', n), *sp2;
	size_t mlen, tlen;
	bool known = false;

	if (sp1 == NULL || (sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - s))) == NULL)
		return HTTP_HEAD_BAD;
	mlen = (size_t)(sp1 - s);
	tlen = (size_t)(sp2 - sp1 - 1);
	if (!is_token(s, mlen) || tlen == 0 || n - (size_t)(sp2 + 1 - s) != 8 ||
	    memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || (sp2[8] != '0' && sp2[8] != '1'))
		return HTTP_HEAD_BAD;
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)sp1[1 + i] <= 0x20 || sp1[1 + i] == 0x7f)
			return HTTP_HEAD_BAD;
	h->minor = sp2[8] - '0';
	*sp1 = '\0';
	*sp2 = '\0';
	h->method = s;
	h->target = sp1 + 1;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(s, methods[i]) == 0)
			known = true;
	return known ? HTTP_HEAD_OK : HTTP_HEAD_METHOD;
}

/* "name: value", line [0, n) of s, NUL-terminated in place and added to h. */
static enum http_head_result
field_line(char *s, size_t n, struct http_head *h)
{
	char *colon = memchr(s, ':', n), *v, *e = s + n;

	if (colon == NULL || !is_token(s, (size_t)(colon - s)))
		return HTTP_HEAD_BAD; /* also obs-fold and blanks before the colon */
	for (v = colon + 1; v < e && (*v == ' ' || *v == '\t'); v++)
		;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (!is_value(v, (size_t)(e - v)))
		return HTTP_HEAD_BAD;
	if (h->nfields == HTTP_HEAD_MAX_FIELDS)
		return HTTP_HEAD_TOO_MANY;
	*colon = '\0';
	*e = '\0';
	h->fields[h->nfields].name = s;
	h->fields[h->nfields].value = v;
	h->nfields++;
	return HTTP_HEAD_OK;
}

enum http_head_result
http_head_parse(char *buf, size_t len, struct http_head *h)
{
	enum http_head_result r, method;
	size_t p = 0, end, n;
	long nl;

	memset(h, 0, offsetof(struct http_head, fields));
	h->nfields = 0;
	h->len = 0;
	h->has_length = h->chunked = h->close = h->keep_alive = h->expect_continue = false;
	h->length = 0;
	/* empty lines before the request line are ignored (RFC 9112 2.2) */
	for (;;) {
		if (p < len && buf[p] == '\n')
			p++;
		else if (p + 1 < len && buf[p] == '\r' && buf[p + 1] == '\n')
			p += 2;
		else
			break;
	}
	if ((end = head_end(buf, p, len)) == 0)
		return HTTP_HEAD_PARTIAL;
	if (memchr(buf + p, '\0', end - p) != NULL)
		return HTTP_HEAD_BAD;
	nl = line_end(buf, p, end);
	if (!line_trim(buf, p, (size_t)nl, &n))
		return HTTP_HEAD_BAD;
	method = request_line(buf + p, n, h);
	if (method != HTTP_HEAD_OK && method != HTTP_HEAD_METHOD)
		return method;
	for (p = (size_t)nl + 1; (nl = line_end(buf, p, end)) >= 0; p = (size_t)nl + 1) {
		if (!line_trim(buf, p, (size_t)nl, &n))
			return HTTP_HEAD_BAD;
		if (n == 0)
			break;
		if ((r = field_line(buf + p, n, h)) != HTTP_HEAD_OK)
			return r;
	}
	if (method != HTTP_HEAD_OK)
		return method;
	h->len = end;
	return interpret(h);
}

const char *
http_head_field(const struct http_head *h, const char *name)
{
	for (size_t i = 0; i < h->nfields; i++)
		if (strcasecmp(h->fields[i].name, name) == 0)
			return h->fields[i].value;
	return NULL;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The chunk-size line at p: its size and the offset past it. PARTIAL
 * until its end is in buf.
 */
static enum http_chunks_result
size_line(const uint8_t *buf, size_t p, size_t len, uint64_t *size, size_t *next)
{
	const char *s = (const char *)buf;
	size_t avail = len - p < CHUNK_LINE_MAX ? len - p : CHUNK_LINE_MAX, n, i = 0;
	long nl = line_end(s, p, p + avail);
	uint64_t v = 0;
	int d;

	if (nl < 0)
		return avail == CHUNK_LINE_MAX ? HTTP_CHUNKS_BAD : HTTP_CHUNKS_PARTIAL;
	if (!line_trim(s, p, (size_t)nl, &n))
		return HTTP_CHUNKS_BAD;
	for (; i < n && (d = hexval(buf[p + i])) >= 0; i++) {
		if (i == 15)
			return HTTP_CHUNKS_TOO_LARGE;
		v = v << 4 | (uint64_t)d;
	}
	/* then nothing, or chunk extensions, which are ignored */
	if (i == 0 || (i < n && buf[p + i] != ';' && buf[p + i] != ' ' && buf[p + i] != '\t') ||
	    !is_value(s + p + i, n - i))
		return HTTP_CHUNKS_BAD;
	*size = v;
	*next = (size_t)nl + 1;
	return HTTP_CHUNKS_OK;
}

/* The offset past the line ending that must follow chunk data at p. */
static enum http_chunks_result
data_end(const uint8_t *buf, size_t p, size_t len, size_t *next)
{
	if (p < len && buf[p] == '\n') {
		*next = p + 1;
		return HTTP_CHUNKS_OK;
	}
	if (p + 1 < len && buf[p] == '\r' && buf[p + 1] == '\n') {
		*next = p + 2;
		return HTTP_CHUNKS_OK;
	}
	if (p >= len || (p + 1 == len && buf[p] == '\r'))
		return HTTP_CHUNKS_PARTIAL;
	return HTTP_CHUNKS_BAD;
}

/* The trailer section at p, up to and including its blank line. */
static enum http_chunks_result
trailers(const uint8_t *buf, size_t p, size_t len, size_t *next)
{
	const char *s = (const char *)buf;
	size_t start = p, n;
	long nl;

	while ((nl = line_end(s, p, len)) >= 0) {
		if (!line_trim(s, p, (size_t)nl, &n) || !is_value(s + p, n))
			return HTTP_CHUNKS_BAD;
		if (n == 0) {
			*next = (size_t)nl + 1;
			return HTTP_CHUNKS_OK;
		}
		p = (size_t)nl + 1;
		if (p - start > CHUNK_LINE_MAX)
			return HTTP_CHUNKS_BAD;
	}
	return len - start > CHUNK_LINE_MAX ? HTTP_CHUNKS_BAD : HTTP_CHUNKS_PARTIAL;
}

/* Moves the data of the (complete, checked) chunks before end to the front of buf. */
static size_t
compact(uint8_t *buf, size_t end)
{
	size_t p = 0, out = 0, next;
	uint64_t size;

	while (p < end && size_line(buf, p, end, &size, &next) == HTTP_CHUNKS_OK && size > 0) {
		memmove(buf + out, buf + next, (size_t)size);
		out += (size_t)size;
		if (data_end(buf, next + (size_t)size, end, &p) != HTTP_CHUNKS_OK)
			break;
	}
	return out;
}

enum http_chunks_result
http_chunks_decode(uint8_t *buf, size_t len, uint64_t max, struct http_chunks *st,
    size_t *size, size_t *wire)
{
	enum http_chunks_result r;
	uint64_t n;
	size_t next, after;

	for (;;) {
		if ((r = size_line(buf, st->scan, len, &n, &next)) != HTTP_CHUNKS_OK)
			return r;
		if (n == 0)
			break;
		if (n > max || st->size + n > max)
			return HTTP_CHUNKS_TOO_LARGE;
		if (len - next < n)
			return HTTP_CHUNKS_PARTIAL;
		if ((r = data_end(buf, next + (size_t)n, len, &after)) != HTTP_CHUNKS_OK)
			return r;
		st->size += n;
		st->scan = after;
	}
	if ((r = trailers(buf, next, len, wire)) != HTTP_CHUNKS_OK)
		return r;
	*size = compact(buf, st->scan);
	return HTTP_CHUNKS_OK;
}
