#include "admin_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "err.h"
#include "midpki_build.h"
#include "secure.h"

#define CONNECT_TIMEOUT_MS 10000
#define IO_TIMEOUT_S 600   /* a large import takes the server a while */
#define IO_CHUNK 65536

struct admin_client {
	SSL_CTX *ctx;
	char *host;
	char *port;
	char *prefix;
	bool host_is_ip;
	char *key;
};

void
admin_client_free(admin_client *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ctx);
	free(c->host);
	free(c->port);
	free(c->prefix);
	mp_free_secret_str(c->key);
	free(c);
}

int
admin_client_new(const cli_url *url, const char *cacert, const char *api_key,
    admin_client **out, char *err, size_t errsz)
{
	admin_client *c = NULL;
	char ossl[512];
	int r = MP_ERR_NOMEM;

	if ((c = calloc(1, sizeof(*c))) == NULL || (c->host = strdup(url->host)) == NULL ||
	    (c->port = strdup(url->port)) == NULL || (c->prefix = strdup(url->prefix)) == NULL ||
	    (c->key = strdup(api_key)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	c->host_is_ip = url->host_is_ip;
	r = MP_ERR_CRYPTO;
	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION)) {
		snprintf(err, errsz, "cannot set up TLS: %s", mp_ossl_errors(ossl, sizeof(ossl)));
		goto out;
	}
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if (cacert != NULL) {
		if (!SSL_CTX_load_verify_file(c->ctx, cacert)) {
			snprintf(err, errsz, "cannot load trusted certificates from %s: %s", cacert,
			    mp_ossl_errors(ossl, sizeof(ossl)));
			r = MP_ERR_CONFIG;
			goto out;
		}
	} else if (!SSL_CTX_set_default_verify_paths(c->ctx)) {
		snprintf(err, errsz, "cannot load the system's trusted certificates: %s",
		    mp_ossl_errors(ossl, sizeof(ossl)));
		goto out;
	}
	*out = c;
	c = NULL;
	r = MP_OK;
out:
	admin_client_free(c);
	return r;
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
tcp_connect(const admin_client *c, char *err, size_t errsz)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int fd = -1, e = 0, gai;

	if (c->host_is_ip)
		hints.ai_flags |= AI_NUMERICHOST;
	if ((gai = getaddrinfo(c->host, c->port, &hints, &res)) != 0) {
		snprintf(err, errsz, "cannot resolve %s: %s", c->host, gai_strerror(gai));
		return -1;
	}
	for (const struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		fd = connect_addr(ai, &e);
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errsz, "cannot connect to %s port %s: %s", c->host, c->port, strerror(e));
	return fd;
}

/* The TLS session over fd, with the server's certificate verified for our host. */
static SSL *
tls_connect(const admin_client *c, int fd, char *err, size_t errsz)
{
	SSL *ssl = NULL;
	char ossl[512];
	long vr;

	if ((ssl = SSL_new(c->ctx)) == NULL || !SSL_set_fd(ssl, fd))
		goto fail;
	if (c->host_is_ip) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), c->host))
			goto fail;
	} else if (!SSL_set_tlsext_host_name(ssl, c->host) || !SSL_set1_host(ssl, c->host)) {
		goto fail;
	}
	if (SSL_connect(ssl) == 1)
		return ssl;
	if ((vr = SSL_get_verify_result(ssl)) != X509_V_OK) {
		ERR_clear_error();
		snprintf(err, errsz, "TLS with %s: server certificate not accepted: %s", c->host,
		    X509_verify_cert_error_string(vr));
		SSL_free(ssl);
		return NULL;
	}
fail:
	snprintf(err, errsz, "TLS with %s failed: %s", c->host, mp_ossl_errors(ossl, sizeof(ossl)));
	SSL_free(ssl);
	return NULL;
}

/* Writes all of p, reporting progress when asked. */
static int
tls_write_all(SSL *ssl, const void *p, size_t n, const admin_request *req, char *err,
    size_t errsz)
{
	char ossl[512];
	size_t done = 0;

	while (done < n) {
		size_t part = n - done < IO_CHUNK ? n - done : IO_CHUNK;
		size_t w = 0;

		if (SSL_write_ex(ssl, (const char *)p + done, part, &w) != 1) {
			snprintf(err, errsz, "sending the request failed: %s",
			    ERR_peek_error() != 0 ? mp_ossl_errors(ossl, sizeof(ossl)) : strerror(errno));
			return MP_ERR_IO;
		}
		done += w;
		if (req != NULL && req->progress != NULL)
			req->progress(done, n, req->progress_arg);
	}
	return MP_OK;
}

/* The request line and headers; holds the key, so the caller frees it (which wipes). */
static int
build_head(const admin_client *c, const admin_request *req, mp_buf *h)
{
	bool v6 = c->host_is_ip && strchr(c->host, ':') != NULL;
	int r;

	r = mp_buf_putf(h,
	    "%s %s/api/v1%s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: midpki/%s\r\n"
	    "Accept: application/json\r\nConnection: close\r\nAuthorization: Bearer %s\r\n",
	    req->method, c->prefix, req->path, v6 ? "[" : "", c->host, v6 ? "]" : "", c->port,
	    MIDPKI_VERSION, c->key);
	if (r == MP_OK && req->content_type != NULL)
		r = mp_buf_putf(h, "Content-Type: %s\r\nContent-Length: %zu\r\n", req->content_type,
		    req->body_len);
	else if (r == MP_OK && (strcmp(req->method, "POST") == 0 || strcmp(req->method, "PATCH") == 0))
		r = mp_buf_put_str(h, "Content-Length: 0\r\n");
	if (r == MP_OK)
		r = mp_buf_put_str(h, "\r\n");
	return r;
}

/* Reads until a whole response has arrived or the server closes. */
static int
read_response(SSL *ssl, cli_http_response **out, char *err, size_t errsz)
{
	mp_buf *in = NULL;
	char *chunk = NULL, ossl[512];
	bool eof = false;
	int r = MP_ERR_NOMEM;

	if ((in = mp_buf_new(CLI_HTTP_MAX_HEAD + 2 * (size_t)ADMIN_MAX_RESPONSE)) == NULL ||
	    (chunk = malloc(IO_CHUNK)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	for (;;) {
		size_t n = 0;

		if (SSL_read_ex(ssl, chunk, IO_CHUNK, &n) == 1) {
			if ((r = mp_buf_put(in, chunk, n)) != MP_OK) {
				snprintf(err, errsz, "the server's response is too large");
				goto out;
			}
		} else if (SSL_get_error(ssl, 0) == SSL_ERROR_ZERO_RETURN) {
			eof = true;
		} else {
			r = MP_ERR_IO;
			snprintf(err, errsz, "reading the response failed: %s",
			    ERR_peek_error() != 0 ? mp_ossl_errors(ossl, sizeof(ossl))
			    : errno == EAGAIN	   ? "timed out"
						   : strerror(errno));
			goto out;
		}
		r = cli_http_parse(mp_buf_str(in), mp_buf_len(in), eof, ADMIN_MAX_RESPONSE, out);
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
admin_client_send(admin_client *c, const admin_request *req, cli_http_response **out,
    char *err, size_t errsz)
{
	mp_buf *head = NULL;
	SSL *ssl = NULL;
	int fd = -1, r = MP_ERR_NOMEM;

	if ((head = mp_buf_new(CLI_HTTP_MAX_HEAD)) == NULL || build_head(c, req, head) != MP_OK) {
		snprintf(err, errsz, "the request is too large");
		goto out;
	}
	r = MP_ERR_IO;
	if ((fd = tcp_connect(c, err, errsz)) < 0 || (ssl = tls_connect(c, fd, err, errsz)) == NULL)
		goto out;
	if ((r = tls_write_all(ssl, mp_buf_ptr(head), mp_buf_len(head), NULL, err, errsz)) !=
		MP_OK ||
	    (req->body_len > 0 &&
		(r = tls_write_all(ssl, req->body, req->body_len, req, err, errsz)) != MP_OK)) {
		char ignored[256];

		/* A server may answer (e.g. 401 or 413) and close before reading the whole body. */
		if (read_response(ssl, out, ignored, sizeof(ignored)) == MP_OK)
			r = MP_OK;
		goto out;
	}
	if ((r = read_response(ssl, out, err, errsz)) == MP_OK)
		SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	mp_buf_free(head);
	return r;
}
