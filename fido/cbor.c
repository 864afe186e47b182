#include "cbor.h"

#include <string.h>

/* libcbor by its own headers: "cbor.h" is ours */
#include <cbor/callbacks.h>
#include <cbor/encoding.h>
#include <cbor/streaming.h>

#include "err.h"

/* What one head was, filled by the streaming decoder's callbacks. */
enum head_kind {
	HEAD_NONE,
	HEAD_UINT,
	HEAD_NEGINT,   /* the value is -1 - val */
	HEAD_BSTR,
	HEAD_TSTR,
	HEAD_ARRAY,
	HEAD_MAP,
	HEAD_TAG,
	HEAD_BOOL,
	HEAD_NULL,
	HEAD_OTHER,    /* undefined, floats: well-formed, never what FDO asks for */
	HEAD_INDEFINITE,
};

struct head {
	enum head_kind kind;
	uint64_t val;
	const uint8_t *data;
	size_t len;
};

static void
on_uint8(void *ctx, uint8_t v)
{
	struct head *h = ctx;

	h->kind = HEAD_UINT;
	h->val = v;
}

static void
on_uint16(void *ctx, uint16_t v)
{
	on_uint8(ctx, 0);
	((struct head *)ctx)->val = v;
}

static void
on_uint32(void *ctx, uint32_t v)
{
	on_uint8(ctx, 0);
	((struct head *)ctx)->val = v;
}

static void
on_uint64(void *ctx, uint64_t v)
{
	on_uint8(ctx, 0);
	((struct head *)ctx)->val = v;
}

static void
on_negint64(void *ctx, uint64_t v)
{
	struct head *h = ctx;

	h->kind = HEAD_NEGINT;
	h->val = v;
}

static void
on_negint32(void *ctx, uint32_t v)
{
	on_negint64(ctx, v);
}

static void
on_negint16(void *ctx, uint16_t v)
{
	on_negint64(ctx, v);
}

static void
on_negint8(void *ctx, uint8_t v)
{
	on_negint64(ctx, v);
}

static void
on_bstr(void *ctx, cbor_data p, size_t n)
{
	struct head *h = ctx;

	h->kind = HEAD_BSTR;
	h->data = p;
	h->len = n;
}

static void
on_tstr(void *ctx, cbor_data p, size_t n)
{
	on_bstr(ctx, p, n);
	((struct head *)ctx)->kind = HEAD_TSTR;
}

static void
on_array(void *ctx, size_t n)
{
	struct head *h = ctx;

	h->kind = HEAD_ARRAY;
	h->val = n;
}

static void
on_map(void *ctx, size_t n)
{
	struct head *h = ctx;

	h->kind = HEAD_MAP;
	h->val = n;
}

static void
on_tag(void *ctx, uint64_t v)
{
	struct head *h = ctx;

	h->kind = HEAD_TAG;
	h->val = v;
}

static void
on_bool(void *ctx, bool v)
{
	struct head *h = ctx;

	h->kind = HEAD_BOOL;
	h->val = v;
}

static void
on_null(void *ctx)
{
	((struct head *)ctx)->kind = HEAD_NULL;
}

static void
on_other(void *ctx)
{
	((struct head *)ctx)->kind = HEAD_OTHER;
}

static void
on_float(void *ctx, float v)
{
	(void)v;
	on_other(ctx);
}

static void
on_double(void *ctx, double v)
{
	(void)v;
	on_other(ctx);
}

static void
on_indefinite(void *ctx)
{
	((struct head *)ctx)->kind = HEAD_INDEFINITE;
}

static const struct cbor_callbacks callbacks = {
	.uint8 = on_uint8,
	.uint16 = on_uint16,
	.uint32 = on_uint32,
	.uint64 = on_uint64,
	.negint8 = on_negint8,
	.negint16 = on_negint16,
	.negint32 = on_negint32,
	.negint64 = on_negint64,
	/* libcbor names these the other way round: *_start is the indefinite form */
	.byte_string = on_bstr,
	.byte_string_start = on_indefinite,
	.string = on_tstr,
	.string_start = on_indefinite,
	.array_start = on_array,
	.indef_array_start = on_indefinite,
	.map_start = on_map,
	.indef_map_start = on_indefinite,
	.tag = on_tag,
	.float2 = on_float,
	.float4 = on_float,
	.float8 = on_double,
	.undefined = on_other,
	.null = on_null,
	.boolean = on_bool,
	.indef_break = on_indefinite,
};

/*
 * Decodes the next head without consuming it; *used is its length (with a
 * string's contents). Counts of arrays and maps must fit the bytes that
 * remain, each item taking at least one.
 */
static int
head_peek(const fdo_cbor *c, struct head *h, size_t *used)
{
	struct cbor_decoder_result res;
	size_t rest;

	memset(h, 0, sizeof(*h));
	if (c->len == 0)
		return MP_ERR_INVALID;
	/* libcbor 0.8 refuses the one-byte tags 6..20 as unassigned; COSE_Sign1 is 18 */
	if (c->p[0] >> 5 == FDO_CBOR_TAG && (c->p[0] & 0x1fu) < 24) {
		h->kind = HEAD_TAG;
		h->val = c->p[0] & 0x1fu;
		*used = 1;
		return MP_OK;
	}
	res = cbor_stream_decode(c->p, c->len, &callbacks, h);
	if (res.status != CBOR_DECODER_FINISHED || res.read == 0 || res.read > c->len ||
	    h->kind == HEAD_NONE || h->kind == HEAD_INDEFINITE)
		return MP_ERR_INVALID;
	rest = c->len - res.read;
	if ((h->kind == HEAD_ARRAY && h->val > rest) || (h->kind == HEAD_MAP && h->val > rest / 2))
		return MP_ERR_INVALID;
	*used = res.read;
	return MP_OK;
}

static int
head_take(fdo_cbor *c, enum head_kind kind, struct head *h)
{
	size_t used;

	if (head_peek(c, h, &used) != MP_OK || h->kind != kind)
		return MP_ERR_INVALID;
	c->p += used;
	c->len -= used;
	return MP_OK;
}

void
fdo_cbor_init(fdo_cbor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = p != NULL ? len : 0;
}

bool
fdo_cbor_empty(const fdo_cbor *c)
{
	return c->len == 0;
}

int
fdo_cbor_peek(const fdo_cbor *c)
{
	return c->len == 0 ? -1 : c->p[0] >> 5;
}

int
fdo_cbor_array(fdo_cbor *c, size_t *n)
{
	struct head h;

	if (head_take(c, HEAD_ARRAY, &h) != MP_OK)
		return MP_ERR_INVALID;
	*n = (size_t)h.val;
	return MP_OK;
}

int
fdo_cbor_array_n(fdo_cbor *c, size_t n)
{
	fdo_cbor save = *c;
	size_t got;

	if (fdo_cbor_array(c, &got) != MP_OK)
		return MP_ERR_INVALID;
	if (got != n) {
		*c = save;
		return MP_ERR_INVALID;
	}
	return MP_OK;
}

int
fdo_cbor_map(fdo_cbor *c, size_t *n)
{
	struct head h;

	if (head_take(c, HEAD_MAP, &h) != MP_OK)
		return MP_ERR_INVALID;
	*n = (size_t)h.val;
	return MP_OK;
}

int
fdo_cbor_uint(fdo_cbor *c, uint64_t max, uint64_t *v)
{
	fdo_cbor save = *c;
	struct head h;

	if (head_take(c, HEAD_UINT, &h) != MP_OK)
		return MP_ERR_INVALID;
	if (h.val > max) {
		*c = save;
		return MP_ERR_INVALID;
	}
	*v = h.val;
	return MP_OK;
}

int
fdo_cbor_int(fdo_cbor *c, int64_t *v)
{
	struct head h;
	size_t used;

	if (head_peek(c, &h, &used) != MP_OK || (h.kind != HEAD_UINT && h.kind != HEAD_NEGINT) ||
	    h.val > INT64_MAX)
		return MP_ERR_INVALID;
	*v = h.kind == HEAD_UINT ? (int64_t)h.val : -1 - (int64_t)h.val;
	c->p += used;
	c->len -= used;
	return MP_OK;
}

int
fdo_cbor_bstr(fdo_cbor *c, const uint8_t **p, size_t *n)
{
	struct head h;

	if (head_take(c, HEAD_BSTR, &h) != MP_OK)
		return MP_ERR_INVALID;
	*p = h.data;
	*n = h.len;
	return MP_OK;
}

int
fdo_cbor_tstr(fdo_cbor *c, const char **p, size_t *n)
{
	struct head h;

	if (head_take(c, HEAD_TSTR, &h) != MP_OK)
		return MP_ERR_INVALID;
	*p = (const char *)h.data;
	*n = h.len;
	return MP_OK;
}

int
fdo_cbor_tag(fdo_cbor *c, uint64_t *tag)
{
	struct head h;

	if (head_take(c, HEAD_TAG, &h) != MP_OK)
		return MP_ERR_INVALID;
	*tag = h.val;
	return MP_OK;
}

int
fdo_cbor_bool(fdo_cbor *c, bool *v)
{
	struct head h;

	if (head_take(c, HEAD_BOOL, &h) != MP_OK)
		return MP_ERR_INVALID;
	*v = h.val != 0;
	return MP_OK;
}

bool
fdo_cbor_null(fdo_cbor *c)
{
	struct head h;

	return head_take(c, HEAD_NULL, &h) == MP_OK;
}

int
fdo_cbor_skip(fdo_cbor *c, const uint8_t **start, size_t *len)
{
	fdo_cbor w = *c;
	uint64_t pending = 1;
	struct head h;
	size_t used;

	/* each head consumes one pending item and owes its children; counts fit the input */
	while (pending > 0) {
		if (head_peek(&w, &h, &used) != MP_OK)
			return MP_ERR_INVALID;
		w.p += used;
		w.len -= used;
		pending--;
		if (h.kind == HEAD_ARRAY || h.kind == HEAD_TAG)
			pending += h.kind == HEAD_TAG ? 1 : h.val;
		else if (h.kind == HEAD_MAP)
			pending += 2 * h.val;
	}
	if (start != NULL)
		*start = c->p;
	if (len != NULL)
		*len = c->len - w.len;
	*c = w;
	return MP_OK;
}

bool
fdo_cbor_is_item(const uint8_t *p, size_t n)
{
	fdo_cbor c;

	fdo_cbor_init(&c, p, n);
	return fdo_cbor_skip(&c, NULL, NULL) == MP_OK && fdo_cbor_empty(&c);
}

/* Appends what one of libcbor's encoders writes (at most 9 bytes of head). */
#define PUT_HEAD(b, call)                                   \
	do {                                                \
		unsigned char tmp_[9];                      \
		size_t n_ = (call);                         \
		if (n_ == 0)                                \
			return MP_ERR_INTERNAL;             \
		return mp_buf_put((b), tmp_, n_);           \
	} while (0)

int
fdo_put_array(mp_buf *b, size_t n)
{
	PUT_HEAD(b, cbor_encode_array_start(n, tmp_, sizeof(tmp_)));
}

int
fdo_put_map(mp_buf *b, size_t n)
{
	PUT_HEAD(b, cbor_encode_map_start(n, tmp_, sizeof(tmp_)));
}

int
fdo_put_uint(mp_buf *b, uint64_t v)
{
	PUT_HEAD(b, cbor_encode_uint(v, tmp_, sizeof(tmp_)));
}

int
fdo_put_int(mp_buf *b, int64_t v)
{
	if (v >= 0)
		return fdo_put_uint(b, (uint64_t)v);
	PUT_HEAD(b, cbor_encode_negint((uint64_t)(-1 - v), tmp_, sizeof(tmp_)));
}

int
fdo_put_bstr_head(mp_buf *b, size_t n)
{
	PUT_HEAD(b, cbor_encode_bytestring_start(n, tmp_, sizeof(tmp_)));
}

int
fdo_put_bstr(mp_buf *b, const void *p, size_t n)
{
	int r;

	if ((r = fdo_put_bstr_head(b, n)) != MP_OK)
		return r;
	return n == 0 ? MP_OK : mp_buf_put(b, p, n);
}

static int
put_tstr_head(mp_buf *b, size_t n)
{
	PUT_HEAD(b, cbor_encode_string_start(n, tmp_, sizeof(tmp_)));
}

int
fdo_put_tstr(mp_buf *b, const char *s, size_t n)
{
	int r;

	if ((r = put_tstr_head(b, n)) != MP_OK)
		return r;
	return n == 0 ? MP_OK : mp_buf_put(b, s, n);
}

int
fdo_put_tag(mp_buf *b, uint64_t tag)
{
	PUT_HEAD(b, cbor_encode_tag(tag, tmp_, sizeof(tmp_)));
}

int
fdo_put_null(mp_buf *b)
{
	PUT_HEAD(b, cbor_encode_null(tmp_, sizeof(tmp_)));
}

int
fdo_put_bool(mp_buf *b, bool v)
{
	PUT_HEAD(b, cbor_encode_bool(v, tmp_, sizeof(tmp_)));
}
