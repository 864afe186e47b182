/*
 * Session key derivation of LoRaWAN 1.0.x (LoRaWAN 1.0.4 §6.2.5) and 1.1
 * (LoRaWAN 1.1 §6.1.1.3, §6.2.2). Identifiers are values (DevEUI 0x0102..),
 * written little-endian into the derivation blocks as on the air; JoinNonce
 * and NetID take their low 24 bits. Every output is a secret: callers wipe.
 */
#ifndef LW_KEYS_H
#define LW_KEYS_H

#include <stdint.h>

#include "crypto.h"

/* LoRaWAN 1.0.x, or 1.1 with OptNeg unset (root key: AppKey, or NwkKey for 1.1). */
typedef struct lw_keys10 {
	uint8_t nwk_s_key[LW_KEY_LEN];
	uint8_t app_s_key[LW_KEY_LEN];
} lw_keys10;

/* LoRaWAN 1.1 with OptNeg set. */
typedef struct lw_keys11 {
	uint8_t f_nwk_s_int_key[LW_KEY_LEN];
	uint8_t s_nwk_s_int_key[LW_KEY_LEN];
	uint8_t nwk_s_enc_key[LW_KEY_LEN];
	uint8_t app_s_key[LW_KEY_LEN];
} lw_keys11;

/* The Join Server's own keys of a 1.1 device, from its NwkKey and DevEUI. */
typedef struct lw_js_keys {
	uint8_t js_int_key[LW_KEY_LEN]; /* JoinAccept MIC after a Rejoin, Rejoin type 1 MIC */
	uint8_t js_enc_key[LW_KEY_LEN]; /* JoinAccept encryption after a Rejoin */
} lw_js_keys;

/* NwkSKey and AppSKey from root_key, JoinNonce (AppNonce), NetID and DevNonce. */
int lw_keys_derive10(const uint8_t root_key[LW_KEY_LEN], uint32_t join_nonce, uint32_t net_id,
    uint16_t dev_nonce, lw_keys10 *out);

/*
 * The network keys from nwk_key and AppSKey from app_key, with JoinNonce,
 * JoinEUI and DevNonce (for a Rejoin-request, its RJcount).
 */
int lw_keys_derive11(const uint8_t nwk_key[LW_KEY_LEN], const uint8_t app_key[LW_KEY_LEN],
    uint32_t join_nonce, uint64_t join_eui, uint16_t dev_nonce, lw_keys11 *out);

int lw_keys_js(const uint8_t nwk_key[LW_KEY_LEN], uint64_t dev_eui, lw_js_keys *out);

#endif
