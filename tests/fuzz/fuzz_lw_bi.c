/*
 * libFuzzer target: Backend Interfaces JSON requests as network and
 * application servers send them to the Join Server (lw_bi_decode), then the
 * answer built from what was decoded (lw_bi_answer). Whatever the input, the
 * header's identifiers are short strings of LW_BI_ID_CHARS, an accepted
 * JoinReq or RejoinReq keeps its ranges (NetID 24 bits, RxDelay 0..15, a
 * PHYPayload of one of the three lengths), an AppSKeyReq
 * names its AS, and every answer encodes as JSON with its ResultCode.
 */
#include <stdlib.h>
#include <string.h>

#include "bi.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_id(const char *s)
{
	size_t n = strnlen(s, LW_BI_ID_MAX + 1);

	if (n > LW_BI_ID_MAX || strspn(s, LW_BI_ID_CHARS) != n)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	lw_bi_header h;
	lw_bi_req req;
	lw_join_msg m;
	json_t *ans;
	char *text;
	int r;

	r = lw_bi_decode(data, size, &h, &req, &why);
	if ((r != MP_OK) != (why != NULL))
		abort();
	check_id(h.sender_id);
	check_id(h.receiver_id);
	check_id(h.sender_nsid);
	check_id(h.receiver_nsid);
	if (strnlen(h.message_type, sizeof(h.message_type)) == sizeof(h.message_type))
		abort();
	if (r == MP_OK && (req.type == LW_BI_JOIN_REQ || req.type == LW_BI_REJOIN_REQ)) {
		if (strcmp(h.message_type, req.type == LW_BI_JOIN_REQ ? "JoinReq" : "RejoinReq") != 0 ||
		    req.join.net_id > 0xffffff || req.join.rx_delay > 15 ||
		    (req.join.phy_len != LW_JOIN_REQUEST_LEN && req.join.phy_len != LW_REJOIN02_LEN &&
		    req.join.phy_len != LW_REJOIN1_LEN))
			abort();
		(void)lw_phy_parse(req.join.phy, req.join.phy_len, &m);
	}
	if (r == MP_OK && req.type == LW_BI_APP_S_KEY_REQ &&
	    (strcmp(h.message_type, "AppSKeyReq") != 0 || req.app_s_key.as_id[0] == '\0'))
		abort();
	ans = lw_bi_answer(&h, "JoinAns", r == MP_OK ? LW_RESULT_SUCCESS : LW_RESULT_MALFORMED, why);
	if (ans == NULL || json_string_value(json_object_get(json_object_get(ans, "Result"),
	    "ResultCode")) == NULL || (text = json_dumps(ans, JSON_COMPACT)) == NULL)
		abort();
	free(text);
	json_decref(ans);
	return 0;
}
