/*
 * The command-line clients' HTTPS transport (midpki admin, midpki est,
 * midpki ssh): a TLS 1.2+ connection to the URL's host, the server
 * certificate verified against a trust file (or the system store) and the
 * host name or IP address, an optional client certificate, one request per
 * connection, the response read with a size cap (http_response.h); for an
 * http URL (cli_url_parse_http) the same over plain TCP. A connection is opened first and used
 * after, so that a request can depend on it (EST channel binding).
 */
#ifndef CLI_HTTPS_CLIENT_H
#define CLI_HTTPS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "admin_url.h"
#include "buf.h"
#include "http_response.h"

typedef struct cli_tls_options {
	const char *cacert;      /* PEM certificates to trust; NULL: the system store */
	bool no_verify;          /* accept any server certificate: the caller checks the peer */
	const char *client_cert; /* PEM certificate, then its intermediates; NULL: none */
	const char *client_key;  /* PEM private key of client_cert */
	int max_version;         /* 0, or TLS1_2_VERSION to stay below TLS 1.3 */
} cli_tls_options;

typedef struct cli_https cli_https;
typedef struct cli_https_conn cli_https_conn;

/* Called as a request body goes out: sent of total bytes. */
typedef void (*cli_progress_fn)(size_t sent, size_t total, void *arg);

/*
 * A client for url (copied). MP_ERR_CONFIG when a certificate or key file
 * cannot be loaded (or the key does not match), MP_ERR_CRYPTO, MP_ERR_NOMEM;
 * err says why.
 */
int cli_https_new(const cli_url *url, const cli_tls_options *tls, cli_https **out, char *err,
    size_t errsz);
void cli_https_free(cli_https *c);
/* The URL the client was made for. */
const cli_url *cli_https_url(const cli_https *c);
/* Appends "Host: <host>:<port>\r\n" (an IPv6 address in brackets). */
int cli_https_put_host(const cli_https *c, mp_buf *head);

/* A new TCP and TLS connection. MP_ERR_IO (err says why: DNS, TCP, TLS, verification). */
int cli_https_connect(cli_https *c, cli_https_conn **out, char *err, size_t errsz);

/*
 * The connection's channel binding (TLS only; RFC 5929, RFC 9266): tls-unique on TLS
 * 1.2 (the first Finished message), tls-exporter on TLS 1.3 (32 octets of the
 * "EXPORTER-Channel-Binding" exporter); *type names which.
 */
int cli_https_binding(cli_https_conn *k, uint8_t out[64], size_t *len, const char **type);

/* The server's certificate chain as sent (borrowed; valid while k is). */
STACK_OF(X509) *cli_https_peer_chain(cli_https_conn *k);

/*
 * Sends head (request line and headers, ending with an empty line) and body,
 * and reads the whole response into *out (whatever its status) of at most
 * max_body bytes. MP_ERR_IO when sending or reading fails or the answer is
 * not HTTP; MP_ERR_TOO_LARGE; MP_ERR_NOMEM. err says why.
 */
int cli_https_exchange(cli_https_conn *k, const mp_buf *head, const void *body, size_t body_len,
    size_t max_body, cli_progress_fn progress, void *progress_arg, cli_http_response **out,
    char *err, size_t errsz);

/* Closes k (with a TLS close_notify after a whole exchange). Accepts NULL. */
void cli_https_close(cli_https_conn *k);

#endif
