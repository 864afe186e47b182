/*
 * Connections of the HTTP server: counting and limiting them, timing
 * requests, and replacing the responses libevent makes by itself (its HTML
 * error pages, and 400 where the header is too large) with our JSON errors.
 *
 * libevent 2.1.12 has no hook when a connection is created or a request
 * begins. evhttp calls http_conn_new for the bufferevent of each accepted
 * socket; a callback made active there runs before any byte is read and
 * finds the evhttp_connection (the bufferevent's callback argument), where it
 * sets a close callback (called exactly once when evhttp frees the
 * connection) and watches the connection's input and output buffers.
 */
#include <event2/bufferevent_ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http_priv.h"
#include "json.h"
#include "log.h"

double
http_elapsed_ms(const struct timespec *since, uint64_t *us)
{
	struct timespec now;
	int64_t d;

	clock_gettime(CLOCK_MONOTONIC, &now);
	d = (int64_t)(now.tv_sec - since->tv_sec) * 1000000 + (now.tv_nsec - since->tv_nsec) / 1000;
	if (d < 0)
		d = 0;
	*us = (uint64_t)d;
	return (double)d / 1000.0;
}

/* Logs the response of c and counts it in the metrics. */
void
http_access_log(struct http_conn *c)
{
	uint64_t us = 0;
	double ms = c->busy ? http_elapsed_ms(&c->start, &us) : 0.0;

	mp_info("access listener=%s remote=%s method=%s path=%s status=%d bytes=%zu ms=%.3f",
	    c->wl->l->name, c->remote, c->method[0] ? c->method : "-", c->path[0] ? c->path : "-",
	    c->status, c->bytes, ms);
	mp_metrics_observe(c->wl->w->srv->metrics, c->wl->l->name, c->status, us);
}

static size_t
bucket_of(const struct evhttp_connection *evcon)
{
	return (size_t)(((uintptr_t)evcon >> 4) % HTTP_CONN_BUCKETS);
}

static struct http_conn *
conn_lookup(struct http_worker *w, const struct evhttp_connection *evcon)
{
	struct http_conn *c;

	for (c = w->buckets[bucket_of(evcon)]; c != NULL; c = c->hnext)
		if (c->evcon == evcon)
			return c;
	return NULL;
}

static void
conn_unlink(struct http_worker *w, struct http_conn *c)
{
	struct http_conn **pp;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	w->nconns--;
	if (c->set_up)
		for (pp = &w->buckets[bucket_of(c->evcon)]; *pp != NULL; pp = &(*pp)->hnext)
			if (*pp == c) {
				*pp = c->hnext;
				break;
			}
}

/* Frees c after its connection is gone (or never got one). */
void
http_conn_free(struct http_conn *c)
{
	struct http_worker *w = c->wl->w;

	conn_unlink(w, c);
	if (c->counted)
		atomic_fetch_sub(c->wl->l->open, 1);
	if (c->req_timer != NULL)
		event_free(c->req_timer);
	free(c);
	if (w->draining && w->nconns == 0)
		event_base_loopexit(w->base, NULL);
}

/* Looks for the blank line that ends the header in bytes [from, end) of in. */
static void
scan_header(struct http_conn *c, struct evbuffer *in, size_t from, size_t end)
{
	struct evbuffer_ptr start, found;

	if (from >= end)
		return;
	if (evbuffer_ptr_set(in, &start, from, EVBUFFER_PTR_SET) != 0)
		return;
	found = evbuffer_search_range(in, "\r\n\r\n", 4, &start, NULL);
	if (found.pos >= 0 && (size_t)found.pos + 4 <= end) {
		c->hdr_bytes += (size_t)found.pos + 4 - from;
		c->hdr_done = true;
	} else {
		c->hdr_bytes += end - from;
	}
}

/* Marks the start of a request whose first bytes have just arrived. */
static void
request_begins(struct http_conn *c)
{
	uint64_t ms = c->wl->w->srv->cfg->http_request_timeout_ms;
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	c->busy = true;
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	event_add(c->req_timer, &tv);
}

static void
input_changed(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_conn *c = arg;
	size_t len = evbuffer_get_length(in), base, from;

	if (info->n_added == 0)
		return;
	if (!c->busy)
		request_begins(c);
	if (c->hdr_done)
		return;
	/* the terminator may straddle old and new bytes */
	base = info->orig_size - info->n_deleted;
	from = base > 3 ? base - 3 : 0;
	c->hdr_bytes = c->hdr_bytes > base - from ? c->hdr_bytes - (base - from) : 0;
	scan_header(c, in, from, len);
}

/* The JSON error that replaces libevent's own response with this status. */
static int
replacement(const struct http_conn *c, int status, const char **code, const char **msg)
{
	if (status == 400 && c->hdr_bytes > c->wl->w->srv->cfg->http_max_header_bytes) {
		*code = "header_too_large";
		*msg = "the request header exceeds the size limit";
		return 431;
	}
	switch (status) {
	case 413:
		*code = "body_too_large";
		*msg = "the request body exceeds the size limit";
		break;
	case 417:
		*code = "expectation_failed";
		*msg = "only Expect: 100-continue is supported";
		break;
	case 501:
		*code = "method_not_implemented";
		*msg = "this method is not supported";
		break;
	case 400:
		*code = "bad_request";
		*msg = "the request is not valid HTTP/1.1";
		break;
	default:
		*code = "error";
		*msg = "the request failed";
		break;
	}
	return status;
}

/*
 * Writes our JSON error in place of the response that libevent has just
 * started at offset start of out, and freezes out so that the rest of
 * libevent's response (headers, HTML body) is dropped. libevent made it with
 * "Connection: close", so the connection ends after it.
 */
static void
replace_response(struct http_conn *c, struct evbuffer *out, size_t start, int status)
{
	const char *code, *msg;
	struct evbuffer *keep;
	char *body = NULL;
	size_t blen = 0;

	c->rewrote = true;
	status = replacement(c, status, &code, &msg);
	if (mp_json_error_doc(code, msg, NULL, &body, &blen) != MP_OK)
		blen = 0;
	if ((keep = evbuffer_new()) != NULL) {
		evbuffer_remove_buffer(out, keep, start);
		evbuffer_drain(out, evbuffer_get_length(out));
		evbuffer_add_buffer(out, keep);
		evbuffer_free(keep);
	}
	evbuffer_add_printf(out,
	    "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
	    "Connection: close\r\nContent-Length: %zu\r\n\r\n",
	    status, http_reason(status), blen);
	if (blen > 0)
		evbuffer_add(out, body, blen);
	free(body);
	evbuffer_freeze(out, 0);
	c->status = status;
	c->bytes = blen;
	http_access_log(c);
}

static void
output_changed(struct evbuffer *out, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_conn *c = arg;
	char head[96];
	size_t start = info->orig_size - info->n_deleted, n;
	int status = 0;

	if (info->n_added == 0 || c->ours || c->rewrote || start > sizeof(head) - 16)
		return;
	n = evbuffer_copyout(out, head, start + 13 < sizeof(head) ? start + 13 : sizeof(head));
	if (n < start + 13 || memcmp(head + start, "HTTP/1.", 7) != 0 || head[start + 8] != ' ')
		return;
	for (size_t i = start + 9; i < start + 12; i++) {
		if (head[i] < '0' || head[i] > '9') {
			status = 400;
			break;
		}
		status = status * 10 + (head[i] - '0');
	}
	if (status == 100)
		return; /* 100 Continue: the real response follows */
	replace_response(c, out, start, status < 100 ? 400 : status);
}

/* evhttp's close callback: the connection is being freed. */
static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct http_conn *c = arg;

	(void)evcon;
	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->in_cb);
	evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out_cb);
	http_conn_free(c);
}

static void
request_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;

	(void)fd;
	(void)what;
	mp_debug("listener %s: closing connection from %s: request not received in time",
	    c->wl->l->name, c->remote);
	evhttp_connection_free(c->evcon); /* calls conn_closed, which frees c */
}

/* Runs once per accepted connection, after evhttp made it and before it reads. */
static void
setup_conn(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	struct http_worker *w = c->wl->w;
	struct bufferevent *bev = c->bev;
	void *cbarg = NULL;
	char *addr = NULL;
	ev_uint16_t port;
	size_t b;

	(void)fd;
	(void)what;
	bufferevent_getcb(bev, NULL, NULL, NULL, &cbarg);
	c->evcon = cbarg;
	if (c->evcon == NULL) {
		http_conn_free(c); /* evhttp already gave up on it */
		goto out;
	}
	if (c->rejected || w->draining ||
	    (c->req_timer = evtimer_new(w->base, request_timeout, c)) == NULL ||
	    (c->in_cb = evbuffer_add_cb(bufferevent_get_input(bev), input_changed, c)) == NULL ||
	    (c->out_cb = evbuffer_add_cb(bufferevent_get_output(bev), output_changed, c)) == NULL) {
		if (c->rejected)
			mp_warn("listener %s: connection limit reached, closing a new connection",
			    c->wl->l->name);
		if (c->in_cb != NULL)
			evbuffer_remove_cb_entry(bufferevent_get_input(bev), c->in_cb);
		evhttp_connection_free(c->evcon);
		http_conn_free(c);
		goto out;
	}
	evhttp_connection_get_peer(c->evcon, &addr, &port);
	snprintf(c->remote, sizeof(c->remote), "%s", addr != NULL ? addr : "-");
	c->set_up = true;
	b = bucket_of(c->evcon);
	c->hnext = w->buckets[b];
	w->buckets[b] = c;
	evhttp_connection_set_closecb(c->evcon, conn_closed, c);
out:
	bufferevent_decref(bev);
}

/*
 * Counts c (whose wl is set) in its listener's open connections; false,
 * with c not counted, when the listener is at its connection limit.
 */
bool
http_conn_admit(struct http_conn *c)
{
	struct http_listener *l = c->wl->l;

	if (atomic_fetch_add(l->open, 1) >= (int64_t)c->wl->w->srv->cfg->http_max_connections) {
		atomic_fetch_sub(l->open, 1);
		return false;
	}
	c->counted = true;
	return true;
}

/* Adds c to its worker's connections (http_conn_free takes it out). */
void
http_conn_track(struct http_conn *c)
{
	struct http_worker *w = c->wl->w;

	c->next = w->conns;
	if (c->next != NULL)
		c->next->prev = c;
	w->conns = c;
	w->nconns++;
}

struct bufferevent *
http_conn_new(struct event_base *base, void *arg)
{
	struct http_wlistener *wl = arg;
	struct http_listener *l = wl->l;
	struct http_conn *c;
	SSL *ssl = NULL;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->wl = wl;
	c->rejected = !http_conn_admit(c);
	if (l->tls != NULL && !c->rejected) {
		if ((ssl = SSL_new(l->tls)) == NULL)
			goto fail;
		c->bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE);
		if (c->bev == NULL)
			goto fail;
		ssl = NULL; /* the bufferevent frees it */
		bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else if ((c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		goto fail;
	}
	/* keep the bufferevent alive until setup_conn has looked at it */
	bufferevent_incref(c->bev);
	if (event_base_once(base, -1, EV_TIMEOUT, setup_conn, c, NULL) != 0) {
		bufferevent_decref(c->bev);
		goto fail;
	}
	http_conn_track(c);
	return c->bev;
fail:
	SSL_free(ssl);
	if (c->counted)
		atomic_fetch_sub(l->open, 1);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	free(c);
	return NULL;
}

/* evhttp's callback for a complete request. */
void
http_conn_request(struct evhttp_request *ev, void *arg)
{
	struct http_wlistener *wl = arg;
	struct http_conn *c = conn_lookup(wl->w, evhttp_request_get_connection(ev));

	if (c == NULL) {
		evhttp_send_error(ev, 500, NULL);
		return;
	}
	event_del(c->req_timer);
	http_req_dispatch(c, ev);
}

/* After our response went out: log it and prepare for the next request. */
void
http_conn_response_done(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	http_access_log(c);
	c->busy = false;
	c->ours = false;
	c->hdr_done = false;
	c->hdr_bytes = 0;
	c->method[0] = '\0';
	c->path[0] = '\0';
	if (evbuffer_get_length(in) > 0) {
		request_begins(c);
		scan_header(c, in, 0, evbuffer_get_length(in));
	}
}

void
http_worker_close_idle(struct http_worker *w)
{
	struct http_conn *c, *next;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (c->plain != NULL) {
			if (http_plain_idle(c))
				http_plain_close(c);
		} else if (c->set_up && !c->busy) {
			evhttp_connection_free(c->evcon);
		}
	}
}

void
http_conn_release_pending(struct http_worker *w)
{
	while (w->conns != NULL) {
		struct http_conn *c = w->conns;

		if (c->plain != NULL) {
			http_plain_close(c);
			continue;
		}
		bufferevent_decref(c->bev);
		http_conn_free(c);
	}
}
