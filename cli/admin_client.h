/*
 * A small blocking HTTPS client for the admin API: one request per TLS
 * connection, the server certificate verified against a trust file (or the
 * system store) and the URL's host name or IP address, the API key sent as
 * a bearer token (or a TLS client certificate presented instead, as devices
 * authenticate), the response read with a size cap.
 */
#ifndef CLI_ADMIN_CLIENT_H
#define CLI_ADMIN_CLIENT_H

#include <stddef.h>

#include "admin_url.h"
#include "https_client.h"
#include "http_response.h"

/* Largest response body the client accepts. */
#define ADMIN_MAX_RESPONSE (64u * 1024 * 1024)

typedef struct admin_client admin_client;

/* Called as the request body goes out: sent of total bytes. */
typedef void (*admin_progress_fn)(size_t sent, size_t total, void *arg);

typedef struct admin_request {
	const char *method;
	const char *path;          /* below /api/v1, percent-encoded, with any query */
	const char *content_type;  /* NULL when there is no body */
	const void *body;
	size_t body_len;
	admin_progress_fn progress; /* may be NULL */
	void *progress_arg;
	const char *base;          /* between the URL's prefix and path; NULL: "/api/v1" */
} admin_request;

/*
 * A client for url (copied) that trusts the certificates in cacert, or the
 * system store when cacert is NULL, and authenticates with api_key (copied,
 * wiped on free). Returns MP_OK with *out set; MP_ERR_CONFIG when cacert
 * cannot be loaded; MP_ERR_CRYPTO or MP_ERR_NOMEM. err says why.
 */
int admin_client_new(const cli_url *url, const char *cacert, const char *api_key,
    admin_client **out, char *err, size_t errsz);
/*
 * The same with TLS options (a client certificate, plain TCP for an http
 * URL) and api_key NULL for none.
 */
int admin_client_new_tls(const cli_url *url, const cli_tls_options *tls, const char *api_key,
    admin_client **out, char *err, size_t errsz);

/*
 * Sends req over a new connection and reads the whole response. Returns MP_OK
 * with *out set (whatever the HTTP status); MP_ERR_IO when the server cannot
 * be reached, TLS fails (including certificate verification), or the answer
 * is not a valid HTTP response; MP_ERR_TOO_LARGE for a response over
 * ADMIN_MAX_RESPONSE; MP_ERR_NOMEM. err says why.
 */
int admin_client_send(admin_client *c, const admin_request *req, cli_http_response **out,
    char *err, size_t errsz);

/* Frees c, wiping its key; c may be NULL. */
void admin_client_free(admin_client *c);

#endif
