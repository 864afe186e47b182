#include "http.h"

#include <errno.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "http_priv.h"
#include "log.h"

#define LISTEN_BACKLOG 1024

mp_http_server *
mp_http_server_new(const mp_config *cfg, mp_metrics *metrics)
{
	mp_http_server *srv;
	long ncpu;

	/* every event_base made after this gets locks, so other threads may wake it */
	if (evthread_use_pthreads() != 0)
		return NULL;
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return NULL;
	srv->cfg = cfg;
	srv->metrics = metrics;
	srv->nworkers = (size_t)cfg->http_workers;
	if (srv->nworkers == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		srv->nworkers = ncpu > 0 ? (size_t)ncpu : 1;
	}
	if (pthread_mutex_init(&srv->lock, NULL) != 0) {
		free(srv);
		return NULL;
	}
	if (pthread_cond_init(&srv->cond, NULL) != 0) {
		pthread_mutex_destroy(&srv->lock);
		free(srv);
		return NULL;
	}
	return srv;
}

int
mp_http_server_set_worker_hooks(mp_http_server *srv, int (*init)(void *arg, void **worker_ctx),
    void (*fini)(void *worker_ctx), void *arg)
{
	srv->init = init;
	srv->fini = fini;
	srv->hook_arg = arg;
	return MP_OK;
}

/* A non-blocking listening socket bound to host:port, or -1 with err set. */
static int
bind_listen(const char *addr, const char *host, uint16_t port, char *err, size_t errsz)
{
	struct addrinfo hints, *res = NULL;
	char portstr[8];
	int fd = -1, on = 1, gai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	if ((gai = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		snprintf(err, errsz, "listen %s: %s", addr, gai_strerror(gai));
		goto out;
	}
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    /* accepted sockets inherit it: a reply written in two pieces (TLS records,
	     * headers then body) must not wait for the peer's delayed ACK */
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
		snprintf(err, errsz, "listen %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
out:
	if (res != NULL)
		freeaddrinfo(res);
	return fd;
}

int
mp_http_listen(mp_http_server *srv, const char *name, const char *addr, SSL_CTX *tls,
    const mp_http_route *routes, size_t nroutes, void *arg, char *err, size_t errsz)
{
	struct http_listener *l = NULL, **tail;
	char host[256];
	uint16_t port;
	int r = MP_ERR_INVALID;

	if (strlen(name) >= HTTP_NAME_MAX || strlen(addr) >= sizeof(l->addr)) {
		snprintf(err, errsz, "listener %s: name or address too long", name);
		goto out;
	}
	for (l = srv->listeners; l != NULL; l = l->next) {
		if (strcmp(l->name, name) == 0) {
			snprintf(err, errsz, "listener %s: defined twice", name);
			l = NULL;
			goto out;
		}
	}
	if (mp_listen_parse(addr, host, sizeof(host), &port) != MP_OK) {
		snprintf(err, errsz, "listener %s: invalid address '%s' (expected host:port)", name,
		    addr);
		goto out;
	}
	r = MP_ERR_NOMEM;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		goto out;
	memcpy(l->name, name, strlen(name) + 1);
	memcpy(l->addr, addr, strlen(addr) + 1);
	l->routes = routes;
	l->nroutes = nroutes;
	l->arg = arg;
	l->open = srv->metrics != NULL ? mp_metrics_connections(srv->metrics, name) : NULL;
	if (l->open == NULL)
		l->open = &l->own_open;
	r = MP_ERR_IO;
	if ((l->fd = bind_listen(addr, host, port, err, errsz)) < 0)
		goto out;
	if (tls != NULL) {
		SSL_CTX_up_ref(tls);
		l->tls = tls;
	}
	for (tail = &srv->listeners; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = l;
	srv->nlisteners++;
	l = NULL;
	r = MP_OK;
out:
	free(l);
	return r;
}

int
mp_http_listener_set_max_body(mp_http_server *srv, const char *name, const char *prefix,
    uint64_t bytes)
{
	for (struct http_listener *l = srv->listeners; l != NULL; l = l->next) {
		if (strcmp(l->name, name) == 0) {
			l->max_body = bytes;
			l->max_body_prefix = prefix;
			return MP_OK;
		}
	}
	return MP_ERR_NOT_FOUND;
}

int
mp_http_server_add_timer(mp_http_server *srv, uint64_t interval_ms, void (*fn)(void *arg), void *arg)
{
	struct http_timer *t;

	if (interval_ms == 0)
		return MP_ERR_INVALID;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return MP_ERR_NOMEM;
	t->interval_ms = interval_ms;
	t->fn = fn;
	t->arg = arg;
	t->next = srv->timers;
	srv->timers = t;
	return MP_OK;
}

static struct timeval
ms_to_tv(uint64_t ms)
{
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

static void
worker_loopexit(evutil_socket_t fd, short what, void *arg)
{
	struct http_worker *w = arg;

	(void)fd;
	(void)what;
	event_base_loopexit(w->base, NULL);
}

/* Runs on the worker when the server stops: stop accepting, close idle connections, drain. */
static void
worker_stop(evutil_socket_t fd, short what, void *arg)
{
	struct http_worker *w = arg;
	struct timeval tv = ms_to_tv(w->srv->cfg->http_drain_timeout_ms);

	(void)fd;
	(void)what;
	w->draining = true;
	for (size_t i = 0; i < w->nwls; i++) {
		if (w->wls[i].bound != NULL) {
			evhttp_del_accept_socket(w->wls[i].http, w->wls[i].bound);
			w->wls[i].bound = NULL;
		}
		if (w->wls[i].accept_ev != NULL)
			event_del(w->wls[i].accept_ev);
	}
	http_worker_close_idle(w);
	if (w->nconns == 0)
		event_base_loopexit(w->base, NULL);
	else
		event_add(w->drain_ev, &tv);
}

/* Accepts on a duplicate of plain listener l's socket, on this worker's base. */
static int
plain_listen(struct http_wlistener *wl)
{
	int fd;

	if ((fd = fcntl(wl->l->fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return MP_ERR_IO;
	/* the flag is shared with every duplicate: no worker's accept may block */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 ||
	    (wl->accept_ev = event_new(wl->w->base, fd, EV_READ | EV_PERSIST, http_plain_accept,
	         wl)) == NULL) {
		close(fd);
		return MP_ERR_IO;
	}
	return event_add(wl->accept_ev, NULL) == 0 ? MP_OK : MP_ERR_IO;
}

/*
 * Sets up every listener on this worker's base: plain ones served by
 * http_plain.c, TLS ones by an evhttp each.
 */
static int
worker_listen(struct http_worker *w)
{
	const mp_config *cfg = w->srv->cfg;
	struct timeval idle = ms_to_tv(cfg->http_idle_timeout_ms);
	struct timeval request = ms_to_tv(cfg->http_request_timeout_ms);
	struct http_listener *l = w->srv->listeners;
	int fd, r;

	if ((w->idle_tv = event_base_init_common_timeout(w->base, &idle)) == NULL ||
	    (w->request_tv = event_base_init_common_timeout(w->base, &request)) == NULL)
		return MP_ERR_NOMEM;
	for (size_t i = 0; i < w->nwls; i++, l = l->next) {
		struct http_wlistener *wl = &w->wls[i];

		wl->w = w;
		wl->l = l;
		if (l->tls == NULL) {
			if ((r = plain_listen(wl)) != MP_OK)
				return r;
			continue;
		}
		if ((wl->http = evhttp_new(w->base)) == NULL)
			return MP_ERR_NOMEM;
		evhttp_set_max_headers_size(wl->http, (ev_ssize_t)cfg->http_max_header_bytes);
		evhttp_set_max_body_size(wl->http,
		    (ev_ssize_t)(l->max_body != 0 ? l->max_body : cfg->http_max_body_bytes));
		evhttp_set_timeout_tv(wl->http, &idle);
		evhttp_set_allowed_methods(wl->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
		    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
		    EVHTTP_REQ_OPTIONS);
		evhttp_set_default_content_type(wl->http, "application/octet-stream");
		evhttp_set_bevcb(wl->http, http_conn_new, wl);
		evhttp_set_gencb(wl->http, http_conn_request, wl);
		if ((fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 0)) < 0)
			return MP_ERR_IO;
		/* evhttp closes the duplicate when the bound socket is freed */
		if ((wl->bound = evhttp_accept_socket_with_handle(wl->http, fd)) == NULL) {
			close(fd);
			return MP_ERR_IO;
		}
	}
	return MP_OK;
}

/* Frees what worker_main made, on the worker thread. */
static void
worker_cleanup(struct http_worker *w, bool fini)
{
	for (size_t i = 0; i < w->nwls; i++) {
		if (w->wls[i].http != NULL)
			evhttp_free(w->wls[i].http);
		if (w->wls[i].accept_ev != NULL) {
			close(event_get_fd(w->wls[i].accept_ev));
			event_free(w->wls[i].accept_ev);
		}
	}
	http_conn_release_pending(w);
	if (fini && w->srv->fini != NULL)
		w->srv->fini(w->ctx);
	if (w->stop_ev != NULL)
		event_free(w->stop_ev);
	if (w->drain_ev != NULL)
		event_free(w->drain_ev);
	w->stop_ev = NULL;
	w->drain_ev = NULL;
	if (w->base != NULL)
		event_base_free(w->base);
	free(w->wls);
	w->wls = NULL;
	w->base = NULL;
}

static void
worker_ready(mp_http_server *srv, int r)
{
	pthread_mutex_lock(&srv->lock);
	if (r != MP_OK && srv->start_err == MP_OK)
		srv->start_err = r;
	srv->nready++;
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
}

/*
 * A worker's event base, with epoll changes applied once per loop turn: the
 * read and write interest a connection switches on and off around every
 * request then costs no epoll_ctl call of its own. That mode must not see
 * dup()ed descriptors; ours never are.
 */
static struct event_base *
worker_base_new(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base = NULL;

	if (cfg == NULL)
		return NULL;
	if (event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == 0)
		base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

static void *
worker_main(void *arg)
{
	struct http_worker *w = arg;
	mp_http_server *srv = w->srv;
	bool inited = false;
	int r = MP_ERR_NOMEM;

	w->nwls = srv->nlisteners;
	if ((w->base = worker_base_new()) == NULL ||
	    (w->wls = calloc(w->nwls ? w->nwls : 1, sizeof(*w->wls))) == NULL ||
	    (w->stop_ev = event_new(w->base, -1, 0, worker_stop, w)) == NULL ||
	    (w->drain_ev = evtimer_new(w->base, worker_loopexit, w)) == NULL)
		goto fail;
	if (srv->init != NULL && srv->init(srv->hook_arg, &w->ctx) != 0) {
		r = MP_ERR_INTERNAL;
		goto fail;
	}
	inited = true;
	if ((r = worker_listen(w)) != MP_OK)
		goto fail;
	worker_ready(srv, MP_OK);
	event_base_dispatch(w->base);
	worker_cleanup(w, true);
	return NULL;
fail:
	worker_cleanup(w, inited);
	worker_ready(srv, r);
	return NULL;
}

static void
main_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopexit(arg, NULL);
}

static void
run_timer(evutil_socket_t fd, short what, void *arg)
{
	struct http_timer *t = arg;

	(void)fd;
	(void)what;
	t->fn(t->arg);
}

/* SIGHUP must not end the service: the configuration is read once, at start. */
static void
main_hangup(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	mp_warn("SIGHUP received: configuration is read at start only; restart midpki to apply "
		"changes");
}

/* Starts the workers and waits until each has served or failed its start. */
static int
start_workers(mp_http_server *srv, struct http_worker *workers)
{
	sigset_t block, old;
	size_t nstarted = 0;
	int r = MP_OK;

	/* signals go to the main thread's event loop, never to a worker */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	srv->nready = 0;
	srv->start_err = MP_OK;
	for (size_t i = 0; i < srv->nworkers; i++) {
		workers[i].srv = srv;
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
			r = MP_ERR_INTERNAL;
			break;
		}
		workers[i].started = true;
		nstarted++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_lock(&srv->lock);
	while (srv->nready < nstarted)
		pthread_cond_wait(&srv->cond, &srv->lock);
	if (r == MP_OK)
		r = srv->start_err;
	pthread_mutex_unlock(&srv->lock);
	return r;
}

/* Asks every running worker to drain and waits for all of them. */
static void
stop_workers(struct http_worker *workers, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (workers[i].started && workers[i].stop_ev != NULL)
			event_active(workers[i].stop_ev, EV_READ, 0);
	for (size_t i = 0; i < n; i++)
		if (workers[i].started)
			pthread_join(workers[i].thread, NULL);
}

int
mp_http_server_run(mp_http_server *srv)
{
	struct http_worker *workers = NULL;
	struct event_base *base = NULL;
	struct event *sigterm = NULL, *sigint = NULL, *sighup = NULL, *stop = NULL;
	struct http_timer *t;
	int r = MP_ERR_NOMEM;

	/* a peer that closes early must not kill the process with SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	if ((workers = calloc(srv->nworkers, sizeof(*workers))) == NULL ||
	    (base = event_base_new()) == NULL ||
	    (sigterm = evsignal_new(base, SIGTERM, main_stop, base)) == NULL ||
	    (sigint = evsignal_new(base, SIGINT, main_stop, base)) == NULL ||
	    (sighup = evsignal_new(base, SIGHUP, main_hangup, NULL)) == NULL ||
	    (stop = event_new(base, -1, 0, main_stop, base)) == NULL ||
	    event_add(sigterm, NULL) != 0 || event_add(sigint, NULL) != 0 ||
	    event_add(sighup, NULL) != 0)
		goto out;
	for (t = srv->timers; t != NULL; t = t->next) {
		struct timeval tv = ms_to_tv(t->interval_ms);

		if ((t->ev = event_new(base, -1, EV_PERSIST, run_timer, t)) == NULL ||
		    event_add(t->ev, &tv) != 0)
			goto out;
	}
	if ((r = start_workers(srv, workers)) != MP_OK)
		goto out;
	pthread_mutex_lock(&srv->lock);
	srv->main_stop = stop;
	if (atomic_load(&srv->stop_requested))
		event_active(stop, EV_READ, 0);
	pthread_mutex_unlock(&srv->lock);
	event_base_dispatch(base);
	pthread_mutex_lock(&srv->lock);
	srv->main_stop = NULL;
	pthread_mutex_unlock(&srv->lock);
	r = MP_OK;
out:
	if (workers != NULL)
		stop_workers(workers, srv->nworkers);
	for (t = srv->timers; t != NULL; t = t->next) {
		if (t->ev != NULL)
			event_free(t->ev);
		t->ev = NULL;
	}
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	if (sighup != NULL)
		event_free(sighup);
	if (stop != NULL)
		event_free(stop);
	if (base != NULL)
		event_base_free(base);
	free(workers);
	return r;
}

void
mp_http_server_stop(mp_http_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	atomic_store(&srv->stop_requested, true);
	if (srv->main_stop != NULL)
		event_active(srv->main_stop, EV_READ, 0);
	pthread_mutex_unlock(&srv->lock);
}

void
mp_http_server_free(mp_http_server *srv)
{
	struct http_listener *l, *ln;
	struct http_timer *t, *tn;

	if (srv == NULL)
		return;
	for (l = srv->listeners; l != NULL; l = ln) {
		ln = l->next;
		close(l->fd);
		SSL_CTX_free(l->tls);
		free(l);
	}
	for (t = srv->timers; t != NULL; t = tn) {
		tn = t->next;
		free(t);
	}
	pthread_cond_destroy(&srv->cond);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
