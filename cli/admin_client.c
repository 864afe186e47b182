#include "admin_client.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "https_client.h"
#include "midpki_build.h"
#include "secure.h"

struct admin_client {
	cli_https *https;
	char *key;
};

void
admin_client_free(admin_client *c)
{
	if (c == NULL)
		return;
	cli_https_free(c->https);
	mp_free_secret_str(c->key);
	free(c);
}

int
admin_client_new(const cli_url *url, const char *cacert, const char *api_key,
    admin_client **out, char *err, size_t errsz)
{
	cli_tls_options tls = { cacert, false, NULL, NULL, 0 };

	return admin_client_new_tls(url, &tls, api_key, out, err, errsz);
}

int
admin_client_new_tls(const cli_url *url, const cli_tls_options *tls, const char *api_key,
    admin_client **out, char *err, size_t errsz)
{
	admin_client *c = NULL;
	int r = MP_ERR_NOMEM;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (api_key != NULL && (c->key = strdup(api_key)) == NULL)) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if ((r = cli_https_new(url, tls, &c->https, err, errsz)) != MP_OK)
		goto out;
	*out = c;
	c = NULL;
	r = MP_OK;
out:
	admin_client_free(c);
	return r;
}

/* The request line and headers; holds the key, so the caller frees it (which wipes). */
static int
build_head(const admin_client *c, const admin_request *req, mp_buf *h)
{
	int r;

	r = mp_buf_putf(h, "%s %s%s%s HTTP/1.1\r\n", req->method, cli_https_url(c->https)->prefix,
	    req->base != NULL ? req->base : "/api/v1", req->path);
	if (r == MP_OK)
		r = cli_https_put_host(c->https, h);
	if (r == MP_OK)
		r = mp_buf_putf(h, "User-Agent: midpki/%s\r\nConnection: close\r\n", MIDPKI_VERSION);
	if (r == MP_OK && req->base == NULL)
		r = mp_buf_put_str(h, "Accept: application/json\r\n");
	if (r == MP_OK && c->key != NULL)
		r = mp_buf_putf(h, "Authorization: Bearer %s\r\n", c->key);
	if (r == MP_OK && req->content_type != NULL)
		r = mp_buf_putf(h, "Content-Type: %s\r\nContent-Length: %zu\r\n", req->content_type,
		    req->body_len);
	else if (r == MP_OK && (strcmp(req->method, "POST") == 0 || strcmp(req->method, "PATCH") == 0))
		r = mp_buf_put_str(h, "Content-Length: 0\r\n");
	if (r == MP_OK)
		r = mp_buf_put_str(h, "\r\n");
	return r;
}

int
admin_client_send(admin_client *c, const admin_request *req, cli_http_response **out,
    char *err, size_t errsz)
{
	cli_https_conn *k = NULL;
	mp_buf *head = NULL;
	int r = MP_ERR_NOMEM;

	if ((head = mp_buf_new(CLI_HTTP_MAX_HEAD)) == NULL || build_head(c, req, head) != MP_OK) {
		snprintf(err, errsz, "the request is too large");
		goto out;
	}
	if ((r = cli_https_connect(c->https, &k, err, errsz)) != MP_OK)
		goto out;
	r = cli_https_exchange(k, head, req->body, req->body_len, ADMIN_MAX_RESPONSE, req->progress,
	    req->progress_arg, out, err, errsz);
out:
	cli_https_close(k);
	mp_buf_free(head);
	return r;
}
