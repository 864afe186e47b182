#include <string.h>

#include <stdlib.h>

#include "ca.h"
#include "cbor.h"
#include "config.h"
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
#define MSG_TO2_PROVE_DEVICE 64
#define MSG_TO2_SETUP_DEVICE 65
#define MSG_TO2_DEVICE_SERVICE_INFO 68

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

void
fdo_msg_to2_prove_device(mp_http_req *req, const uint8_t *body, size_t len)
{
	mp_worker *w = mp_http_req_worker(req);
	fdo_detail d = { { 0 } };
	mp_buf *out = NULL;
	const char *token;
	fdo_env env;
	int r;

	if ((token = fdo_token_required(req, MSG_TO2_PROVE_DEVICE,
	    "TO2.ProveDevice needs the Authorization token of TO2.ProveOVHdr")) == NULL)
		return;
	if ((out = mp_buf_new(FDO_TO2_MAX_MESSAGE)) == NULL) {
		fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, MSG_TO2_PROVE_DEVICE, "out of memory");
		return;
	}
	fdo_env_of_worker(w, &env);
	if ((r = fdo_to2_setup_device(&env, token, body, len, out, &d)) != MP_OK)
		fdo_reply_refusal(req, r, MSG_TO2_PROVE_DEVICE, EM_INVALID_MESSAGE_ERROR, &d);
	else
		fdo_reply_msg(req, MSG_TO2_SETUP_DEVICE, out);
	mp_buf_free(out);
}

void
fdo_msg_to2_encrypted(mp_http_req *req, unsigned type, const uint8_t *body, size_t len)
{
	mp_worker *w = mp_http_req_worker(req);
	fdo_detail d = { { 0 } };
	fdo_onboarding ob;
	mp_buf *out = NULL;
	char *trust = NULL;
	const char *token;
	ca_env cenv;
	fdo_env env;
	int r;

	if ((token = fdo_token_required(req, type,
	    "the encrypted TO2 messages need the Authorization token of TO2.ProveOVHdr")) == NULL)
		return;
	/* the trust anchor goes out in the owner's ServiceInfo, the answer to 68 */
	ca_env_of_worker(w, &cenv);
	if ((out = mp_buf_new(FDO_TO2_MAX_MESSAGE)) == NULL ||
	    (type == MSG_TO2_DEVICE_SERVICE_INFO && ca_trust_pem(&cenv, &trust) != MP_OK)) {
		fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, type, "internal error");
		goto out;
	}
	ob.est_url = w->config->fdo_est_url;
	ob.trust_pem = trust;
	ob.profile = w->config->est_profile;
	fdo_env_of_worker(w, &env);
	if ((r = fdo_to2_encrypted(&env, &ob, token, type, body, len, out, &d)) != MP_OK)
		fdo_reply_refusal(req, r, type, EM_INVALID_MESSAGE_ERROR, &d);
	else
		fdo_reply_msg(req, type + 1, out);
out:
	free(trust);
	mp_buf_free(out);
}
