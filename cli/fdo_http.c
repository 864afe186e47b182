#include "fdo_http.h"

#include <stdio.h>
#include <string.h>

#include "admin_url.h"
#include "cbor.h"
#include "err.h"
#include "https_client.h"

/*
 * Over https the server's certificate is not checked: FDO does not rest on
 * TLS (the owner proves itself by the voucher, the rendezvous answer is
 * signed by the owner key, and the session is encrypted by the key
 * exchange), and a device holds no trust anchor for it.
 */
static const cli_tls_options fdo_tls = { .no_verify = true };

int
cli_fdo_post(const char *url, int type, const char *token, const mp_buf *body,
    cli_fdo_answer *out, char *err, size_t errsz)
{
	cli_url *u = NULL;
	cli_https *c = NULL;
	cli_https_conn *k = NULL;
	cli_http_response *resp = NULL;
	mp_buf *head = mp_buf_new(1024);
	char line[64];
	int r = MP_ERR_NOMEM;

	memset(out, 0, sizeof(*out));
	snprintf(err, errsz, "out of memory");
	if (head == NULL)
		goto out;
	if ((r = cli_url_parse_http(url, &u)) != MP_OK || u->prefix[0] != '\0') {
		if (r != MP_ERR_NOMEM) {
			snprintf(err, errsz, "the FDO server must be given as http://host:port or"
			    " https://host:port, not %s", url);
			r = MP_ERR_INVALID;
		}
		goto out;
	}
	if ((r = cli_https_new(u, &fdo_tls, &c, err, errsz)) != MP_OK)
		goto out;
	snprintf(line, sizeof(line), "POST /fdo/101/msg/%d HTTP/1.1\r\n", type);
	if (mp_buf_put_str(head, line) != MP_OK || cli_https_put_host(c, head) != MP_OK ||
	    mp_buf_put_str(head, "Content-Type: application/cbor\r\nConnection: close\r\n") != MP_OK ||
	    (token != NULL && (mp_buf_put_str(head, "Authorization: ") != MP_OK ||
	    mp_buf_put_str(head, token) != MP_OK || mp_buf_put_str(head, "\r\n") != MP_OK))) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	snprintf(line, sizeof(line), "Content-Length: %zu\r\n\r\n", mp_buf_len(body));
	if (mp_buf_put_str(head, line) != MP_OK) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((r = cli_https_connect(c, &k, err, errsz)) != MP_OK ||
	    (r = cli_https_exchange(k, head, mp_buf_ptr(body), mp_buf_len(body),
	    sizeof(out->body), NULL, NULL, &resp, err, errsz)) != MP_OK) {
		if (r == MP_ERR_TOO_LARGE)
			snprintf(err, errsz, "an answer larger than 64 KiB to FDO message %d from %s",
			    type, url);
		r = r == MP_ERR_NOMEM ? r : MP_ERR_IO;
		goto out;
	}
	out->status = resp->status;
	cli_http_header(resp, "Message-Type", out->type, sizeof(out->type));
	cli_http_header(resp, "Authorization", out->auth, sizeof(out->auth));
	memcpy(out->body, resp->body, resp->body_len);
	out->len = resp->body_len;
	r = MP_OK;
out:
	cli_http_response_free(resp);
	cli_https_close(k);
	cli_https_free(c);
	cli_url_free(u);
	mp_buf_free(head);
	return r;
}

bool
cli_fdo_error_text(const cli_fdo_answer *a, char *buf, size_t n)
{
	const char *msg = "";
	uint64_t code = 0, prev;
	size_t ml = 0;
	fdo_cbor c;

	fdo_cbor_init(&c, a->body, a->len);
	if (strcmp(a->type, "255") != 0 || fdo_cbor_array_n(&c, 5) != MP_OK ||
	    fdo_cbor_uint(&c, UINT16_MAX, &code) != MP_OK || fdo_cbor_uint(&c, 255, &prev) != MP_OK ||
	    fdo_cbor_tstr(&c, &msg, &ml) != MP_OK)
		return false;
	snprintf(buf, n, "error %u (HTTP %d): %.*s", (unsigned)code, a->status, (int)ml, msg);
	return true;
}
