#include "wire_priv.h"

#include <stdio.h>
#include <string.h>

#include "cbor.h"
#include "err.h"
#include "log.h"
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
fdo_token_required(mp_http_req *req, unsigned prev, const char *message)
{
	const char *auth = mp_http_req_header(req, "Authorization");
	size_t n;

	if (auth != NULL && strncmp(auth, "Bearer ", 7) == 0 && (n = strlen(auth + 7)) > 0 &&
	    n < FDO_TOKEN_MAX)
		return auth + 7;
	fdo_reply_error(req, 401, EM_INVALID_MESSAGE_ERROR, prev, message);
	return NULL;
}

void
fdo_reply_refusal(mp_http_req *req, int r, unsigned prev, unsigned integrity_code,
    const fdo_detail *d)
{
	const char *why = d->message[0] != '\0' ? d->message : "the request could not be served";

	switch (r) {
	case MP_ERR_INVALID:
	case MP_ERR_UNSUPPORTED:
	case MP_ERR_TOO_LARGE:
		fdo_reply_error(req, 400, EM_MESSAGE_BODY_ERROR, prev, why);
		break;
	case MP_ERR_UNAUTHENTICATED:
		fdo_reply_error(req, 401, EM_INVALID_MESSAGE_ERROR, prev, why);
		break;
	case MP_ERR_INTEGRITY:
		fdo_reply_error(req, 400, integrity_code, prev, why);
		break;
	case MP_ERR_POLICY:
		fdo_reply_error(req, 403, EM_INVALID_OWNERSHIP_VOUCHER, prev, why);
		break;
	case MP_ERR_NOT_FOUND:
		fdo_reply_error(req, 404, EM_RESOURCE_NOT_FOUND, prev, why);
		break;
	default:
		mp_error("fdo: message %u: %s", prev, mp_strerror(r));
		fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, prev, "internal error");
		break;
	}
}
