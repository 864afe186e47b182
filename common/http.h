/*
 * The HTTP/1.1 server every frontend runs on: libevent's evhttp with TLS or
 * plain listeners, N worker threads that all accept on every listener, and
 * synchronous handlers called on the worker thread.
 *
 * Limits come from the configuration and are always set: header bytes (431
 * when exceeded), body bytes (413), open connections per listener (more are
 * closed at once), idle time between requests, time to receive one request,
 * and the drain time at shutdown. Every response, including the ones libevent
 * makes itself for malformed requests, is JSON for errors, counted in the
 * metrics and written to the access log (listener, remote address, method,
 * path without the query, status, body bytes, duration). Query strings and
 * request headers are never logged.
 */
#ifndef MP_HTTP_H
#define MP_HTTP_H

#include <jansson.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "metrics.h"

typedef struct mp_http_server mp_http_server;
typedef struct mp_http_req mp_http_req;

/*
 * A handler answers the request with one of the mp_http_reply* functions
 * before it returns; a handler that does not reply gets a 500 sent for it.
 * arg is the one given to mp_http_listen.
 */
typedef void (*mp_http_handler)(mp_http_req *req, void *arg);

/*
 * method: "GET", "POST", "PUT", "DELETE" or "PATCH" (GET routes also answer
 * HEAD). path: an exact decoded path, or a prefix when it ends in a slash
 * and an asterisk: "/api/v1/" plus "*" matches "/api/v1/" and all below it.
 */
typedef struct mp_http_route {
	const char *method;
	const char *path;
	mp_http_handler fn;
} mp_http_route;

/*
 * A server with the limits of cfg (which must outlive it). metrics may be
 * NULL. Returns NULL on ENOMEM.
 */
mp_http_server *mp_http_server_new(const mp_config *cfg, mp_metrics *metrics);

/*
 * init runs on each worker thread before it serves and may set a per-worker
 * context (e.g. a database connection); a failing init (non-zero) makes
 * mp_http_server_run fail. fini runs on the worker thread when it ends, for
 * every worker whose init succeeded.
 */
int mp_http_server_set_worker_hooks(mp_http_server *srv, int (*init)(void *arg, void **worker_ctx),
    void (*fini)(void *worker_ctx), void *arg);

/*
 * Binds addr ("host:port" or "[v6]:port") now and serves routes on it once
 * the server runs. name ("admin", "est", ...) labels logs and metrics. tls
 * NULL = plain HTTP; otherwise the server takes a reference. routes (and
 * the strings in them) must outlive the server. On error (e.g. address in
 * use) returns MP_ERR_IO or MP_ERR_INVALID with a message naming the address.
 */
int mp_http_listen(mp_http_server *srv, const char *name, const char *addr, SSL_CTX *tls,
    const mp_http_route *routes, size_t nroutes, void *arg, char *err, size_t errsz);

/*
 * Lets requests on listener name whose path starts with prefix (which must
 * outlive the server) carry bodies of up to bytes instead of [http]
 * max_body_bytes, e.g. for bulk uploads; other paths still get 413 above
 * max_body_bytes. Handlers below prefix enforce the ordinary limit themselves
 * where they want it (mp_http_req_max_body). MP_ERR_NOT_FOUND when no
 * listener has that name. Call before mp_http_server_run.
 */
int mp_http_listener_set_max_body(mp_http_server *srv, const char *name, const char *prefix,
    uint64_t bytes);

/* Calls fn(arg) every interval_ms on the thread that runs mp_http_server_run. */
int mp_http_server_add_timer(mp_http_server *srv, uint64_t interval_ms, void (*fn)(void *arg),
    void *arg);

/*
 * Starts the workers and blocks until SIGTERM, SIGINT or mp_http_server_stop:
 * then stops accepting, closes idle connections, lets requests in flight
 * finish for up to the drain timeout, closes the rest, joins the workers and
 * returns MP_OK. Returns an error when a worker could not start.
 */
int mp_http_server_run(mp_http_server *srv);

/* Makes mp_http_server_run return as on SIGTERM. Safe from any thread, also before run. */
void mp_http_server_stop(mp_http_server *srv);

/* srv may be NULL. Must not be called while mp_http_server_run is running. */
void mp_http_server_free(mp_http_server *srv);

/* --- request API, for handlers, valid during the handler call only --- */

const char *mp_http_req_method(const mp_http_req *req);
/* The percent-decoded path without the query. */
const char *mp_http_req_path(const mp_http_req *req);
/* The decoded value of query parameter name (first occurrence), or NULL. */
const char *mp_http_req_query(const mp_http_req *req, const char *name);
/* The value of request header name (case-insensitive), or NULL. */
const char *mp_http_req_header(const mp_http_req *req, const char *name);
/*
 * The request body (at most the listener's limit); *len 0 and a non-NULL
 * pointer when empty.
 */
const uint8_t *mp_http_req_body(mp_http_req *req, size_t *len);
/* [http] max_body_bytes: the body limit of an ordinary request. */
uint64_t mp_http_req_max_body(const mp_http_req *req);
/* The peer's IP address as text. */
const char *mp_http_req_remote(const mp_http_req *req);
const char *mp_http_req_listener(const mp_http_req *req);
/* The context set by this worker's init hook. */
void *mp_http_req_worker(const mp_http_req *req);
/*
 * What a handler attaches to the request for the functions it calls (e.g.
 * what the path selected), and reads back; NULL until set. The handler owns it.
 */
void mp_http_req_set_data(mp_http_req *req, void *data);
void *mp_http_req_data(const mp_http_req *req);
/*
 * The TLS client certificate, if the client sent one, else NULL. NOT
 * VERIFIED: the server accepts any client certificate, so the handler must
 * verify it against its trust anchors before trusting anything in it.
 * Borrowed: valid during the handler call.
 */
X509 *mp_http_req_peer_cert(const mp_http_req *req);
/*
 * The certificates the client sent after its own (intermediates), NOT
 * VERIFIED either; NULL without a client certificate. Borrowed, as above.
 */
STACK_OF(X509) *mp_http_req_peer_chain(const mp_http_req *req);

/*
 * Whether a Content-Type header value (may be NULL) is the media type type:
 * any case, blanks around it, parameters after ';' allowed.
 */
bool mp_http_media_type_is(const char *value, const char *type);

/* The longest channel binding mp_http_req_channel_binding gives. */
#define MP_HTTP_CHANNEL_BINDING_MAX 64
/*
 * The TLS channel binding of the request's connection: tls-exporter (RFC
 * 9266, 32 bytes) on TLS 1.3, tls-unique (RFC 5929: the first Finished
 * message of the handshake) on TLS 1.2; *type (may be NULL) gets its name.
 * MP_ERR_UNSUPPORTED on a plain connection, MP_ERR_CRYPTO when TLS gives none.
 */
int mp_http_req_channel_binding(const mp_http_req *req, uint8_t out[MP_HTTP_CHANNEL_BINDING_MAX],
    size_t *len, const char **type);

/* Room for an HTTP date with any field values the compiler cannot rule out. */
#define MP_HTTP_DATE_MAX 80

/* t (Unix seconds) as an IMF-fixdate (RFC 9110 5.6.7), independent of the locale. */
void mp_http_date(int64_t t, char out[MP_HTTP_DATE_MAX]);

/* Adds a response header; refuses CR/LF in name or value (MP_ERR_INVALID). */
int mp_http_set_header(mp_http_req *req, const char *name, const char *value);
/* Sends status with body (len bytes, may be 0) of content_type. */
int mp_http_reply(mp_http_req *req, int status, const char *content_type, const void *body,
    size_t len);
/* Sends status with the JSON value (ownership taken, also on error) as application/json. */
int mp_http_reply_json(mp_http_req *req, int status, json_t *value);
/* Sends {"error":{"code":code,"message":message,"field":field}} (field omitted when NULL). */
int mp_http_reply_error(mp_http_req *req, int status, const char *code, const char *message,
    const char *field);

#endif
