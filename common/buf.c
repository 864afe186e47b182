#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "secure.h"

struct mp_buf {
	uint8_t *d;
	size_t off;   /* read offset */
	size_t size;  /* bytes written */
	size_t alloc; /* bytes allocated, excluding the trailing NUL */
	size_t max;
};

static uint8_t empty_nul[1];

mp_buf *
mp_buf_new(size_t max)
{
	mp_buf *b = calloc(1, sizeof(*b));

	if (b != NULL)
		b->max = max;
	return b;
}

void
mp_buf_free(mp_buf *b)
{
	if (b == NULL)
		return;
	if (b->d != NULL) {
		mp_wipe(b->d, b->alloc + 1);
		free(b->d);
	}
	free(b);
}

void
mp_buf_reset(mp_buf *b)
{
	if (b->d != NULL)
		mp_wipe(b->d, b->alloc + 1);
	b->off = b->size = 0;
}

size_t
mp_buf_len(const mp_buf *b)
{
	return b->size - b->off;
}

const uint8_t *
mp_buf_ptr(const mp_buf *b)
{
	return b->d == NULL ? empty_nul : b->d + b->off;
}

const char *
mp_buf_str(const mp_buf *b)
{
	return (const char *)mp_buf_ptr(b);
}

/* Makes room for n more bytes (plus the NUL), growing by doubling, wiping the old block. */
static int
reserve(mp_buf *b, size_t n)
{
	size_t want, nalloc;
	uint8_t *nd;

	if (n > b->max || b->size > b->max - n)
		return MP_ERR_TOO_LARGE;
	want = b->size + n;
	if (want <= b->alloc && b->d != NULL)
		return MP_OK;
	nalloc = b->alloc < 64 ? 64 : b->alloc;
	while (nalloc < want)
		nalloc = nalloc > b->max / 2 ? b->max : nalloc * 2;
	if ((nd = malloc(nalloc + 1)) == NULL)
		return MP_ERR_NOMEM;
	if (b->d != NULL) {
		memcpy(nd, b->d, b->size);
		mp_wipe(b->d, b->alloc + 1);
		free(b->d);
	}
	nd[b->size] = '\0';
	b->d = nd;
	b->alloc = nalloc;
	return MP_OK;
}

int
mp_buf_put(mp_buf *b, const void *p, size_t n)
{
	int r;

	if ((r = reserve(b, n)) != MP_OK)
		return r;
	if (n > 0)
		memcpy(b->d + b->size, p, n);
	b->size += n;
	b->d[b->size] = '\0';
	return MP_OK;
}

int
mp_buf_put_str(mp_buf *b, const char *s)
{
	return mp_buf_put(b, s, strlen(s));
}

int
mp_buf_put_u8(mp_buf *b, uint8_t v)
{
	return mp_buf_put(b, &v, 1);
}

int
mp_buf_put_u32(mp_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	return mp_buf_put(b, x, sizeof(x));
}

int
mp_buf_put_u64(mp_buf *b, uint64_t v)
{
	int r;

	if ((r = mp_buf_put_u32(b, (uint32_t)(v >> 32))) != MP_OK)
		return r;
	return mp_buf_put_u32(b, (uint32_t)v);
}

int
mp_buf_put_string(mp_buf *b, const void *p, size_t n)
{
	int r;

	if (n > UINT32_MAX)
		return MP_ERR_TOO_LARGE;
	if ((r = reserve(b, 4 + n)) != MP_OK)
		return r;
	if ((r = mp_buf_put_u32(b, (uint32_t)n)) != MP_OK)
		return r;
	return mp_buf_put(b, p, n);
}

int
mp_buf_vputf(mp_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, r;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return MP_ERR_INVALID;
	if ((r = reserve(b, (size_t)n)) != MP_OK)
		return r;
	vsnprintf((char *)b->d + b->size, (size_t)n + 1, fmt, ap);
	b->size += (size_t)n;
	return MP_OK;
}

int
mp_buf_putf(mp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = mp_buf_vputf(b, fmt, ap);
	va_end(ap);
	return r;
}

int
mp_buf_get(mp_buf *b, void *out, size_t n)
{
	if (n > mp_buf_len(b))
		return MP_ERR_INVALID;
	if (out != NULL && n > 0)
		memcpy(out, b->d + b->off, n);
	b->off += n;
	return MP_OK;
}

int
mp_buf_consume(mp_buf *b, size_t n)
{
	return mp_buf_get(b, NULL, n);
}

int
mp_buf_get_u8(mp_buf *b, uint8_t *v)
{
	return mp_buf_get(b, v, 1);
}

int
mp_buf_get_u32(mp_buf *b, uint32_t *v)
{
	uint8_t x[4];
	int r;

	if ((r = mp_buf_get(b, x, 4)) != MP_OK)
		return r;
	*v = (uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 | (uint32_t)x[2] << 8 | x[3];
	return MP_OK;
}

int
mp_buf_get_u64(mp_buf *b, uint64_t *v)
{
	uint32_t hi, lo;
	int r;

	if (mp_buf_len(b) < 8)
		return MP_ERR_INVALID;
	if ((r = mp_buf_get_u32(b, &hi)) != MP_OK || (r = mp_buf_get_u32(b, &lo)) != MP_OK)
		return r;
	*v = (uint64_t)hi << 32 | lo;
	return MP_OK;
}

int
mp_buf_get_string_direct(mp_buf *b, size_t maxlen, const uint8_t **p, size_t *len)
{
	uint32_t n;
	size_t save = b->off;
	int r;

	if ((r = mp_buf_get_u32(b, &n)) != MP_OK)
		return r;
	if (n > maxlen || n > mp_buf_len(b)) {
		b->off = save;
		return n > maxlen ? MP_ERR_TOO_LARGE : MP_ERR_INVALID;
	}
	*p = b->d + b->off;
	*len = n;
	b->off += n;
	return MP_OK;
}

int
mp_buf_get_cstring(mp_buf *b, size_t maxlen, char **out)
{
	size_t save = b->off, n;
	const uint8_t *p;
	char *s;
	int r;

	if ((r = mp_buf_get_string_direct(b, maxlen, &p, &n)) != MP_OK)
		return r;
	if (memchr(p, '\0', n) != NULL) {
		b->off = save;
		return MP_ERR_INVALID;
	}
	if ((s = malloc(n + 1)) == NULL) {
		b->off = save;
		return MP_ERR_NOMEM;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	*out = s;
	return MP_OK;
}
