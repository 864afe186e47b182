#include <string.h>

#include "cbor.h"
#include "err.h"
#include "log.h"
#include "rendezvous.h"
#include "rv_msg.h"
#include "secure.h"
#include "store.h"
#include "wire_priv.h"
#include "worker.h"

#define MSG_TO0_HELLO 20
#define MSG_TO0_HELLO_ACK 21
#define MSG_TO0_OWNER_SIGN 22
#define MSG_TO0_ACCEPT_OWNER 23
#define MSG_TO1_HELLO_RV 30
#define MSG_TO1_HELLO_RV_ACK 31
#define MSG_TO1_PROVE_TO_RV 32
#define MSG_TO1_RV_REDIRECT 33

/* Answers type with [nonce] or [nonce, sig_info] and the session's token. */
static void
reply_nonce(mp_http_req *req, unsigned type, const uint8_t *nonce, const uint8_t *sig_info,
    size_t sig_info_len, const char *token)
{
	mp_buf *out = mp_buf_new(64 + sig_info_len);

	if (out == NULL || fdo_put_array(out, sig_info != NULL ? 2 : 1) != MP_OK ||
	    fdo_put_bstr(out, nonce, FDO_NONCE_LEN) != MP_OK ||
	    (sig_info != NULL && mp_buf_put(out, sig_info, sig_info_len) != MP_OK)) {
		fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, type - 1, "out of memory");
	} else {
		fdo_reply_token(req, token);
		fdo_reply_msg(req, type, out);
	}
	mp_buf_free(out);
}

void
fdo_msg_to0_hello(mp_http_req *req, const uint8_t *body, size_t len)
{
	mp_worker *w = mp_http_req_worker(req);
	uint8_t nonce[FDO_NONCE_LEN];
	char token[FDO_TOKEN_MAX];
	fdo_cbor c;
	int r;

	/* TO0.Hello = [] */
	fdo_cbor_init(&c, body, len);
	if (fdo_cbor_array_n(&c, 0) != MP_OK || !fdo_cbor_empty(&c)) {
		fdo_reply_error(req, 400, EM_MESSAGE_BODY_ERROR, MSG_TO0_HELLO, "TO0.Hello is not []");
		return;
	}
	if ((r = fdo_rv_to0_begin(w->db, nonce, token)) != MP_OK) {
		fdo_detail d = { { 0 } };

		fdo_reply_refusal(req, r, MSG_TO0_HELLO, EM_MESSAGE_BODY_ERROR, &d);
		return;
	}
	/* TO0.HelloAck = [NonceTO0Sign] */
	reply_nonce(req, MSG_TO0_HELLO_ACK, nonce, NULL, 0, token);
	mp_wipe(token, sizeof(token));
}

void
fdo_msg_to0_owner_sign(mp_http_req *req, const uint8_t *body, size_t len)
{
	mp_worker *w = mp_http_req_worker(req);
	const char *token;
	fdo_detail d = { { 0 } };
	fdo_to0_owner_sign m;
	uint32_t wait = 0;
	mp_buf *out = NULL;
	int r;

	if ((token = fdo_token_required(req, MSG_TO0_OWNER_SIGN,
	    "TO0.OwnerSign needs the Authorization token of TO0.HelloAck")) == NULL)
		return;
	if ((r = fdo_to0_owner_sign_decode(body, len, &m, &d)) != MP_OK ||
	    (r = fdo_rv_to0_accept(w->db, token, &m, &wait, &d)) != MP_OK) {
		fdo_reply_refusal(req, r, MSG_TO0_OWNER_SIGN, EM_INVALID_OWNER_SIGN_BODY, &d);
		return;
	}
	mp_info("fdo: TO0: an owner registered %zu address(es) for %u s", m.to1d_payload.naddrs,
	    (unsigned)wait);
	/* TO0.AcceptOwner = [WaitSeconds] */
	if ((out = mp_buf_new(16)) == NULL || fdo_put_array(out, 1) != MP_OK ||
	    fdo_put_uint(out, wait) != MP_OK)
		fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, MSG_TO0_OWNER_SIGN, "out of memory");
	else
		fdo_reply_msg(req, MSG_TO0_ACCEPT_OWNER, out);
	mp_buf_free(out);
}

void
fdo_msg_to1_hello_rv(mp_http_req *req, const uint8_t *body, size_t len)
{
	mp_worker *w = mp_http_req_worker(req);
	uint8_t guid[FDO_GUID_LEN], nonce[FDO_NONCE_LEN];
	const uint8_t *sig_info;
	char token[FDO_TOKEN_MAX];
	fdo_detail d = { { 0 } };
	size_t sig_info_len;
	int64_t sg_type;
	fdo_cbor c;
	int r;

	if ((r = fdo_to1_hello_decode(body, len, guid, &sg_type, &d)) != MP_OK ||
	    (r = fdo_rv_to1_begin(w->db, guid, sg_type, nonce, token, &d)) != MP_OK) {
		fdo_reply_refusal(req, r, MSG_TO1_HELLO_RV, EM_MESSAGE_BODY_ERROR, &d);
		return;
	}
	/* TO1.HelloRVAck = [NonceTO1Proof, eBSigInfo]: eBSigInfo is the device's eASigInfo */
	fdo_cbor_init(&c, body, len);
	if (fdo_cbor_array_n(&c, 2) != MP_OK || fdo_cbor_skip(&c, NULL, NULL) != MP_OK ||
	    fdo_cbor_skip(&c, &sig_info, &sig_info_len) != MP_OK)
		fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, MSG_TO1_HELLO_RV, "internal error");
	else
		reply_nonce(req, MSG_TO1_HELLO_RV_ACK, nonce, sig_info, sig_info_len, token);
	mp_wipe(token, sizeof(token));
}

void
fdo_msg_to1_prove_to_rv(mp_http_req *req, const uint8_t *body, size_t len)
{
	mp_worker *w = mp_http_req_worker(req);
	const char *token;
	fdo_detail d = { { 0 } };
	mp_buf *out = NULL;
	int r;

	if ((token = fdo_token_required(req, MSG_TO1_PROVE_TO_RV,
	    "TO1.ProveToRV needs the Authorization token of TO1.HelloRVAck")) == NULL)
		return;
	if ((out = mp_buf_new(FDO_VOUCHER_MAX)) == NULL) {
		fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, MSG_TO1_PROVE_TO_RV, "out of memory");
		return;
	}
	/* TO1.RVRedirect = To1d */
	if ((r = fdo_rv_to1_prove(w->db, token, body, len, out, &d)) != MP_OK)
		fdo_reply_refusal(req, r, MSG_TO1_PROVE_TO_RV, EM_INVALID_MESSAGE_ERROR, &d);
	else
		fdo_reply_msg(req, MSG_TO1_RV_REDIRECT, out);
	mp_buf_free(out);
}
