#include <string.h>

#include "cbor.h"
#include "err.h"
#include "keys.h"
#include "owner.h"
#include "secure.h"
#include "to2_msg.h"
#include "wire_priv.h"
#include "worker.h"

#define MSG_TO2_HELLO_DEVICE 60
#define MSG_TO2_PROVE_OVHDR 61
#define MSG_TO2_GET_OV_NEXT_ENTRY 62
#define MSG_TO2_OV_NEXT_ENTRY 63

void
fdo_msg_to2_hello_device(mp_http_req *req, const uint8_t *body, size_t len)
{
	mp_worker *w = mp_http_req_worker(req);
	char token[FDO_TOKEN_MAX];
	fdo_detail d = { { 0 } };
	mp_buf *out = NULL;
	fdo_to2_hello m;
	fdo_env env;
	int r;

	if ((out = mp_buf_new(FDO_TO2_MAX_MESSAGE)) == NULL) {
		fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, MSG_TO2_HELLO_DEVICE, "out of memory");
		return;
	}
	fdo_env_of_worker(w, &env);
	if ((r = fdo_to2_hello_decode(body, len, &m, &d)) != MP_OK ||
	    (r = fdo_to2_prove_ov(&env, body, len, &m, out, token, &d)) != MP_OK) {
		fdo_reply_refusal(req, r, MSG_TO2_HELLO_DEVICE, EM_INVALID_OWNERSHIP_VOUCHER, &d);
	} else {
		fdo_reply_token(req, token);
		fdo_reply_msg(req, MSG_TO2_PROVE_OVHDR, out);
		mp_wipe(token, sizeof(token));
	}
	mp_buf_free(out);
}

void
fdo_msg_to2_get_ov_next_entry(mp_http_req *req, const uint8_t *body, size_t len)
{
	mp_worker *w = mp_http_req_worker(req);
	const char *token;
	fdo_detail d = { { 0 } };
	mp_buf *out = NULL;
	uint64_t num;
	fdo_cbor c;
	fdo_env env;
	int r;

	if ((token = fdo_token_required(req, MSG_TO2_GET_OV_NEXT_ENTRY,
	    "TO2.GetOVNextEntry needs the Authorization token of TO2.ProveOVHdr")) == NULL)
		return;
	/* TO2.GetOVNextEntry = [OVEntryNum] */
	fdo_cbor_init(&c, body, len);
	if (fdo_cbor_array_n(&c, 1) != MP_OK || fdo_cbor_uint(&c, UINT8_MAX, &num) != MP_OK ||
	    !fdo_cbor_empty(&c)) {
		fdo_reply_error(req, 400, EM_MESSAGE_BODY_ERROR, MSG_TO2_GET_OV_NEXT_ENTRY,
		    "TO2.GetOVNextEntry is not [OVEntryNum]");
		return;
	}
	if ((out = mp_buf_new(FDO_TO2_MAX_MESSAGE)) == NULL) {
		fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, MSG_TO2_GET_OV_NEXT_ENTRY,
		    "out of memory");
		return;
	}
	fdo_env_of_worker(w, &env);
	if ((r = fdo_to2_next_entry(&env, token, num, out, &d)) != MP_OK)
		fdo_reply_refusal(req, r, MSG_TO2_GET_OV_NEXT_ENTRY, EM_INVALID_OWNERSHIP_VOUCHER, &d);
	else
		fdo_reply_msg(req, MSG_TO2_OV_NEXT_ENTRY, out);
	mp_buf_free(out);
}
