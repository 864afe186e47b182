#include "https_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "fdio.h"

#define CONNECT_TIMEOUT_MS 10000
#define IO_TIMEOUT_S 600   /* a large import takes the server a while */
#define IO_CHUNK 65536

struct cli_https {
	SSL_CTX *ctx;
	cli_url url;
};

struct cli_https_conn {
	const cli_https *c;
	int fd;
	SSL *ssl;
	bool done; /* a whole exchange happened: close with close_notify */
};

void
cli_https_free(cli_https *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ctx);
	free(c->url.host);
	free(c->url.port);
	free(c->url.prefix);
	free(c);
}

/* Loads what tls asks for into ctx. */
static int
ctx_setup(SSL_CTX *ctx, const cli_tls_options *tls, char *err, size_t errsz)
{
	char ossl[512];

	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    (tls->max_version != 0 && !SSL_CTX_set_max_proto_version(ctx, tls->max_version))) {
		snprintf(err, errsz, "cannot set up TLS: %s", mp_ossl_errors(ossl, sizeof(ossl)));
		return MP_ERR_CRYPTO;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ctx, tls->no_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	if (tls->cacert != NULL) {
		if (!SSL_CTX_load_verify_file(ctx, tls->cacert)) {
			snprintf(err, errsz, "cannot load trusted certificates from %s: %s", tls->cacert,
			    mp_ossl_errors(ossl, sizeof(ossl)));
			return MP_ERR_CONFIG;
		}
	} else if (!tls->no_verify && !SSL_CTX_set_default_verify_paths(ctx)) {
		snprintf(err, errsz, "cannot load the system's trusted certificates: %s",
		    mp_ossl_errors(ossl, sizeof(ossl)));
		return MP_ERR_CRYPTO;
	}
	if (tls->client_cert == NULL)
		return MP_OK;
	if (!SSL_CTX_use_certificate_chain_file(ctx, tls->client_cert)) {
		snprintf(err, errsz, "cannot load the client certificate %s: %s", tls->client_cert,
		    mp_ossl_errors(ossl, sizeof(ossl)));
		return MP_ERR_CONFIG;
	}
	if (tls->client_key == NULL ||
	    !SSL_CTX_use_PrivateKey_file(ctx, tls->client_key, SSL_FILETYPE_PEM) ||
	    !SSL_CTX_check_private_key(ctx)) {
		snprintf(err, errsz, "cannot use the private key %s with %s: %s",
		    tls->client_key != NULL ? tls->client_key : "(none)", tls->client_cert,
		    mp_ossl_errors(ossl, sizeof(ossl)));
		return MP_ERR_CONFIG;
	}
	return MP_OK;
}

int
cli_https_new(const cli_url *url, const cli_tls_options *tls, cli_https **out, char *err,
    size_t errsz)
{
	cli_https *c = NULL;
	char ossl[512];
	int r = MP_ERR_NOMEM;

	if ((c = calloc(1, sizeof(*c))) == NULL || (c->url.host = strdup(url->host)) == NULL ||
	    (c->url.port = strdup(url->port)) == NULL ||
	    (c->url.prefix = strdup(url->prefix)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	c->url.host_is_ip = url->host_is_ip;
	c->url.tls = url->tls;
	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(err, errsz, "cannot set up TLS: %s", mp_ossl_errors(ossl, sizeof(ossl)));
		r = MP_ERR_CRYPTO;
		goto out;
	}
	if ((r = ctx_setup(c->ctx, tls, err, errsz)) != MP_OK)
		goto out;
	*out = c;
	c = NULL;
	r = MP_OK;
out:
	cli_https_free(c);
	return r;
}

const cli_url *
cli_https_url(const cli_https *c)
{
	return &c->url;
}

int
cli_https_put_host(const cli_https *c, mp_buf *head)
{
	bool v6 = c->url.host_is_ip && strchr(c->url.host, ':') != NULL;

	return mp_buf_putf(head, "Host: %s%s%s:%s\r\n", v6 ? "[" : "", c->url.host, v6 ? "]" : "",
	    c->url.port);
}

/* Connects one address with a timeout; returns a blocking socket with I/O timeouts, or -1. */
static int
connect_addr(const struct addrinfo *ai, int *saved_errno)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, soerr = 0, flags;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0) {
		*saved_errno = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			soerr = errno;
			goto fail;
		}
		pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&pfd, 1, CONNECT_TIMEOUT_MS) != 1) {
			soerr = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
			soerr = errno;
		if (soerr != 0)
			goto fail;
	}
	if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
		soerr = errno;
		goto fail;
	}
	return fd;
fail:
	*saved_errno = soerr;
	close(fd);
	return -1;
}

/* A TCP connection to the server; -1 with err set. */
static int
tcp_connect(const cli_https *c, char *err, size_t errsz)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int fd = -1, e = 0, gai;

	if (c->url.host_is_ip)
		hints.ai_flags |= AI_NUMERICHOST;
	if ((gai = getaddrinfo(c->url.host, c->url.port, &hints, &res)) != 0) {
		snprintf(err, errsz, "cannot resolve %s: %s", c->url.host, gai_strerror(gai));
		return -1;
	}
	for (const struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		fd = connect_addr(ai, &e);
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errsz, "cannot connect to %s port %s: %s", c->url.host, c->url.port, strerror(e));
	return fd;
}

/* The TLS session over fd, with the server's certificate verified for our host. */
static SSL *
tls_connect(const cli_https *c, int fd, char *err, size_t errsz)
{
	SSL *ssl = NULL;
	char ossl[512];
	long vr;

	if ((ssl = SSL_new(c->ctx)) == NULL || !SSL_set_fd(ssl, fd))
		goto fail;
	if (c->url.host_is_ip) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), c->url.host))
			goto fail;
	} else if (!SSL_set_tlsext_host_name(ssl, c->url.host) || !SSL_set1_host(ssl, c->url.host)) {
		goto fail;
	}
	if (SSL_connect(ssl) == 1)
		return ssl;
	if ((vr = SSL_get_verify_result(ssl)) != X509_V_OK) {
		ERR_clear_error();
		snprintf(err, errsz, "TLS with %s: server certificate not accepted: %s", c->url.host,
		    X509_verify_cert_error_string(vr));
		SSL_free(ssl);
		return NULL;
	}
fail:
	snprintf(err, errsz, "TLS with %s failed: %s", c->url.host, mp_ossl_errors(ossl, sizeof(ossl)));
	SSL_free(ssl);
	return NULL;
}

int
cli_https_connect(cli_https *c, cli_https_conn **out, char *err, size_t errsz)
{
	cli_https_conn *k = calloc(1, sizeof(*k));

	if (k == NULL) {
		snprintf(err, errsz, "out of memory");
		return MP_ERR_NOMEM;
	}
	k->c = c;
	if ((k->fd = tcp_connect(c, err, errsz)) < 0 ||
	    (c->url.tls && (k->ssl = tls_connect(c, k->fd, err, errsz)) == NULL)) {
		cli_https_close(k);
		return MP_ERR_IO;
	}
	*out = k;
	return MP_OK;
}

int
cli_https_binding(cli_https_conn *k, uint8_t out[64], size_t *len, const char **type)
{
	static const char label[] = "EXPORTER-Channel-Binding";
	size_t n;

	if (SSL_version(k->ssl) >= TLS1_3_VERSION) {
		if (SSL_export_keying_material(k->ssl, out, 32, label, sizeof(label) - 1, NULL, 0,
		    0) != 1)
			return MP_ERR_CRYPTO;
		*len = 32;
		*type = "tls-exporter";
		return MP_OK;
	}
	/* the client sends the first Finished of a full handshake (no resumption here) */
	if ((n = SSL_get_finished(k->ssl, out, 64)) == 0 || n > 64)
		return MP_ERR_CRYPTO;
	*len = n;
	*type = "tls-unique";
	return MP_OK;
}

STACK_OF(X509) *
cli_https_peer_chain(cli_https_conn *k)
{
	return SSL_get_peer_cert_chain(k->ssl);
}

/* Writes all of p over TLS, or the bare connection of an http URL, reporting progress when asked. */
static int
write_all(const cli_https_conn *k, const void *p, size_t n, cli_progress_fn progress,
    void *arg, char *err, size_t errsz)
{
	char ossl[512];
	size_t done = 0;

	while (done < n) {
		size_t part = n - done < IO_CHUNK ? n - done : IO_CHUNK;
		size_t w = part;

		if (k->ssl == NULL ? mp_write_full(k->fd, (const char *)p + done, part) != MP_OK :
		    SSL_write_ex(k->ssl, (const char *)p + done, part, &w) != 1) {
			snprintf(err, errsz, "sending the request failed: %s",
			    ERR_peek_error() != 0 ? mp_ossl_errors(ossl, sizeof(ossl)) : strerror(errno));
			return MP_ERR_IO;
		}
		done += w;
		if (progress != NULL)
			progress(done, n, arg);
	}
	return MP_OK;
}

/* Reads what has arrived: 1 with *n bytes, 0 at the end of the stream, -1 on an error. */
static int
read_some(const cli_https_conn *k, char *buf, size_t cap, size_t *n)
{
	ssize_t got;

	if (k->ssl != NULL) {
		if (SSL_read_ex(k->ssl, buf, cap, n) == 1)
			return 1;
		return SSL_get_error(k->ssl, 0) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
	}
	do
		got = read(k->fd, buf, cap);
	while (got < 0 && errno == EINTR);
	*n = got > 0 ? (size_t)got : 0;
	return got > 0 ? 1 : got == 0 ? 0 : -1;
}

/* Reads until a whole response has arrived or the server closes. */
static int
read_response(const cli_https_conn *k, size_t max_body, cli_http_response **out, char *err,
    size_t errsz)
{
	mp_buf *in = NULL;
	char *chunk = NULL, ossl[512];
	bool eof = false;
	int r = MP_ERR_NOMEM;

	if ((in = mp_buf_new(CLI_HTTP_MAX_HEAD + 2 * max_body)) == NULL ||
	    (chunk = malloc(IO_CHUNK)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	for (;;) {
		size_t n = 0;
		int got = read_some(k, chunk, IO_CHUNK, &n);

		if (got > 0) {
			if ((r = mp_buf_put(in, chunk, n)) != MP_OK) {
				snprintf(err, errsz, "the server's response is too large");
				goto out;
			}
		} else if (got == 0) {
			eof = true;
		} else {
			r = MP_ERR_IO;
			snprintf(err, errsz, "reading the response failed: %s",
			    ERR_peek_error() != 0 ? mp_ossl_errors(ossl, sizeof(ossl))
			    : errno == EAGAIN	   ? "timed out"
						   : strerror(errno));
			goto out;
		}
		r = cli_http_parse(mp_buf_str(in), mp_buf_len(in), eof, max_body, out);
		if (r != CLI_HTTP_NEED_MORE)
			break;
	}
	if (r == MP_ERR_TOO_LARGE)
		snprintf(err, errsz, "the server's response is too large");
	else if (r != MP_OK)
		snprintf(err, errsz, "the server's answer is not a valid HTTP response");
	if (r == MP_ERR_INVALID)
		r = MP_ERR_IO;
out:
	free(chunk);
	mp_buf_free(in);
	return r;
}

int
cli_https_exchange(cli_https_conn *k, const mp_buf *head, const void *body, size_t body_len,
    size_t max_body, cli_progress_fn progress, void *progress_arg, cli_http_response **out,
    char *err, size_t errsz)
{
	int r;

	if ((r = write_all(k, mp_buf_ptr(head), mp_buf_len(head), NULL, NULL, err, errsz)) !=
	    MP_OK ||
	    (body_len > 0 && (r = write_all(k, body, body_len, progress, progress_arg, err,
		errsz)) != MP_OK)) {
		char ignored[256];

		/* A server may answer (e.g. 401 or 413) and close before reading the whole body. */
		if (read_response(k, max_body, out, ignored, sizeof(ignored)) == MP_OK)
			r = MP_OK;
		return r;
	}
	if ((r = read_response(k, max_body, out, err, errsz)) == MP_OK)
		k->done = true;
	return r;
}

void
cli_https_close(cli_https_conn *k)
{
	if (k == NULL)
		return;
	if (k->ssl != NULL && k->done)
		SSL_shutdown(k->ssl);
	SSL_free(k->ssl);
	if (k->fd >= 0)
		close(k->fd);
	free(k);
}
