/* Join-request and Rejoin-request parsing, their MIC, and the Join-accept. */
#include <string.h>

#include "err.h"
#include "phy.h"
#include "secure.h"

#define MTYPE_JOIN_REQUEST 0x0
#define MTYPE_JOIN_ACCEPT 0x1
#define MTYPE_REJOIN_REQUEST 0x6
#define MAJOR_R1 0x0

void
lw_put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

uint64_t
lw_get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

int
lw_phy_parse(const uint8_t *p, size_t len, lw_join_msg *out)
{
	lw_join_msg m;
	uint8_t mtype;

	if (len < 1)
		return MP_ERR_INVALID;
	mtype = p[0] >> 5;
	if (mtype != MTYPE_JOIN_REQUEST && mtype != MTYPE_REJOIN_REQUEST)
		return MP_ERR_UNSUPPORTED;
	if ((p[0] & 0x1f) != MAJOR_R1)
		return MP_ERR_INVALID;
	memset(&m, 0, sizeof(m));
	if (mtype == MTYPE_JOIN_REQUEST) {
		if (len != LW_JOIN_REQUEST_LEN)
			return MP_ERR_INVALID;
		m.join_req_type = LW_JOIN_REQ_TYPE_JOIN;
		m.join_eui = lw_get_le(p + 1, 8);
		m.dev_eui = lw_get_le(p + 9, 8);
		m.dev_nonce = (uint16_t)lw_get_le(p + 17, 2);
	} else if (len >= 2 && (p[1] == 0 || p[1] == 2)) {
		if (len != LW_REJOIN02_LEN)
			return MP_ERR_INVALID;
		m.join_req_type = p[1];
		m.net_id = (uint32_t)lw_get_le(p + 2, 3);
		m.dev_eui = lw_get_le(p + 5, 8);
		m.dev_nonce = (uint16_t)lw_get_le(p + 13, 2);
	} else if (len >= 2 && p[1] == 1) {
		if (len != LW_REJOIN1_LEN)
			return MP_ERR_INVALID;
		m.join_req_type = 1;
		m.join_eui = lw_get_le(p + 2, 8);
		m.dev_eui = lw_get_le(p + 10, 8);
		m.dev_nonce = (uint16_t)lw_get_le(p + 18, 2);
	} else {
		return MP_ERR_INVALID;
	}
	m.signed_part = p;
	m.signed_len = len - LW_MIC_LEN;
	memcpy(m.mic, p + m.signed_len, LW_MIC_LEN);
	*out = m;
	return MP_OK;
}

int
lw_phy_check_mic(const lw_join_msg *m, const uint8_t key[LW_KEY_LEN])
{
	uint8_t mic[LW_MIC_LEN];
	int r;

	if ((r = lw_mic(key, m->signed_part, m->signed_len, mic)) != MP_OK)
		return r;
	return mp_ct_equal(mic, sizeof(mic), m->mic, LW_MIC_LEN) ? MP_OK : MP_ERR_INTEGRITY;
}

int
lw_join_accept_encode(const lw_join_accept *ja, const lw_join_accept11 *opt11,
    const uint8_t mic_key[LW_KEY_LEN], const uint8_t enc_key[LW_KEY_LEN],
    uint8_t out[LW_JOIN_ACCEPT_MAX], size_t *len)
{
	/* the 1.1 MIC prefix (11 bytes) and the message with its MIC */
	uint8_t buf[11 + LW_JOIN_ACCEPT_MAX];
	uint8_t *msg = buf + 11;
	size_t n = 13;
	int r;

	msg[0] = MTYPE_JOIN_ACCEPT << 5 | MAJOR_R1;
	lw_put_le(msg + 1, ja->join_nonce, 3);
	lw_put_le(msg + 4, ja->net_id, 3);
	lw_put_le(msg + 7, ja->dev_addr, 4);
	msg[11] = ja->dl_settings;
	msg[12] = ja->rx_delay;
	if (ja->has_cflist) {
		memcpy(msg + n, ja->cflist, LW_CFLIST_LEN);
		n += LW_CFLIST_LEN;
	}
	if (opt11 != NULL) {
		buf[0] = opt11->join_req_type;
		lw_put_le(buf + 1, opt11->join_eui, 8);
		lw_put_le(buf + 9, opt11->dev_nonce, 2);
		r = lw_mic(mic_key, buf, 11 + n, msg + n);
	} else {
		r = lw_mic(mic_key, msg, n, msg + n);
	}
	n += LW_MIC_LEN;
	/* the Join Server encrypts with AES decrypt so that the device only needs encrypt */
	if (r != MP_OK || (r = lw_aes_ecb(enc_key, false, msg + 1, n - 1, out + 1)) != MP_OK)
		goto out;
	out[0] = msg[0];
	*len = n;
out:
	mp_wipe(buf, sizeof(buf));
	return r;
}
