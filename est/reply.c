#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "body.h"
#include "buf.h"
#include "codec.h"
#include "config.h"
#include "err.h"
#include "keywrap.h"
#include "label.h"
#include "log.h"
#include "secure.h"
#include "worker.h"

/* The label's or else [est] base64_line: the width of base64 lines in answers, 0 for none. */
static size_t
line_width(const mp_http_req *req)
{
	const mp_worker *w = mp_http_req_worker(req);
	const est_label *label = est_label_of(req);

	return label != NULL ? label->base64_line : (size_t)w->config->est_base64_line;
}

void
est_reply_text(mp_http_req *req, int status, const char *msg)
{
	size_t n = strlen(msg);
	char *text = malloc(n + 2);

	if (text == NULL) {
		mp_http_reply(req, 500, "text/plain; charset=utf-8", "out of memory\n", 14);
		return;
	}
	memcpy(text, msg, n);
	text[n] = '\n';
	mp_http_reply(req, status, "text/plain; charset=utf-8", text, n + 1);
	free(text);
}

void
est_reply_unauthorized(mp_http_req *req, const char *msg)
{
	mp_http_set_header(req, "WWW-Authenticate", "Basic realm=\"midpki EST\", charset=\"UTF-8\"");
	est_reply_text(req, 401, msg);
}

void
est_reply_b64(mp_http_req *req, const char *content_type, const uint8_t *der, size_t len)
{
	char *body = NULL;
	size_t n;
	int r;

	if ((r = est_body_encode(der, len, line_width(req), &body, &n)) != MP_OK) {
		est_reply_fail(req, r, "response");
		return;
	}
	mp_http_set_header(req, "Content-Transfer-Encoding", "base64");
	mp_http_reply(req, 200, content_type, body, n);
	free(body);
}

void
est_reply_keygen(mp_http_req *req, const uint8_t *pkcs8, size_t pkcs8_len, X509 *recipient,
    const uint8_t *certs, size_t certs_len)
{
	uint8_t rnd[12], *enveloped = NULL;
	char *boundary = NULL, *key = NULL, *cert = NULL, type[96];
	size_t key_len, cert_len, enveloped_len = 0;
	mp_buf *b = NULL;
	int r;

	if (recipient != NULL &&
	    (r = est_keywrap_envelop(pkcs8, pkcs8_len, recipient, &enveloped, &enveloped_len)) !=
	    MP_OK)
		goto fail;
	if ((r = mp_random_bytes(rnd, sizeof(rnd))) != MP_OK ||
	    (r = mp_hex_encode(rnd, sizeof(rnd), &boundary)) != MP_OK ||
	    (r = est_body_encode(recipient != NULL ? enveloped : pkcs8,
		recipient != NULL ? enveloped_len : pkcs8_len, line_width(req), &key, &key_len)) !=
	    MP_OK ||
	    (r = est_body_encode(certs, certs_len, line_width(req), &cert, &cert_len)) != MP_OK)
		goto fail;
	r = MP_ERR_NOMEM;
	if ((b = mp_buf_new(key_len + cert_len + 1024)) == NULL ||
	    mp_buf_putf(b, "--est-%s\r\nContent-Type: %s\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", boundary, recipient != NULL ?
	    "application/pkcs7-mime; smime-type=server-generated-key" : "application/pkcs8") !=
	    MP_OK ||
	    mp_buf_put(b, key, key_len) != MP_OK ||
	    mp_buf_putf(b, "\r\n--est-%s\r\nContent-Type: application/pkcs7-mime;"
	    " smime-type=certs-only\r\nContent-Transfer-Encoding: base64\r\n\r\n",
	    boundary) != MP_OK ||
	    mp_buf_put(b, cert, cert_len) != MP_OK ||
	    mp_buf_putf(b, "\r\n--est-%s--\r\n", boundary) != MP_OK)
		goto fail;
	snprintf(type, sizeof(type), "multipart/mixed; boundary=est-%s", boundary);
	mp_http_reply(req, 200, type, mp_buf_ptr(b), mp_buf_len(b));
	goto out;
fail:
	est_reply_fail(req, r, "server-generated key");
out:
	OPENSSL_free(enveloped);
	mp_buf_free(b);
	mp_free_secret_str(key);
	free(cert);
	free(boundary);
}

void
est_reply_fail(mp_http_req *req, int err, const char *what)
{
	mp_worker *w = mp_http_req_worker(req);

	if (err == MP_ERR_DB_UNAVAILABLE) {
		mp_http_set_header(req, "Retry-After", "5");
		est_reply_text(req, 503, "the database is not reachable; retry later");
		return;
	}
	mp_error("EST %s: %s: %s", what, mp_strerror(err), mp_db_errmsg(w->db));
	est_reply_text(req, 500, "internal error");
}
