/* Session keys: one AES-128 block per key over a type octet and the join's values. */
#include <string.h>

#include "err.h"
#include "keys.h"
#include "secure.h"
#include "phy.h"

/* AES(key, type || the rest of block) into out. */
static int
derive(const uint8_t key[LW_KEY_LEN], uint8_t block[16], uint8_t type, uint8_t out[LW_KEY_LEN])
{
	block[0] = type;
	return lw_aes_ecb(key, true, block, 16, out);
}

int
lw_keys_derive10(const uint8_t root_key[LW_KEY_LEN], uint32_t join_nonce, uint32_t net_id,
    uint16_t dev_nonce, lw_keys10 *out)
{
	int r;
	uint8_t block[16] = { 0 };
	lw_keys10 k;

	lw_put_le(block + 1, join_nonce, 3);
	lw_put_le(block + 4, net_id, 3);
	lw_put_le(block + 7, dev_nonce, 2);
	if ((r = derive(root_key, block, 0x01, k.nwk_s_key)) != MP_OK ||
	    (r = derive(root_key, block, 0x02, k.app_s_key)) != MP_OK)
		goto out;
	*out = k;
out:
	mp_wipe(&k, sizeof(k));
	return r;
}

int
lw_keys_derive11(const uint8_t nwk_key[LW_KEY_LEN], const uint8_t app_key[LW_KEY_LEN],
    uint32_t join_nonce, uint64_t join_eui, uint16_t dev_nonce, lw_keys11 *out)
{
	int r;
	uint8_t block[16] = { 0 };
	lw_keys11 k;

	lw_put_le(block + 1, join_nonce, 3);
	lw_put_le(block + 4, join_eui, 8);
	lw_put_le(block + 12, dev_nonce, 2);
	if ((r = derive(nwk_key, block, 0x01, k.f_nwk_s_int_key)) != MP_OK ||
	    (r = derive(app_key, block, 0x02, k.app_s_key)) != MP_OK ||
	    (r = derive(nwk_key, block, 0x03, k.s_nwk_s_int_key)) != MP_OK ||
	    (r = derive(nwk_key, block, 0x04, k.nwk_s_enc_key)) != MP_OK)
		goto out;
	*out = k;
out:
	mp_wipe(&k, sizeof(k));
	return r;
}

int
lw_keys_js(const uint8_t nwk_key[LW_KEY_LEN], uint64_t dev_eui, lw_js_keys *out)
{
	int r;
	uint8_t block[16] = { 0 };
	lw_js_keys k;

	lw_put_le(block + 1, dev_eui, 8);
	if ((r = derive(nwk_key, block, 0x05, k.js_enc_key)) != MP_OK ||
	    (r = derive(nwk_key, block, 0x06, k.js_int_key)) != MP_OK)
		goto out;
	*out = k;
out:
	mp_wipe(&k, sizeof(k));
	return r;
}
