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
};

struct http_conn {
	struct http_wlistener *wl;
	struct bufferevent *bev;
	struct evhttp_connection *evcon;   /* set once the connection is set up */
	struct evbuffer_cb_entry *in_cb, *out_cb;
	struct event *req_timer;           /* time allowed to receive one request */
	struct http_conn *prev, *next;     /* the worker's connections */
	struct http_conn *hnext;           /* hash chain by evcon */
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

struct mp_http_req {
	struct evhttp_request *ev;
	struct http_conn *conn;
	const char *method;
	char *path;
	char **qkeys, **qvals;
	size_t nq;
	bool replied;
	void *data;
};

/* http_conn.c */
struct bufferevent *http_conn_new(struct event_base *base, void *wl);
void http_conn_request(struct evhttp_request *ev, void *wl);
void http_conn_release_pending(struct http_worker *w);
void http_conn_response_done(struct http_conn *c);
void http_worker_close_idle(struct http_worker *w);
void http_access_log(struct http_conn *c);
double http_elapsed_ms(const struct timespec *since, uint64_t *us);

/* http_req.c */
void http_req_dispatch(struct http_conn *c, struct evhttp_request *ev);
const char *http_reason(int status);

#endif
