/* Backend Interfaces JSON: the request header, the JoinReq, answers and KeyEnvelopes. */
#include "bi.h"

#include <string.h>

#include "codec.h"
#include "err.h"
#include "json.h"
#include "secure.h"

#define MAX_DEPTH 4

/* The string member key of o, or NULL. */
static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/*
 * Exactly n bytes of hex (either case, an optional "0x") from string s into
 * out; false for anything else.
 */
static bool
hex_bytes(const char *s, size_t n, uint8_t *out)
{
	if (s == NULL)
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	return mp_hex_decode_fixed(s, strlen(s), out, n) == MP_OK;
}

/* n bytes of hex as an unsigned value, most significant first. */
static bool
hex_value(const char *s, size_t n, uint64_t *out)
{
	uint8_t b[8];
	uint64_t v = 0;

	if (n > sizeof(b) || !hex_bytes(s, n, b))
		return false;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | b[i];
	*out = v;
	return true;
}

/*
 * Copies an identifier member to echo it: at most LW_BI_ID_MAX letters,
 * digits, '.', '-', '_' or ':' (hex, or an AS-ID such as a host name).
 */
static void
echo_id(json_t *o, const char *key, char out[LW_BI_ID_MAX + 1])
{
	const char *s = str(o, key);
	size_t n = s != NULL ? strlen(s) : 0;

	out[0] = '\0';
	if (n == 0 || n > LW_BI_ID_MAX || strspn(s, LW_BI_ID_CHARS) != n)
		return;
	memcpy(out, s, n + 1);
}

static void
decode_header(json_t *o, lw_bi_header *h)
{
	const char *v = str(o, "ProtocolVersion"), *t = str(o, "MessageType");
	json_t *tid = json_object_get(o, "TransactionID");

	h->version = v != NULL && strcmp(v, "1.1") == 0 ? LW_BI_11 : LW_BI_10;
	if (t != NULL && strlen(t) < sizeof(h->message_type))
		memcpy(h->message_type, t, strlen(t) + 1);
	echo_id(o, "SenderID", h->sender_id);
	echo_id(o, "ReceiverID", h->receiver_id);
	echo_id(o, "SenderNSID", h->sender_nsid);
	echo_id(o, "ReceiverNSID", h->receiver_nsid);
	if (json_is_integer(tid) && json_integer_value(tid) >= 0 &&
	    json_integer_value(tid) <= UINT32_MAX) {
		h->has_transaction_id = true;
		h->transaction_id = (uint32_t)json_integer_value(tid);
	}
}

/* Sets *why and returns MP_ERR_INVALID. */
static int
bad(const char **why, const char *what)
{
	*why = what;
	return MP_ERR_INVALID;
}

/* The JoinReq or RejoinReq members; *why names the first one that is wrong. */
static int
decode_join_req(json_t *o, bool rejoin, lw_bi_join_req *jr, const char **why)
{
	const char *mac = str(o, "MACVersion"), *cf = str(o, "CFList");
	json_t *rx = json_object_get(o, "RxDelay"), *cfv = json_object_get(o, "CFList");
	uint64_t v;

	if (!hex_value(str(o, "SenderID"), 3, &v))
		return bad(why, "SenderID must be a NetID: 6 hex digits");
	jr->net_id = (uint32_t)v;
	if (!hex_value(str(o, "ReceiverID"), 8, &jr->join_eui))
		return bad(why, "ReceiverID must be a JoinEUI: 16 hex digits");
	if (mac == NULL)
		return bad(why, "MACVersion is required");
	if (strcmp(mac, "1.1") == 0 || strcmp(mac, "1.1.0") == 0)
		jr->mac11 = true;
	else if (strcmp(mac, "1.0.2") == 0 || strcmp(mac, "1.0.3") == 0 || strcmp(mac, "1.0.4") == 0)
		jr->mac11 = false;
	else
		return bad(why, "MACVersion must be 1.0.2, 1.0.3, 1.0.4, 1.1 or 1.1.0");
	if (!rejoin && hex_bytes(str(o, "PHYPayload"), LW_JOIN_REQUEST_LEN, jr->phy))
		jr->phy_len = LW_JOIN_REQUEST_LEN;
	else if (rejoin && hex_bytes(str(o, "PHYPayload"), LW_REJOIN02_LEN, jr->phy))
		jr->phy_len = LW_REJOIN02_LEN;
	else if (rejoin && hex_bytes(str(o, "PHYPayload"), LW_REJOIN1_LEN, jr->phy))
		jr->phy_len = LW_REJOIN1_LEN;
	else
		return bad(why, rejoin ? "PHYPayload must be a Rejoin-request: 38 or 48 hex digits" :
		    "PHYPayload must be a Join-request: 46 hex digits");
	if (!hex_value(str(o, "DevEUI"), 8, &jr->dev_eui))
		return bad(why, "DevEUI must be 16 hex digits");
	if (!hex_value(str(o, "DevAddr"), 4, &v))
		return bad(why, "DevAddr must be 8 hex digits");
	jr->dev_addr = (uint32_t)v;
	if (!hex_value(str(o, "DLSettings"), 1, &v))
		return bad(why, "DLSettings must be 2 hex digits");
	jr->dl_settings = (uint8_t)v;
	if (!json_is_integer(rx) || json_integer_value(rx) < 0 || json_integer_value(rx) > 15)
		return bad(why, "RxDelay must be a whole number from 0 to 15");
	jr->rx_delay = (uint8_t)json_integer_value(rx);
	jr->has_cflist = cf != NULL && cf[0] != '\0';
	if (cfv != NULL && !json_is_null(cfv) && (cf == NULL ||
	    (jr->has_cflist && !hex_bytes(cf, LW_CFLIST_LEN, jr->cflist))))
		return bad(why, "CFList must be 32 hex digits");
	return MP_OK;
}

/* The AppSKeyReq members; *why names the first one that is wrong. */
static int
decode_app_s_key_req(json_t *o, const lw_bi_header *h, lw_bi_app_s_key_req *ar,
    const char **why)
{
	if (h->sender_id[0] == '\0')
		return bad(why, "SenderID must be an AS-ID: 1 to 128 letters, digits, '.', '-', '_', ':'");
	memcpy(ar->as_id, h->sender_id, sizeof(ar->as_id));
	if (!hex_value(str(o, "DevEUI"), 8, &ar->dev_eui))
		return bad(why, "DevEUI must be 16 hex digits");
	if (!hex_bytes(str(o, "SessionKeyID"), LW_SESSION_KEY_ID_LEN, ar->session_key_id))
		return bad(why, "SessionKeyID must be 32 hex digits, as this Join Server hands them out");
	return MP_OK;
}

/* The HomeNSReq members; *why names the first one that is wrong. */
static int
decode_home_ns_req(json_t *o, lw_bi_home_ns_req *hr, const char **why)
{
	uint64_t v;

	if (!hex_value(str(o, "SenderID"), 3, &v))
		return bad(why, "SenderID must be a NetID: 6 hex digits");
	hr->net_id = (uint32_t)v;
	if (!hex_value(str(o, "DevEUI"), 8, &hr->dev_eui))
		return bad(why, "DevEUI must be 16 hex digits");
	return MP_OK;
}

int
lw_bi_decode(const uint8_t *body, size_t len, lw_bi_header *h, lw_bi_req *req,
    const char **why)
{
	json_t *o = NULL;
	char err[128];
	int r;

	memset(h, 0, sizeof(*h));
	memset(req, 0, sizeof(*req));
	*why = NULL;
	if (len > LW_BI_MAX_BODY) {
		*why = "the message is too large";
		return MP_ERR_TOO_LARGE;
	}
	if (mp_json_parse_body((const char *)body, len, MAX_DEPTH, &o, err, sizeof(err)) != MP_OK ||
	    !json_is_object(o)) {
		*why = "the body is not a JSON object";
		r = MP_ERR_INVALID;
		goto out;
	}
	decode_header(o, h);
	if (str(o, "ProtocolVersion") == NULL || (strcmp(str(o, "ProtocolVersion"), "1.0") != 0 &&
	    strcmp(str(o, "ProtocolVersion"), "1.1") != 0)) {
		*why = "ProtocolVersion must be 1.0 or 1.1";
		r = MP_ERR_INVALID;
	} else if (!h->has_transaction_id) {
		*why = "TransactionID must be a whole number from 0 to 4294967295";
		r = MP_ERR_INVALID;
	} else if (h->message_type[0] == '\0') {
		*why = "MessageType is required";
		r = MP_ERR_INVALID;
	} else if (strcmp(h->message_type, "JoinReq") == 0) {
		req->type = LW_BI_JOIN_REQ;
		r = decode_join_req(o, false, &req->join, why);
	} else if (strcmp(h->message_type, "RejoinReq") == 0) {
		req->type = LW_BI_REJOIN_REQ;
		r = decode_join_req(o, true, &req->join, why);
	} else if (strcmp(h->message_type, "AppSKeyReq") == 0) {
		req->type = LW_BI_APP_S_KEY_REQ;
		r = decode_app_s_key_req(o, h, &req->app_s_key, why);
	} else if (strcmp(h->message_type, "HomeNSReq") == 0) {
		req->type = LW_BI_HOME_NS_REQ;
		r = decode_home_ns_req(o, &req->home_ns, why);
	} else {
		*why = "this message type is not served here";
		r = MP_ERR_UNSUPPORTED;
	}
out:
	json_decref(o);
	return r;
}

const char *
lw_bi_result_code(lw_result rc, lw_bi_version v)
{
	return rc == LW_RESULT_MALFORMED && v == LW_BI_11 ? "MalformedMessage" : lw_result_name(rc);
}

/* Sets key to the string s unless s is empty. */
static int
set_id(json_t *msg, const char *key, const char *s)
{
	if (s[0] == '\0')
		return 0;
	return json_object_set_new(msg, key, json_string(s));
}

json_t *
lw_bi_answer(const lw_bi_header *h, const char *answer_type, lw_result rc,
    const char *description)
{
	json_t *msg = json_object(), *res;

	res = json_pack("{s:s, s:s}", "ResultCode", lw_bi_result_code(rc, h->version),
	    "Description", description != NULL ? description : "");
	if (msg == NULL || res == NULL ||
	    json_object_set_new(msg, "ProtocolVersion", json_string(h->version == LW_BI_11 ?
	    "1.1" : "1.0")) != 0 ||
	    set_id(msg, "SenderID", h->receiver_id) != 0 ||
	    set_id(msg, "ReceiverID", h->sender_id) != 0 ||
	    (h->version == LW_BI_11 && (set_id(msg, "SenderNSID", h->receiver_nsid) != 0 ||
	    set_id(msg, "ReceiverNSID", h->sender_nsid) != 0)) ||
	    (h->has_transaction_id && json_object_set_new(msg, "TransactionID",
	    json_integer(h->transaction_id)) != 0) ||
	    json_object_set_new(msg, "MessageType", json_string(answer_type)) != 0 ||
	    json_object_set(msg, "Result", res) != 0) {
		json_decref(res);
		json_decref(msg);
		return NULL;
	}
	json_decref(res);
	return msg;
}

int
lw_bi_key_envelope(json_t *msg, const char *name, const uint8_t key[LW_KEY_LEN],
    const char *kek_label, const uint8_t *kek, size_t kek_len)
{
	uint8_t wrapped[LW_KEY_LEN + LW_WRAP_OVERHEAD];
	char *hex = NULL;
	json_t *env;
	int r;

	if (kek_len != 0) {
		if ((r = lw_key_wrap(kek, kek_len, key, LW_KEY_LEN, wrapped)) != MP_OK ||
		    (r = mp_hex_encode(wrapped, sizeof(wrapped), &hex)) != MP_OK)
			goto out;
	} else if ((r = mp_hex_encode(key, LW_KEY_LEN, &hex)) != MP_OK) {
		goto out;
	}
	env = json_pack("{s:s, s:s}", "KEKLabel", kek_len != 0 ? kek_label : "", "AESKey", hex);
	r = env != NULL && json_object_set_new(msg, name, env) == 0 ? MP_OK : MP_ERR_NOMEM;
out:
	mp_wipe(wrapped, sizeof(wrapped));
	mp_free_secret_str(hex);
	return r;
}
