#include "wire_priv.h"

#include <stdio.h>
#include <string.h>

#include "cbor.h"
#include "err.h"
#include "secure.h"
#include "session.h"

void
fdo_reply_error(mp_http_req *req, int status, unsigned code, unsigned prev, const char *msg)
{
	mp_buf *b = mp_buf_new(1024);

	if (b == NULL || fdo_put_array(b, 5) != MP_OK || fdo_put_uint(b, code) != MP_OK ||
	    fdo_put_uint(b, prev) != MP_OK ||
	    fdo_put_tstr(b, msg, strnlen(msg, 512)) != MP_OK || fdo_put_null(b) != MP_OK ||
	    fdo_put_uint(b, 0) != MP_OK) {
		mp_buf_free(b);
		mp_http_reply(req, 500, "text/plain", "out of memory\n", 14);
		return;
	}
	mp_http_set_header(req, "Message-Type", "255");
	mp_http_reply(req, status, "application/cbor", mp_buf_ptr(b), mp_buf_len(b));
	mp_buf_free(b);
}

void
fdo_reply_msg(mp_http_req *req, unsigned type, const mp_buf *body)
{
	char t[8];

	snprintf(t, sizeof(t), "%u", type);
	mp_http_set_header(req, "Message-Type", t);
	mp_http_reply(req, 200, "application/cbor", mp_buf_ptr(body), mp_buf_len(body));
}

void
fdo_reply_token(mp_http_req *req, const char *token)
{
	char auth[FDO_TOKEN_MAX + 8];

	snprintf(auth, sizeof(auth), "Bearer %s", token);
	mp_http_set_header(req, "Authorization", auth);
	mp_wipe(auth, sizeof(auth));
}

const char *
fdo_token_of(mp_http_req *req)
{
	const char *auth = mp_http_req_header(req, "Authorization");
	size_t n;

	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0)
		return NULL;
	n = strlen(auth + 7);
	return n == 0 || n >= FDO_TOKEN_MAX ? NULL : auth + 7;
}
