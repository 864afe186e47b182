/*
 * Connections of the plain (non-TLS) listeners, served without evhttp: the
 * OCSP, CRL and Join Server traffic that must be cheap per request. Each
 * worker accepts on its own duplicate of the listening socket; a connection
 * reads into one buffer, frames requests with http_head.c (pipelined ones
 * in order), dispatches them like evhttp's (http_req.c), and appends the
 * responses to one output buffer that is sent once per read. While output
 * waits for the peer, reading stops. Limits, timeouts, metrics, the access
 * log and the drain at shutdown are those of http.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "http_priv.h"
#include "log.h"

#define IN_FIRST 4096
#define OUT_FIRST 4096
/* Connections taken per wake-up of a worker's accept event. */
#define ACCEPT_BATCH 64
/* Pipelined requests wait while this much output is unsent. */
#define OUT_HIGH (256 * 1024)

struct http_plain {
	struct http_conn *c;
	int fd;
	struct event *ev;        /* readable, or writable while output waits */
	struct event *timer;     /* the idle or the request time limit */
	bool writing;            /* ev watches for writable */
	uint8_t *in;
	size_t in_len, in_cap;
	struct http_head head;   /* of the request at the start of in, when have_head */
	bool have_head;
	struct http_chunks chunks;
	bool continued;          /* 100 Continue sent for that request */
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	bool closing;            /* close once out is sent */
};

static uint64_t
body_limit(const struct http_conn *c)
{
	return c->wl->l->max_body != 0 ? c->wl->l->max_body : c->wl->w->srv->cfg->http_max_body_bytes;
}

bool
http_plain_idle(const struct http_conn *c)
{
	return !c->busy && c->plain->out_len == c->plain->out_off;
}

void
http_plain_close(struct http_conn *c)
{
	struct http_plain *p = c->plain;

	event_free(p->ev);
	event_free(p->timer);
	close(p->fd);
	free(p->in);
	free(p->out);
	free(p);
	http_conn_free(c);
}

static int
out_reserve(struct http_plain *p, size_t more)
{
	size_t cap = p->out_cap != 0 ? p->out_cap : OUT_FIRST;
	uint8_t *n;

	if (p->out_off == p->out_len)
		p->out_off = p->out_len = 0;
	if (more > SIZE_MAX / 2 - p->out_len)
		return MP_ERR_NOMEM;
	while (cap < p->out_len + more)
		cap *= 2;
	if (cap == p->out_cap)
		return MP_OK;
	if ((n = realloc(p->out, cap)) == NULL)
		return MP_ERR_NOMEM;
	p->out = n;
	p->out_cap = cap;
	return MP_OK;
}

/* Appends to out, whose room out_reserve made. */
static void
put(struct http_plain *p, const void *s, size_t n)
{
	memcpy(p->out + p->out_len, s, n);
	p->out_len += n;
}

static void
puts_(struct http_plain *p, const char *s)
{
	put(p, s, strlen(s));
}

static void
put_u64(struct http_plain *p, uint64_t v)
{
	char d[20];
	size_t n = 0;

	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(p, d + sizeof(d) - n, n);
}

/* Whether the header line at s (ending in CRLF) has the field name (any case). */
static bool
line_named(const char *s, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(s, name, n) == 0 && s[n] == ':';
}

/* The date for responses of this second, made once a second per worker. */
static const char *
date_now(struct http_worker *w)
{
	int64_t now = (int64_t)time(NULL);

	if (now != w->date_at) {
		mp_http_date(now, w->date);
		w->date_at = now;
	}
	return w->date;
}

int
http_plain_reply(mp_http_req *req, int status, const char *content_type, const void *body,
    size_t len)
{
	struct http_conn *c = req->conn;
	struct http_plain *p = c->plain;
	bool json = content_type != NULL && strncmp(content_type, "application/json", 16) == 0;
	bool bodyless = status < 200 || status == 204 || status == 304;
	bool typed = content_type != NULL;
	const char *reason = http_reason(status);
	size_t need;

	if (c->wl->w->draining)
		p->closing = true;
	need = 160 + strlen(reason) + req->hdrs_len + (typed ? strlen(content_type) : 0) +
	    MP_HTTP_DATE_MAX + len;
	if (out_reserve(p, need) != MP_OK) {
		p->closing = true;
		return MP_ERR_NOMEM;
	}
	puts_(p, "HTTP/1.1 ");
	put_u64(p, (uint64_t)status);
	puts_(p, " ");
	puts_(p, reason);
	puts_(p, "\r\n");
	for (size_t i = 0; i < req->hdrs_len;) {
		const char *line = req->hdrs + i;
		size_t n = (size_t)(strstr(line, "\r\n") - line) + 2;

		if (line_named(line, "Content-Type") && content_type == NULL)
			typed = true;
		if (!(content_type != NULL && line_named(line, "Content-Type")) &&
		    !(json && line_named(line, "Cache-Control")))
			put(p, line, n);
		i += n;
	}
	if (!bodyless && !typed)
		content_type = "application/octet-stream";
	if (content_type != NULL && !bodyless) {
		puts_(p, "Content-Type: ");
		puts_(p, content_type);
		puts_(p, "\r\n");
	}
	if (json)
		puts_(p, "Cache-Control: no-store\r\n");
	if (!bodyless) {
		puts_(p, "Content-Length: ");
		put_u64(p, len);
		puts_(p, "\r\n");
	}
	puts_(p, "Date: ");
	puts_(p, date_now(c->wl->w));
	puts_(p, "\r\n");
	if (p->closing)
		puts_(p, "Connection: close\r\n");
	else if (req->head != NULL && req->head->minor == 0)
		puts_(p, "Connection: keep-alive\r\n");
	puts_(p, "\r\n");
	if (!bodyless && len > 0 && strcmp(req->method, "HEAD") != 0)
		put(p, body, len);
	req->replied = true;
	c->status = status;
	c->bytes = len;
	http_access_log(c);
	return MP_OK;
}

/* Answers a request that cannot be served and ends the connection after it. */
static void
refuse(struct http_plain *p, int status, const char *code, const char *message)
{
	mp_http_req req;

	memset(&req, 0, offsetof(mp_http_req, hdrs));
	req.conn = p->c;
	req.method = "-";
	p->closing = true;
	mp_http_reply_error(&req, status, code, message, NULL);
}

static void on_io(evutil_socket_t fd, short what, void *arg);

static void
watch(struct http_plain *p, bool writing)
{
	if (p->writing == writing)
		return;
	event_del(p->ev);
	event_assign(p->ev, p->c->wl->w->base, p->fd, (writing ? EV_WRITE : EV_READ) | EV_PERSIST,
	    on_io, p);
	event_add(p->ev, NULL);
	p->writing = writing;
}

/*
 * Sends what out holds. Returns false when the connection was closed (done
 * with a closing response, or the peer is gone).
 */
static bool
flush(struct http_plain *p)
{
	while (p->out_off < p->out_len) {
		ssize_t n = send(p->fd, p->out + p->out_off, p->out_len - p->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			watch(p, true);
			return true;
		}
		if (n <= 0) {
			http_plain_close(p->c);
			return false;
		}
		p->out_off += (size_t)n;
	}
	p->out_off = p->out_len = 0;
	/* at shutdown a connection ends once its last answer is out */
	if (p->closing || (p->c->wl->w->draining && !p->c->busy)) {
		shutdown(p->fd, SHUT_WR);
		http_plain_close(p->c);
		return false;
	}
	watch(p, false);
	return true;
}

/* Moves the pointers of the parsed head by delta after its bytes moved. */
static void
rebase_head(struct http_plain *p, ptrdiff_t delta)
{
	struct http_head *h = &p->head;

	if (!p->have_head)
		return;
	h->method += delta;
	h->target += delta;
	for (size_t i = 0; i < h->nfields; i++) {
		h->fields[i].name += delta;
		h->fields[i].value += delta;
	}
}

/* Waits for more of a body; a client that asked gets 100 Continue first. */
static void
await_body(struct http_plain *p)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

	if (p->head.expect_continue && !p->continued && p->head.minor == 1 &&
	    out_reserve(p, sizeof(cont)) == MP_OK) {
		put(p, cont, sizeof(cont) - 1);
		p->continued = true;
	}
}

/* The head of the request at in[pos..]: false when it must wait or was refused. */
static bool
take_head(struct http_plain *p, size_t pos)
{
	const mp_config *cfg = p->c->wl->w->srv->cfg;
	size_t avail = p->in_len - pos;

	switch (http_head_parse((char *)p->in + pos, avail, &p->head)) {
	case HTTP_HEAD_PARTIAL:
		if (avail > cfg->http_max_header_bytes)
			refuse(p, 431, "header_too_large", "the request header exceeds the size limit");
		return false;
	case HTTP_HEAD_OK:
		break;
	case HTTP_HEAD_TOO_MANY:
		refuse(p, 431, "header_too_large", "the request header exceeds the size limit");
		return false;
	case HTTP_HEAD_METHOD:
		refuse(p, 501, "method_not_implemented", "this method is not supported");
		return false;
	case HTTP_HEAD_CODING:
		refuse(p, 501, "transfer_coding_not_implemented",
		    "only the chunked transfer coding is supported");
		return false;
	case HTTP_HEAD_EXPECT:
		refuse(p, 417, "expectation_failed", "only Expect: 100-continue is supported");
		return false;
	default:
		refuse(p, 400, "bad_request", "the request is not valid HTTP/1.1");
		return false;
	}
	if (p->head.len > cfg->http_max_header_bytes) {
		refuse(p, 431, "header_too_large", "the request header exceeds the size limit");
		return false;
	}
	if (p->head.has_length && p->head.length > body_limit(p->c)) {
		refuse(p, 413, "body_too_large", "the request body exceeds the size limit");
		return false;
	}
	p->have_head = true;
	p->continued = false;
	memset(&p->chunks, 0, sizeof(p->chunks));
	return true;
}

/*
 * Serves the request at in[pos..] if it is complete: *used gets its length.
 * False when it must wait for more bytes or was refused (closing).
 */
static bool
serve_one(struct http_plain *p, size_t pos, size_t *used)
{
	uint8_t *req = p->in + pos, *body;
	size_t avail = p->in_len - pos, blen = 0, wire = 0;

	if (!p->have_head && !take_head(p, pos))
		return false;
	body = req + p->head.len;
	if (p->head.chunked) {
		switch (http_chunks_decode(body, avail - p->head.len, body_limit(p->c), &p->chunks,
		    &blen, &wire)) {
		case HTTP_CHUNKS_OK:
			break;
		case HTTP_CHUNKS_PARTIAL:
			await_body(p);
			return false;
		case HTTP_CHUNKS_TOO_LARGE:
			refuse(p, 413, "body_too_large", "the request body exceeds the size limit");
			return false;
		default:
			refuse(p, 400, "bad_request", "the chunked body is malformed");
			return false;
		}
	} else if (p->head.has_length) {
		if (avail - p->head.len < p->head.length) {
			await_body(p);
			return false;
		}
		blen = wire = (size_t)p->head.length;
	}
	if (p->head.close)
		p->closing = true;
	http_req_dispatch_plain(p->c, &p->head, body, blen);
	p->have_head = false;
	*used = p->head.len + wire;
	return true;
}

/* Marks the start of a request whose first bytes are in: its time limit runs from now. */
static void
request_begins(struct http_plain *p)
{
	p->c->busy = true;
	clock_gettime(CLOCK_MONOTONIC, &p->c->start);
	event_add(p->timer, p->c->wl->w->request_tv);
}

/*
 * Serves every complete request in in, then sends the responses. The idle
 * time limit runs once no request is in progress.
 */
static void
serve(struct http_plain *p)
{
	struct http_conn *c = p->c;
	size_t pos = 0, used;

	while (!p->closing && pos < p->in_len && p->out_len - p->out_off < OUT_HIGH &&
	    serve_one(p, pos, &used)) {
		pos += used;
		c->busy = false;
		if (pos < p->in_len)
			request_begins(p);
	}
	if (pos > 0) {
		memmove(p->in, p->in + pos, p->in_len - pos);
		p->in_len -= pos;
		rebase_head(p, -(ptrdiff_t)pos);
	}
	if (flush(p) && !c->busy)
		event_add(p->timer, c->wl->w->idle_tv);
}

/* Makes room to read into: up to the largest request the limits allow. */
static bool
in_room(struct http_plain *p)
{
	const mp_config *cfg = p->c->wl->w->srv->cfg;
	uint64_t max = cfg->http_max_header_bytes + 2 * body_limit(p->c) + 8192;
	size_t cap;
	uint8_t *n;

	if (p->in_len < p->in_cap)
		return true;
	if (p->in_cap >= max) {
		refuse(p, 413, "body_too_large", "the request body exceeds the size limit");
		return false;
	}
	cap = p->in_cap != 0 ? p->in_cap * 2 : IN_FIRST;
	if (cap > max)
		cap = (size_t)max;
	if ((n = realloc(p->in, cap)) == NULL) {
		refuse(p, 500, "internal", "internal error");
		return false;
	}
	rebase_head(p, (char *)n - (char *)p->in);
	p->in = n;
	p->in_cap = cap;
	return true;
}

static void
readable(struct http_plain *p)
{
	struct http_conn *c = p->c;
	ssize_t n;

	if (!in_room(p)) {
		flush(p);
		return;
	}
	n = recv(p->fd, p->in + p->in_len, p->in_cap - p->in_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		http_plain_close(c);
		return;
	}
	if (!c->busy)
		request_begins(p);
	p->in_len += (size_t)n;
	serve(p);
}

static void
on_io(evutil_socket_t fd, short what, void *arg)
{
	struct http_plain *p = arg;

	(void)fd;
	(void)what;
	if (!p->writing) {
		readable(p);
		return;
	}
	/* the output went out: serve what was pipelined behind it */
	if (flush(p) && !p->writing)
		serve(p);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct http_plain *p = arg;

	(void)fd;
	(void)what;
	if (p->c->busy)
		mp_debug("listener %s: closing connection from %s: request not received in time",
		    p->c->wl->l->name, p->c->remote);
	http_plain_close(p->c);
}

static void
peer_name(const struct sockaddr_storage *ss, char *out, size_t outsz)
{
	const void *a = ss->ss_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (inet_ntop(ss->ss_family, a, out, (socklen_t)outsz) == NULL)
		snprintf(out, outsz, "-");
}

/* Takes over an accepted socket. */
static void
plain_open(struct http_wlistener *wl, int fd, const struct sockaddr_storage *ss)
{
	struct event_base *base = wl->w->base;
	struct http_conn *c;
	struct http_plain *p = NULL;
	int one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL || (p = calloc(1, sizeof(*p))) == NULL)
		goto fail;
	c->wl = wl;
	if (!http_conn_admit(c)) {
		mp_warn("listener %s: connection limit reached, closing a new connection", wl->l->name);
		goto fail;
	}
	p->c = c;
	p->fd = fd;
	if ((p->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_io, p)) == NULL ||
	    (p->timer = evtimer_new(base, on_timer, p)) == NULL ||
	    event_add(p->ev, NULL) != 0 || event_add(p->timer, wl->w->idle_tv) != 0)
		goto fail;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	peer_name(ss, c->remote, sizeof(c->remote));
	c->plain = p;
	http_conn_track(c);
	return;
fail:
	if (p != NULL) {
		if (p->ev != NULL)
			event_free(p->ev);
		if (p->timer != NULL)
			event_free(p->timer);
		free(p);
	}
	if (c != NULL && c->counted)
		atomic_fetch_sub(c->wl->l->open, 1);
	free(c);
	close(fd);
}

void
http_plain_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct http_wlistener *wl = arg;

	(void)what;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			plain_open(wl, fd, &ss);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			mp_warn("listener %s: accept: %s", wl->l->name, strerror(errno));
		return;
	}
}
