#include "fdo_http.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cbor.h"
#include "err.h"

struct call {
	struct event_base *base;
	cli_fdo_answer *out;
	bool too_large;
};

static void
on_response(struct evhttp_request *r, void *arg)
{
	struct call *c = arg;
	cli_fdo_answer *out = c->out;
	struct evkeyvalq *h;
	struct evbuffer *b;
	const char *v;

	if (r != NULL && (out->status = evhttp_request_get_response_code(r)) > 0) {
		h = evhttp_request_get_input_headers(r);
		b = evhttp_request_get_input_buffer(r);
		if ((v = evhttp_find_header(h, "Message-Type")) != NULL)
			snprintf(out->type, sizeof(out->type), "%s", v);
		if ((v = evhttp_find_header(h, "Authorization")) != NULL)
			snprintf(out->auth, sizeof(out->auth), "%s", v);
		c->too_large = evbuffer_get_length(b) > sizeof(out->body);
		if (!c->too_large)
			out->len = (size_t)evbuffer_remove(b, out->body, sizeof(out->body));
	}
	event_base_loopexit(c->base, NULL);
}

int
cli_fdo_post(const char *url, int type, const char *token, const mp_buf *body,
    cli_fdo_answer *out, char *err, size_t errsz)
{
	struct evhttp_uri *u = evhttp_uri_parse(url);
	struct evhttp_connection *conn = NULL;
	struct evhttp_request *req = NULL;
	struct evkeyvalq *h;
	struct call c = { NULL, out, false };
	char path[32];
	int r = MP_ERR_INVALID;

	memset(out, 0, sizeof(*out));
	if (u == NULL || evhttp_uri_get_scheme(u) == NULL ||
	    strcmp(evhttp_uri_get_scheme(u), "http") != 0 || evhttp_uri_get_host(u) == NULL ||
	    evhttp_uri_get_port(u) <= 0) {
		snprintf(err, errsz, "the FDO server must be given as http://host:port");
		goto out;
	}
	r = MP_ERR_NOMEM;
	if ((c.base = event_base_new()) == NULL ||
	    (conn = evhttp_connection_base_new(c.base, NULL, evhttp_uri_get_host(u),
	    (unsigned short)evhttp_uri_get_port(u))) == NULL ||
	    (req = evhttp_request_new(on_response, &c)) == NULL)
		goto out;
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", evhttp_uri_get_host(u));
	evhttp_add_header(h, "Content-Type", "application/cbor");
	if (token != NULL)
		evhttp_add_header(h, "Authorization", token);
	evbuffer_add(evhttp_request_get_output_buffer(req), mp_buf_ptr(body), mp_buf_len(body));
	snprintf(path, sizeof(path), "/fdo/101/msg/%d", type);
	r = MP_ERR_IO;
	if (evhttp_make_request(conn, req, EVHTTP_REQ_POST, path) != 0) {
		snprintf(err, errsz, "cannot send FDO message %d", type);
		goto out;
	}
	event_base_dispatch(c.base);
	if (out->status == 0 || c.too_large) {
		snprintf(err, errsz, "%s to FDO message %d from %s", c.too_large ?
		    "an answer larger than 64 KiB" : "no answer", type, url);
		goto out;
	}
	r = MP_OK;
out:
	if (conn != NULL)
		evhttp_connection_free(conn);
	if (c.base != NULL)
		event_base_free(c.base);
	if (u != NULL)
		evhttp_uri_free(u);
	return r;
}

bool
cli_fdo_error_text(const cli_fdo_answer *a, char *buf, size_t n)
{
	const char *msg = "";
	uint64_t code = 0, prev;
	size_t ml = 0;
	fdo_cbor c;

	fdo_cbor_init(&c, a->body, a->len);
	if (strcmp(a->type, "255") != 0 || fdo_cbor_array_n(&c, 5) != MP_OK ||
	    fdo_cbor_uint(&c, UINT16_MAX, &code) != MP_OK || fdo_cbor_uint(&c, 255, &prev) != MP_OK ||
	    fdo_cbor_tstr(&c, &msg, &ml) != MP_OK)
		return false;
	snprintf(buf, n, "error %u (HTTP %d): %.*s", (unsigned)code, a->status, (int)ml, msg);
	return true;
}
