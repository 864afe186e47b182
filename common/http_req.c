/* Requests of the HTTP server: parsing the target, routing, and the replies. */
#include <event2/bufferevent_ssl.h>
#include <event2/keyvalq_struct.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "err.h"
#include "http_priv.h"
#include "json.h"

#define MAX_QUERY_PARAMS 64

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

/* Splits query (may be NULL) into decoded key/value pairs of req. */
static int
parse_query(mp_http_req *req, const char *query)
{
	const char *p = query, *amp, *eq;
	size_t n = 1;
	int r;

	if (query == NULL || *query == '\0')
		return MP_OK;
	for (const char *s = query; *s != '\0'; s++)
		if (*s == '&')
			n++;
	if (n > MAX_QUERY_PARAMS)
		return MP_ERR_TOO_LARGE;
	if ((req->qkeys = calloc(n, sizeof(char *))) == NULL ||
	    (req->qvals = calloc(n, sizeof(char *))) == NULL)
		return MP_ERR_NOMEM;
	for (;;) {
		size_t seglen;

		amp = strchr(p, '&');
		seglen = amp != NULL ? (size_t)(amp - p) : strlen(p);
		if (seglen > 0) {
			eq = memchr(p, '=', seglen);
			if ((r = mp_url_decode(p, eq != NULL ? (size_t)(eq - p) : seglen, true,
			         &req->qkeys[req->nq])) != MP_OK)
				return r;
			r = eq != NULL ? mp_url_decode(eq + 1, seglen - (size_t)(eq + 1 - p), true,
			                     &req->qvals[req->nq])
			               : mp_url_decode("", 0, true, &req->qvals[req->nq]);
			req->nq++;
			if (r != MP_OK)
				return r;
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	return MP_OK;
}

static void
req_cleanup(mp_http_req *req)
{
	for (size_t i = 0; i < req->nq; i++) {
		free(req->qkeys[i]);
		free(req->qvals[i]);
	}
	free(req->qkeys);
	free(req->qvals);
	free(req->path);
}

static const char *
method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_PATCH: return "PATCH";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	default: return "OTHER";
	}
}

static bool
path_matches(const char *pattern, const char *path)
{
	size_t n = strlen(pattern);

	if (n >= 2 && pattern[n - 2] == '/' && pattern[n - 1] == '*')
		return strncmp(pattern, path, n - 1) == 0;
	return strcmp(pattern, path) == 0;
}

static bool
method_matches(const char *route, const char *method)
{
	return strcmp(route, method) == 0 ||
	    (strcmp(method, "HEAD") == 0 && strcmp(route, "GET") == 0);
}

/* Finds the route for req; else replies 404 or 405 (with Allow) and returns NULL. */
static const mp_http_route *
route(mp_http_req *req, const struct http_listener *l)
{
	char allow[128] = "";
	size_t off = 0;
	bool path_known = false;

	for (size_t i = 0; i < l->nroutes; i++) {
		const mp_http_route *rt = &l->routes[i];

		if (!path_matches(rt->path, req->path))
			continue;
		if (method_matches(rt->method, req->method))
			return rt;
		path_known = true;
		if (strstr(allow, rt->method) == NULL && off + strlen(rt->method) + 8 < sizeof(allow))
			off += (size_t)snprintf(allow + off, sizeof(allow) - off, "%s%s%s",
			    off ? ", " : "", rt->method, strcmp(rt->method, "GET") == 0 ? ", HEAD" : "");
	}
	if (path_known) {
		mp_http_set_header(req, "Allow", allow);
		mp_http_reply_error(req, 405, "method_not_allowed",
		    "this method is not allowed on this path", NULL);
	} else {
		mp_http_reply_error(req, 404, "not_found", "no such path", NULL);
	}
	return NULL;
}

/* Whether the body fits: max_body_bytes, or the listener's larger limit below its prefix. */
static bool
body_allowed(const mp_http_req *req, const struct http_listener *l)
{
	if (req->body_len <= req->conn->wl->w->srv->cfg->http_max_body_bytes)
		return true;
	/* a prefix match is meant: the larger limit covers every path below it */
	return l->max_body_prefix != NULL &&
	    strncmp(req->path, l->max_body_prefix, strlen(l->max_body_prefix)) == 0;
}

/*
 * Routes req, whose method, connection and body are set, by its raw path
 * (percent-encoded, raw_len bytes) and query (NULL when none), and runs
 * the handler: the part of a request common to both kinds of connection.
 */
static void
req_run(mp_http_req *req, const char *raw, size_t raw_len, const char *query)
{
	struct http_conn *c = req->conn;
	const mp_http_route *rt;
	int r;

	snprintf(c->method, sizeof(c->method), "%s", req->method);
	if (raw == NULL || mp_url_decode(raw, raw_len, false, &req->path) != MP_OK) {
		mp_http_reply_error(req, 400, "invalid_path",
		    "the path has an invalid percent-encoding or a NUL", NULL);
		goto out;
	}
	if (req->path[0] == '\0') {
		free(req->path);
		if ((req->path = strdup("/")) == NULL)
			goto fail;
	}
	snprintf(c->path, sizeof(c->path), "%s", req->path);
	if (!body_allowed(req, c->wl->l)) {
		mp_http_reply_error(req, 413, "body_too_large",
		    "the request body exceeds the size limit", NULL);
		goto out;
	}
	if ((r = parse_query(req, query)) != MP_OK) {
		if (r == MP_ERR_NOMEM)
			goto fail;
		mp_http_reply_error(req, 400, "invalid_query",
		    r == MP_ERR_TOO_LARGE ? "too many query parameters"
		                          : "the query has an invalid percent-encoding or a NUL",
		    NULL);
		goto out;
	}
	if ((rt = route(req, c->wl->l)) == NULL)
		goto out;
	rt->fn(req, c->wl->l->arg);
	if (!req->replied)
		goto fail;
	goto out;
fail:
	if (!req->replied)
		mp_http_reply_error(req, 500, "internal", "internal error", NULL);
out:
	req_cleanup(req);
}

void
http_req_dispatch(struct http_conn *c, struct evhttp_request *ev)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *raw = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	mp_http_req req;

	memset(&req, 0, offsetof(mp_http_req, hdrs));
	req.ev = ev;
	req.conn = c;
	req.method = method_name(evhttp_request_get_command(ev));
	req.body_len = evbuffer_get_length(evhttp_request_get_input_buffer(ev));
	if (c->hdr_bytes > c->wl->w->srv->cfg->http_max_header_bytes) {
		snprintf(c->method, sizeof(c->method), "%s", req.method);
		mp_http_reply_error(&req, 431, "header_too_large",
		    "the request header exceeds the size limit", NULL);
		return;
	}
	req_run(&req, raw, raw != NULL ? strlen(raw) : 0, uri != NULL ? evhttp_uri_get_query(uri) : NULL);
}

void
http_req_dispatch_plain(struct http_conn *c, const struct http_head *h, const uint8_t *body,
    size_t len)
{
	mp_http_req req;
	char *q;

	memset(&req, 0, offsetof(mp_http_req, hdrs));
	req.method = h->method;
	req.conn = c;
	req.head = h;
	req.body = body;
	req.body_len = len;
	/* origin-form only (RFC 9112 3.2.1): a path, then the query after '?' */
	if (h->target[0] != '/') {
		snprintf(c->method, sizeof(c->method), "%s", req.method);
		mp_http_reply_error(&req, 400, "invalid_path", "the request target is not a path", NULL);
		return;
	}
	q = strchr(h->target, '?');
	req_run(&req, h->target, q != NULL ? (size_t)(q - h->target) : strlen(h->target),
	    q != NULL ? q + 1 : NULL);
}

static void
response_complete(struct evhttp_request *ev, void *arg)
{
	(void)ev;
	http_conn_response_done(arg);
}

const char *
mp_http_req_method(const mp_http_req *req)
{
	return req->method;
}

const char *
mp_http_req_path(const mp_http_req *req)
{
	return req->path;
}

const char *
mp_http_req_query(const mp_http_req *req, const char *name)
{
	for (size_t i = 0; i < req->nq; i++)
		if (strcmp(req->qkeys[i], name) == 0)
			return req->qvals[i];
	return NULL;
}

const char *
mp_http_req_header(const mp_http_req *req, const char *name)
{
	if (req->head != NULL)
		return http_head_field(req->head, name);
	if (req->ev == NULL)
		return NULL;
	return evhttp_find_header(evhttp_request_get_input_headers(req->ev), name);
}

const uint8_t *
mp_http_req_body(mp_http_req *req, size_t *len)
{
	static const uint8_t empty[1];
	struct evbuffer *in;
	const uint8_t *p;

	*len = req->body_len;
	if (*len == 0)
		return empty;
	if (req->ev == NULL)
		return req->body;
	in = evhttp_request_get_input_buffer(req->ev);
	if ((p = evbuffer_pullup(in, -1)) == NULL) {
		*len = 0;
		return empty;
	}
	return p;
}

bool
mp_http_media_type_is(const char *v, const char *type)
{
	size_t n = strlen(type);

	if (v == NULL)
		return false;
	while (*v == ' ' || *v == '\t')
		v++;
	if (strncasecmp(v, type, n) != 0)
		return false;
	v += n;
	while (*v == ' ' || *v == '\t')
		v++;
	return *v == '\0' || *v == ';';
}

uint64_t
mp_http_req_max_body(const mp_http_req *req)
{
	return req->conn->wl->w->srv->cfg->http_max_body_bytes;
}

const char *
mp_http_req_remote(const mp_http_req *req)
{
	return req->conn->remote;
}

const char *
mp_http_req_listener(const mp_http_req *req)
{
	return req->conn->wl->l->name;
}

void *
mp_http_req_worker(const mp_http_req *req)
{
	return req->conn->wl->w->ctx;
}

void
mp_http_req_set_data(mp_http_req *req, void *data)
{
	req->data = data;
}

void *
mp_http_req_data(const mp_http_req *req)
{
	return req->data;
}

X509 *
mp_http_req_peer_cert(const mp_http_req *req)
{
	SSL *ssl = req->conn->bev != NULL ? bufferevent_openssl_get_ssl(req->conn->bev) : NULL;

	return ssl != NULL ? SSL_get0_peer_certificate(ssl) : NULL;
}

STACK_OF(X509) *
mp_http_req_peer_chain(const mp_http_req *req)
{
	SSL *ssl = req->conn->bev != NULL ? bufferevent_openssl_get_ssl(req->conn->bev) : NULL;

	return ssl != NULL && SSL_get0_peer_certificate(ssl) != NULL ?
	    SSL_get_peer_cert_chain(ssl) : NULL;
}

int
mp_http_req_channel_binding(const mp_http_req *req, uint8_t out[MP_HTTP_CHANNEL_BINDING_MAX],
    size_t *len, const char **type)
{
	static const char label[] = "EXPORTER-Channel-Binding";
	SSL *ssl = req->conn->bev != NULL ? bufferevent_openssl_get_ssl(req->conn->bev) : NULL;
	size_t n;

	if (ssl == NULL)
		return MP_ERR_UNSUPPORTED;
	if (SSL_version(ssl) >= TLS1_3_VERSION) {
		if (SSL_export_keying_material(ssl, out, 32, label, sizeof(label) - 1, NULL, 0, 0) != 1)
			return MP_ERR_CRYPTO;
		n = 32;
		if (type != NULL)
			*type = "tls-exporter";
	} else {
		/* the first Finished: the client's in a full handshake, ours when resumed */
		n = SSL_session_reused(ssl) ? SSL_get_finished(ssl, out, MP_HTTP_CHANNEL_BINDING_MAX) :
		    SSL_get_peer_finished(ssl, out, MP_HTTP_CHANNEL_BINDING_MAX);
		if (n == 0 || n > MP_HTTP_CHANNEL_BINDING_MAX)
			return MP_ERR_CRYPTO;
		if (type != NULL)
			*type = "tls-unique";
	}
	*len = n;
	return MP_OK;
}

int
mp_http_set_header(mp_http_req *req, const char *name, const char *value)
{
	size_t nl, vl;

	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return MP_ERR_INVALID;
	if (req->conn->plain != NULL) {
		nl = strlen(name);
		vl = strlen(value);
		if (nl + vl + 5 > sizeof(req->hdrs) - req->hdrs_len)
			return MP_ERR_NOMEM;
		memcpy(req->hdrs + req->hdrs_len, name, nl);
		memcpy(req->hdrs + req->hdrs_len + nl, ": ", 2);
		memcpy(req->hdrs + req->hdrs_len + nl + 2, value, vl);
		memcpy(req->hdrs + req->hdrs_len + nl + 2 + vl, "\r\n", 3);
		req->hdrs_len += nl + vl + 4;
		return MP_OK;
	}
	if (evhttp_add_header(evhttp_request_get_output_headers(req->ev), name, value) != 0)
		return MP_ERR_NOMEM;
	return MP_OK;
}

int
mp_http_reply(mp_http_req *req, int status, const char *content_type, const void *body,
    size_t len)
{
	struct evkeyvalq *h;
	struct http_conn *c = req->conn;

	if (req->replied)
		return MP_ERR_INTERNAL;
	if (status < 100 || status > 599)
		status = 500;
	if (c->plain != NULL)
		return http_plain_reply(req, status, content_type, body, len);
	h = evhttp_request_get_output_headers(req->ev);
	if (content_type != NULL) {
		evhttp_remove_header(h, "Content-Type");
		evhttp_add_header(h, "Content-Type", content_type);
		if (strncmp(content_type, "application/json", 16) == 0) {
			evhttp_remove_header(h, "Cache-Control");
			evhttp_add_header(h, "Cache-Control", "no-store");
		}
	}
	if (c->wl->w->draining) {
		evhttp_remove_header(h, "Connection");
		evhttp_add_header(h, "Connection", "close");
	}
	if (len > 0 && evbuffer_add(evhttp_request_get_output_buffer(req->ev), body, len) != 0)
		return MP_ERR_NOMEM;
	req->replied = true;
	c->ours = true;
	c->status = status;
	c->bytes = len;
	evhttp_request_set_on_complete_cb(req->ev, response_complete, c);
	evhttp_send_reply(req->ev, status, http_reason(status), NULL);
	return MP_OK;
}

int
mp_http_reply_json(mp_http_req *req, int status, json_t *value)
{
	char *s;
	int r;

	s = value != NULL ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(value);
	if (s == NULL)
		return mp_http_reply_error(req, 500, "internal", "internal error", NULL);
	r = mp_http_reply(req, status, "application/json", s, strlen(s));
	free(s);
	return r;
}

int
mp_http_reply_error(mp_http_req *req, int status, const char *code, const char *message,
    const char *field)
{
	static const char fallback[] = "{\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}";
	char *s = NULL;
	size_t len;
	int r;

	if (mp_json_error_doc(code, message, field, &s, &len) != MP_OK)
		return mp_http_reply(req, 500, "application/json", fallback, sizeof(fallback) - 1);
	r = mp_http_reply(req, status, "application/json", s, len);
	free(s);
	return r;
}
