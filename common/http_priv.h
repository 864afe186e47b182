/* Internals shared by http.c, http_conn.c and http_req.c; not for other modules. */
#ifndef MP_HTTP_PRIV_H
#define MP_HTTP_PRIV_H

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "http.h"
#include "http_head.h"

#define HTTP_NAME_MAX 32
#define HTTP_CONN_BUCKETS 1024
#define HTTP_LOG_PATH_MAX 256

struct http_listener {
	char name[HTTP_NAME_MAX];
	char addr[300];
	int fd;
	SSL_CTX *tls;
	const mp_http_route *routes;
	size_t nroutes;
	void *arg;
	uint64_t max_body;             /* 0: [http] max_body_bytes */
	const char *max_body_prefix;   /* paths that may use max_body */
	atomic_int_fast64_t own_open;  /* used when the server has no metrics */
	atomic_int_fast64_t *open;     /* open connections: the metrics gauge or own_open */
	struct http_listener *next;
};

struct http_worker;

/* One listener served by one worker: its own evhttp accepting on a dup of the socket. */
struct http_wlistener {
	struct http_worker *w;
	struct http_listener *l;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event *accept_ev;       /* a plain listener: accepting without evhttp */
};

struct http_plain;

struct http_conn {
	struct http_wlistener *wl;
	struct bufferevent *bev;
	struct evhttp_connection *evcon;   /* set once the connection is set up */
	struct evbuffer_cb_entry *in_cb, *out_cb;
	struct event *req_timer;           /* time allowed to receive one request */
	struct http_conn *prev, *next;     /* the worker's connections */
	struct http_conn *hnext;           /* hash chain by evcon */
	struct http_plain *plain;          /* a plain listener's connection (http_plain.c), else NULL */
	bool set_up;     /* setup_conn ran: evcon known, callbacks registered */
	bool counted;    /* holds one unit of the listener's connection count */
	bool rejected;   /* over the connection limit: closed in setup */
	bool busy;       /* request bytes received and its response not yet complete */
	bool ours;       /* a handler's reply is being written */
	bool rewrote;    /* a libevent-made response was replaced; ignore further output */
	bool hdr_done;   /* end of the current request's header seen */
	size_t hdr_bytes;/* header bytes of the current request, CRLFs included */
	struct timespec start;
	char remote[64];
	char method[12];
	char path[HTTP_LOG_PATH_MAX];
	int status;
	size_t bytes;
};

struct http_worker {
	mp_http_server *srv;
	pthread_t thread;
	bool started;
	struct event_base *base;
	struct event *stop_ev;
	struct event *drain_ev;
	struct http_wlistener *wls;
	size_t nwls;
	void *ctx;
	struct http_conn *conns;
	size_t nconns;
	struct http_conn *buckets[HTTP_CONN_BUCKETS];
	bool draining;
	const struct timeval *idle_tv;     /* common timeouts of plain connections */
	const struct timeval *request_tv;
	int64_t date_at;                   /* the second date was made for */
	char date[MP_HTTP_DATE_MAX];
};

struct http_timer {
	uint64_t interval_ms;
	void (*fn)(void *arg);
	void *arg;
	struct event *ev;
	struct http_timer *next;
};

struct mp_http_server {
	const mp_config *cfg;
	mp_metrics *metrics;
	size_t nworkers;
	struct http_listener *listeners;
	size_t nlisteners;
	struct http_timer *timers;
	int (*init)(void *arg, void **worker_ctx);
	void (*fini)(void *worker_ctx);
	void *hook_arg;
	pthread_mutex_t lock;         /* guards main_stop and the start handshake */
	pthread_cond_t cond;
	size_t nready;
	int start_err;
	struct event *main_stop;      /* non-NULL while run() dispatches */
	atomic_bool stop_requested;
};

/* Response header lines set by a handler on a plain connection, before the reply. */
#define HTTP_PLAIN_HEADERS_MAX 2048

struct mp_http_req {
	struct evhttp_request *ev;         /* an evhttp connection's request */
	struct http_conn *conn;
	const struct http_head *head;      /* a plain connection's request: its head, */
	const uint8_t *body;               /* its body */
	size_t body_len;                   /* (also set for evhttp's) */
	const char *method;
	char *path;
	char **qkeys, **qvals;
	size_t nq;
	bool replied;
	void *data;
	size_t hdrs_len;
	/* last, so that a new request zeroes the members above only: */
	char hdrs[HTTP_PLAIN_HEADERS_MAX]; /* "Name: value\r\n" lines of a plain connection's response */
};

/* http_conn.c */
bool http_conn_admit(struct http_conn *c);
void http_conn_track(struct http_conn *c);
void http_conn_free(struct http_conn *c);
struct bufferevent *http_conn_new(struct event_base *base, void *wl);
void http_conn_request(struct evhttp_request *ev, void *wl);
void http_conn_release_pending(struct http_worker *w);
void http_conn_response_done(struct http_conn *c);
void http_worker_close_idle(struct http_worker *w);
void http_access_log(struct http_conn *c);
double http_elapsed_ms(const struct timespec *since, uint64_t *us);

/* http_plain.c */
void http_plain_accept(evutil_socket_t fd, short what, void *wl);
bool http_plain_idle(const struct http_conn *c);
void http_plain_close(struct http_conn *c);
int http_plain_reply(mp_http_req *req, int status, const char *content_type, const void *body,
    size_t len);

/* http_req.c */
void http_req_dispatch(struct http_conn *c, struct evhttp_request *ev);
void http_req_dispatch_plain(struct http_conn *c, const struct http_head *h, const uint8_t *body,
    size_t len);
const char *http_reason(int status);

#endif
