/*
 * libFuzzer target: LoRaWAN PHYPayloads as a network server forwards them in
 * a JoinReq or RejoinReq (lw_phy_parse). Every accepted message must keep its
 * promises: one of the three lengths with its type, the signed part and MIC
 * covering exactly the input, the fields read back from their offsets; and
 * checking its MIC must not fail for a reason other than a mismatch.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "phy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[LW_KEY_LEN] = { 1 };
	lw_join_msg m;
	int r;

	if (lw_phy_parse(data, size, &m) != MP_OK)
		return 0;
	if (m.signed_part != data || m.signed_len + LW_MIC_LEN != size ||
	    memcmp(m.mic, data + m.signed_len, LW_MIC_LEN) != 0)
		abort();
	switch (m.join_req_type) {
	case LW_JOIN_REQ_TYPE_JOIN:
		if (size != LW_JOIN_REQUEST_LEN || m.dev_eui != lw_get_le(data + 9, 8))
			abort();
		break;
	case 0:
	case 2:
		if (size != LW_REJOIN02_LEN || m.net_id != lw_get_le(data + 2, 3))
			abort();
		break;
	case 1:
		if (size != LW_REJOIN1_LEN || m.join_eui != lw_get_le(data + 2, 8))
			abort();
		break;
	default:
		abort();
	}
	r = lw_phy_check_mic(&m, key);
	if (r != MP_OK && r != MP_ERR_INTEGRITY)
		abort();
	return 0;
}
