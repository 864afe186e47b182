#include "http_response.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "err.h"
#include "num.h"
#include "secure.h"

/* Longest chunk-size line (size plus extensions) and trailer line we accept. */
#define MAX_CHUNK_LINE 4096

enum framing { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_TO_EOF };

/* What the head of a response says. */
struct head {
	int status;
	size_t start;            /* offset of the status line */
	size_t end;              /* offset just past the blank line */
	enum framing framing;
	uint64_t length;         /* for BODY_LENGTH */
	const char *ctype;       /* Content-Type value inside data, not NUL-terminated */
	size_t ctype_len;
	long retry_after;        /* seconds, or -1 */
};

/* Exact, case-insensitive equality of a counted name with a C string. */
static bool
name_is(const char *p, size_t n, const char *want)
{
	return n == strlen(want) && strncasecmp(p, want, n) == 0;
}

/* RFC 9110 tchar: the characters a header name may use. */
static bool
is_tchar(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Offset of the first "\r\n" at or after from, below len, or len when there is none. */
static size_t
find_crlf(const char *data, size_t from, size_t len)
{
	for (size_t i = from; i + 1 < len; i++) {
		if (data[i] == '\r' && data[i + 1] == '\n')
			return i;
	}
	return len;
}

/* Parses "HTTP/1.x NNN reason" in data[0..n). */
static int
parse_status_line(const char *p, size_t n, int *status)
{
	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != ' ')
		return MP_ERR_INVALID;
	for (int i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return MP_ERR_INVALID;
	}
	if (n > 12 && p[12] != ' ')
		return MP_ERR_INVALID;
	for (size_t i = 13; i < n; i++) {
		if ((unsigned char)p[i] < 0x20 && p[i] != '\t')
			return MP_ERR_INVALID;
	}
	*status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	return *status >= 100 && *status <= 599 ? MP_OK : MP_ERR_INVALID;
}

/* Parses a Content-Length value; a second one must repeat the first. */
static int
parse_length(const char *v, size_t n, size_t max_body, bool *seen, uint64_t *length)
{
	char digits[21];
	uint64_t value;
	int r;

	if (n == 0 || n >= sizeof(digits))
		return n == 0 ? MP_ERR_INVALID : MP_ERR_TOO_LARGE;
	memcpy(digits, v, n);
	digits[n] = '\0';
	if ((r = mp_parse_u64(digits, max_body, &value)) != MP_OK)
		return r;
	if (*seen && value != *length)
		return MP_ERR_INVALID;
	*seen = true;
	*length = value;
	return MP_OK;
}

/* A Retry-After of delay-seconds (RFC 9110 10.2.3), capped at a day; -1 for anything else. */
static long
parse_delay(const char *v, size_t n)
{
	char digits[12];
	uint64_t value;

	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, v, n);
	digits[n] = '\0';
	if (mp_parse_u64(digits, UINT64_MAX / 2, &value) != MP_OK)
		return -1;
	return value > 86400 ? 86400 : (long)value;
}

/*
 * Parses the status line and headers starting at data[from]. Returns MP_OK
 * with *h filled, CLI_HTTP_NEED_MORE, or an error.
 */
static int
parse_head(const char *data, size_t len, size_t from, bool eof, size_t max_body, struct head *h)
{
	size_t avail = len - from, limit = avail < CLI_HTTP_MAX_HEAD ? len : from + CLI_HTTP_MAX_HEAD;
	size_t eol = find_crlf(data, from, limit), pos;
	bool have_length = false, chunked = false, have_te = false;
	int r;

	if (eol == limit)
		return avail >= CLI_HTTP_MAX_HEAD ? MP_ERR_TOO_LARGE : eof ? MP_ERR_INVALID
									 : CLI_HTTP_NEED_MORE;
	memset(h, 0, sizeof(*h));
	h->start = from;
	h->retry_after = -1;
	if ((r = parse_status_line(data + from, eol - from, &h->status)) != MP_OK)
		return r;
	for (pos = eol + 2;; pos = eol + 2) {
		size_t colon, vstart, vend;

		eol = find_crlf(data, pos, limit);
		if (eol == limit)
			return avail >= CLI_HTTP_MAX_HEAD ? MP_ERR_TOO_LARGE
			    : eof			      ? MP_ERR_INVALID
							      : CLI_HTTP_NEED_MORE;
		if (eol == pos)
			break;
		for (colon = pos; colon < eol && is_tchar((unsigned char)data[colon]); colon++)
			;
		if (colon == pos || colon == eol || data[colon] != ':')
			return MP_ERR_INVALID;
		for (size_t i = colon + 1; i < eol; i++) {
			if (((unsigned char)data[i] < 0x20 && data[i] != '\t') || data[i] == 0x7f)
				return MP_ERR_INVALID;
		}
		for (vstart = colon + 1; vstart < eol && (data[vstart] == ' ' || data[vstart] == '\t');
		     vstart++)
			;
		for (vend = eol; vend > vstart && (data[vend - 1] == ' ' || data[vend - 1] == '\t');
		     vend--)
			;
		if (name_is(data + pos, colon - pos, "Content-Length")) {
			if ((r = parse_length(data + vstart, vend - vstart, max_body, &have_length,
				 &h->length)) != MP_OK)
				return r;
		} else if (name_is(data + pos, colon - pos, "Transfer-Encoding")) {
			if (have_te || !name_is(data + vstart, vend - vstart, "chunked"))
				return MP_ERR_INVALID;
			have_te = chunked = true;
		} else if (name_is(data + pos, colon - pos, "Content-Type")) {
			h->ctype = data + vstart;
			h->ctype_len = vend - vstart;
		} else if (name_is(data + pos, colon - pos, "Retry-After")) {
			h->retry_after = parse_delay(data + vstart, vend - vstart);
		}
	}
	h->end = eol + 2;
	if (have_te && have_length)
		return MP_ERR_INVALID;
	if (h->status < 200 || h->status == 204 || h->status == 304)
		h->framing = BODY_NONE;
	else if (chunked)
		h->framing = BODY_CHUNKED;
	else if (have_length)
		h->framing = BODY_LENGTH;
	else
		h->framing = BODY_TO_EOF;
	return MP_OK;
}

/* The end of a line starting at pos, bounded by MAX_CHUNK_LINE; NEED_MORE or an error. */
static int
chunk_line(const char *data, size_t len, size_t pos, bool eof, size_t *eol)
{
	size_t limit = len - pos > MAX_CHUNK_LINE ? pos + MAX_CHUNK_LINE : len;
	size_t e = find_crlf(data, pos, limit);

	if (e == limit)
		return len - pos > MAX_CHUNK_LINE || eof ? MP_ERR_INVALID : CLI_HTTP_NEED_MORE;
	*eol = e;
	return MP_OK;
}

/*
 * Walks a chunked body starting at data[pos]. With dst NULL it only checks the
 * framing and counts; with dst it also copies the chunk data there (the caller
 * sized it from the first walk). Sets *total on MP_OK.
 */
static int
walk_chunks(const char *data, size_t len, size_t pos, bool eof, size_t max_body, char *dst,
    size_t *total)
{
	size_t sum = 0, eol;
	int r;

	for (;;) {
		uint64_t size = 0;
		size_t i;

		if ((r = chunk_line(data, len, pos, eof, &eol)) != MP_OK)
			return r;
		for (i = pos; i < eol && mp_hex_digit(data[i]) >= 0; i++) {
			if (size > (max_body - sum) / 16)
				return MP_ERR_TOO_LARGE;
			size = size * 16 + (uint64_t)mp_hex_digit(data[i]);
		}
		if (i == pos || (i < eol && data[i] != ';' && data[i] != ' ' && data[i] != '\t'))
			return MP_ERR_INVALID;
		if (size > max_body - sum)
			return MP_ERR_TOO_LARGE;
		pos = eol + 2;
		if (size == 0)
			break;
		if (len - pos < size + 2)
			return eof ? MP_ERR_INVALID : CLI_HTTP_NEED_MORE;
		if (data[pos + size] != '\r' || data[pos + size + 1] != '\n')
			return MP_ERR_INVALID;
		if (dst != NULL)
			memcpy(dst + sum, data + pos, size);
		sum += size;
		pos += size + 2;
	}
	for (;;) { /* trailer fields, ignored, up to the blank line */
		if ((r = chunk_line(data, len, pos, eof, &eol)) != MP_OK)
			return r;
		if (eol == pos)
			break;
		pos = eol + 2;
	}
	*total = sum;
	return MP_OK;
}

void
cli_http_response_free(cli_http_response *r)
{
	if (r == NULL)
		return;
	free(r->content_type);
	free(r->head);
	if (r->body != NULL) /* an answer may carry a secret shown once */
		mp_wipe(r->body, r->body_len);
	free(r->body);
	free(r);
}

int
cli_http_parse(const char *data, size_t len, bool eof, size_t max_body, cli_http_response **out)
{
	cli_http_response *resp = NULL;
	struct head h;
	size_t from = 0, body_len = 0;
	int r;

	for (;;) {
		if ((r = parse_head(data, len, from, eof, max_body, &h)) != MP_OK)
			goto out;
		if (h.status == 101) {
			r = MP_ERR_INVALID;
			goto out;
		}
		if (h.status >= 200)
			break;
		from = h.end; /* an interim 1xx response: the real one follows */
	}
	switch (h.framing) {
	case BODY_NONE:
		break;
	case BODY_LENGTH:
		if (len - h.end < h.length) {
			r = eof ? MP_ERR_INVALID : CLI_HTTP_NEED_MORE;
			goto out;
		}
		body_len = (size_t)h.length;
		break;
	case BODY_TO_EOF:
		if (!eof) {
			r = len - h.end > max_body ? MP_ERR_TOO_LARGE : CLI_HTTP_NEED_MORE;
			goto out;
		}
		body_len = len - h.end;
		if (body_len > max_body) {
			r = MP_ERR_TOO_LARGE;
			goto out;
		}
		break;
	case BODY_CHUNKED:
		if ((r = walk_chunks(data, len, h.end, eof, max_body, NULL, &body_len)) != MP_OK)
			goto out;
		break;
	}
	r = MP_ERR_NOMEM;
	if ((resp = calloc(1, sizeof(*resp))) == NULL || (resp->body = malloc(body_len + 1)) == NULL)
		goto out;
	if (h.framing == BODY_CHUNKED) {
		if ((r = walk_chunks(data, len, h.end, eof, max_body, resp->body, &body_len)) != MP_OK)
			goto out;
	} else if (body_len > 0) {
		memcpy(resp->body, data + h.end, body_len);
	}
	resp->body[body_len] = '\0';
	resp->body_len = body_len;
	resp->status = h.status;
	resp->retry_after = h.retry_after;
	r = MP_ERR_NOMEM;
	if ((h.ctype != NULL && (resp->content_type = strndup(h.ctype, h.ctype_len)) == NULL) ||
	    (resp->head = strndup(data + h.start, h.end - h.start)) == NULL)
		goto out;
	*out = resp;
	resp = NULL;
	r = MP_OK;
out:
	cli_http_response_free(resp);
	return r;
}

const char *
cli_http_header(const cli_http_response *r, const char *name, char *buf, size_t n)
{
	size_t nl = strlen(name);
	const char *p = strstr(r->head, "\r\n");

	/* each field line was checked by parse_head: "name:" then blanks, value, blanks */
	while (p != NULL && p[2] != '\r') {
		const char *line = p + 2, *v, *e;

		p = strstr(line, "\r\n");
		if (p == NULL || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
			continue;
		for (v = line + nl + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (e = p; e > v && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		if ((size_t)(e - v) >= n)
			return NULL;
		memcpy(buf, v, (size_t)(e - v));
		buf[e - v] = '\0';
		return buf;
	}
	return NULL;
}
