#include "reply.h"

#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "err.h"
#include "log.h"
#include "worker.h"

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

	if ((r = est_body_encode(der, len, &body, &n)) != MP_OK) {
		est_reply_fail(req, r, "response");
		return;
	}
	mp_http_set_header(req, "Content-Transfer-Encoding", "base64");
	mp_http_reply(req, 200, content_type, body, n);
	free(body);
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
