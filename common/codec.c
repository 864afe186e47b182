#include "codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "secure.h"

/* 0xff.. when lo <= c <= hi, else 0, without branches on c. */
static unsigned
in_range(unsigned c, unsigned lo, unsigned hi)
{
	return ((lo - 1 - c) & (c - hi - 1)) >> 8 & 0xffu;
}

static char
b64_char(unsigned v, bool url)
{
	unsigned c = 0;

	c |= in_range(v, 0, 25) & (v + 'A');
	c |= in_range(v, 26, 51) & (v - 26 + 'a');
	c |= in_range(v, 52, 61) & (v - 52 + '0');
	c |= in_range(v, 62, 62) & (url ? '-' : '+');
	c |= in_range(v, 63, 63) & (url ? '_' : '/');
	return (char)c;
}

/* The 6-bit value of c, or -1 when c is not in the alphabet. */
static int
b64_value(unsigned char c, bool url)
{
	unsigned v = 0, ok = 0;

	v |= in_range(c, 'A', 'Z') & (c - 'A');
	ok |= in_range(c, 'A', 'Z');
	v |= in_range(c, 'a', 'z') & (c - 'a' + 26);
	ok |= in_range(c, 'a', 'z');
	v |= in_range(c, '0', '9') & (c - '0' + 52);
	ok |= in_range(c, '0', '9');
	v |= in_range(c, url ? '-' : '+', url ? '-' : '+') & 62;
	ok |= in_range(c, url ? '-' : '+', url ? '-' : '+');
	v |= in_range(c, url ? '_' : '/', url ? '_' : '/') & 63;
	ok |= in_range(c, url ? '_' : '/', url ? '_' : '/');
	return ok ? (int)(v & 63) : -1;
}

int
mp_b64_encode(const uint8_t *in, size_t n, bool url, char **out)
{
	size_t cap, o = 0;
	char *s;

	if (n > (SIZE_MAX / 4) * 3 - 3)
		return MP_ERR_TOO_LARGE;
	cap = (n + 2) / 3 * 4 + 1;
	if ((s = malloc(cap)) == NULL)
		return MP_ERR_NOMEM;
	for (size_t i = 0; i < n; i += 3) {
		unsigned b0 = in[i], b1 = i + 1 < n ? in[i + 1] : 0, b2 = i + 2 < n ? in[i + 2] : 0;

		s[o++] = b64_char(b0 >> 2, url);
		s[o++] = b64_char((b0 & 3) << 4 | b1 >> 4, url);
		if (i + 1 < n)
			s[o++] = b64_char((b1 & 15) << 2 | b2 >> 6, url);
		else if (!url)
			s[o++] = '=';
		if (i + 2 < n)
			s[o++] = b64_char(b2 & 63, url);
		else if (!url)
			s[o++] = '=';
	}
	s[o] = '\0';
	*out = s;
	return MP_OK;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
mp_b64_decode(const char *in, size_t len, bool url, size_t max_out, uint8_t **out, size_t *outlen)
{
	uint8_t *d = NULL;
	uint32_t acc = 0;
	size_t o = 0, nchars = 0, pad = 0;
	int r = MP_ERR_INVALID;

	if ((d = malloc(len / 4 * 3 + 3)) == NULL)
		return MP_ERR_NOMEM;
	for (size_t i = 0; i < len; i++) {
		int v;

		if (!url && is_space(in[i]))
			continue;
		if (in[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value((unsigned char)in[i], url)) < 0)
			goto out; /* data after padding, or a character outside the alphabet */
		acc = acc << 6 | (uint32_t)v;
		if (++nchars % 4 == 0) {
			if (o + 3 > max_out) {
				r = MP_ERR_TOO_LARGE;
				goto out;
			}
			d[o++] = (uint8_t)(acc >> 16);
			d[o++] = (uint8_t)(acc >> 8);
			d[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	switch (nchars % 4) {
	case 0:
		if (pad != 0)
			goto out;
		break;
	case 1:
		goto out;
	case 2:
		if ((!url && pad != 2) || (url && pad != 0 && pad != 2) || (acc & 0xf) != 0)
			goto out;
		if (o + 1 > max_out) {
			r = MP_ERR_TOO_LARGE;
			goto out;
		}
		d[o++] = (uint8_t)(acc >> 4);
		break;
	case 3:
		if ((!url && pad != 1) || (url && pad > 1) || (acc & 0x3) != 0)
			goto out;
		if (o + 2 > max_out) {
			r = MP_ERR_TOO_LARGE;
			goto out;
		}
		d[o++] = (uint8_t)(acc >> 10);
		d[o++] = (uint8_t)(acc >> 2);
		break;
	}
	*out = d;
	*outlen = o;
	d = NULL;
	r = MP_OK;
out:
	acc = 0;
	if (d != NULL) {
		mp_wipe(d, len / 4 * 3 + 3);
		free(d);
	}
	return r;
}

int
mp_hex_encode(const uint8_t *in, size_t n, char **out)
{
	char *s;

	if (n > SIZE_MAX / 2 - 1)
		return MP_ERR_TOO_LARGE;
	if ((s = malloc(n * 2 + 1)) == NULL)
		return MP_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned hi = in[i] >> 4, lo = in[i] & 15;

		s[2 * i] = (char)(hi + '0' + (in_range(hi, 10, 15) & ('a' - '0' - 10)));
		s[2 * i + 1] = (char)(lo + '0' + (in_range(lo, 10, 15) & ('a' - '0' - 10)));
	}
	s[n * 2] = '\0';
	*out = s;
	return MP_OK;
}

int
mp_hex_digit(char ch)
{
	unsigned char c = (unsigned char)ch;
	unsigned v = 0, ok = 0;

	v |= in_range(c, '0', '9') & (c - '0');
	ok |= in_range(c, '0', '9');
	v |= in_range(c, 'a', 'f') & (c - 'a' + 10);
	ok |= in_range(c, 'a', 'f');
	v |= in_range(c, 'A', 'F') & (c - 'A' + 10);
	ok |= in_range(c, 'A', 'F');
	return ok ? (int)(v & 15) : -1;
}

int
mp_hex_decode_fixed(const char *in, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return MP_ERR_INVALID;
	for (size_t i = 0; i < n; i++) {
		int hi = mp_hex_digit(in[2 * i]), lo = mp_hex_digit(in[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			mp_wipe(out, n);
			return MP_ERR_INVALID;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return MP_OK;
}

int
mp_hex_decode(const char *in, size_t len, size_t max_out, uint8_t **out, size_t *outlen)
{
	uint8_t *d;

	if (len % 2 != 0)
		return MP_ERR_INVALID;
	if (len / 2 > max_out)
		return MP_ERR_TOO_LARGE;
	if ((d = malloc(len / 2 + 1)) == NULL)
		return MP_ERR_NOMEM;
	if (mp_hex_decode_fixed(in, len, d, len / 2) != MP_OK) {
		free(d);
		return MP_ERR_INVALID;
	}
	*out = d;
	*outlen = len / 2;
	return MP_OK;
}

int
mp_pem_encode(const char *label, const uint8_t *der, size_t n, char **out)
{
	char *b64 = NULL;
	mp_buf *b = NULL;
	size_t len;
	int r;

	if ((r = mp_b64_encode(der, n, false, &b64)) != MP_OK)
		return r;
	len = strlen(b64);
	r = MP_ERR_NOMEM;
	if ((b = mp_buf_new(len + len / 64 + 2 * strlen(label) + 64)) == NULL)
		goto out;
	if ((r = mp_buf_putf(b, "-----BEGIN %s-----\n", label)) != MP_OK)
		goto out;
	for (size_t i = 0; i < len; i += 64) {
		if ((r = mp_buf_put(b, b64 + i, len - i < 64 ? len - i : 64)) != MP_OK ||
		    (r = mp_buf_put_u8(b, '\n')) != MP_OK)
			goto out;
	}
	if ((r = mp_buf_putf(b, "-----END %s-----\n", label)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((*out = strdup(mp_buf_str(b))) == NULL)
		goto out;
	r = MP_OK;
out:
	free(b64);
	mp_buf_free(b);
	return r;
}

/* Finds needle (of length nlen) in the len bytes at hay; NULL when absent. */
static const char *
find(const char *hay, size_t len, const char *needle, size_t nlen)
{
	return nlen <= len ? memmem(hay, len, needle, nlen) : NULL;
}

int
mp_pem_decode(const char *text, size_t len, const char *label, size_t max_out, uint8_t **der,
    size_t *derlen)
{
	char begin[96], end[96];
	const char *b, *e;
	int nb, ne;

	nb = snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
	ne = snprintf(end, sizeof(end), "-----END %s-----", label);
	if (nb < 0 || ne < 0 || (size_t)nb >= sizeof(begin) || (size_t)ne >= sizeof(end))
		return MP_ERR_INVALID;
	if ((b = find(text, len, begin, (size_t)nb)) == NULL)
		return MP_ERR_NOT_FOUND;
	b += nb;
	if ((e = find(b, len - (size_t)(b - text), end, (size_t)ne)) == NULL)
		return MP_ERR_INVALID;
	return mp_b64_decode(b, (size_t)(e - b), false, max_out, der, derlen);
}

int
mp_url_decode(const char *s, size_t len, bool plus, char **out)
{
	char *d;
	size_t j = 0;

	if ((d = malloc(len + 1)) == NULL)
		return MP_ERR_NOMEM;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '%') {
			int hi = i + 2 < len ? mp_hex_digit(s[i + 1]) : -1;
			int lo = i + 2 < len ? mp_hex_digit(s[i + 2]) : -1;

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(d);
				return MP_ERR_INVALID;
			}
			ch = (char)(hi * 16 + lo);
			i += 2;
		} else if (ch == '+' && plus) {
			ch = ' ';
		} else if (ch == '\0') {
			free(d);
			return MP_ERR_INVALID;
		}
		d[j++] = ch;
	}
	d[j] = '\0';
	*out = d;
	return MP_OK;
}
