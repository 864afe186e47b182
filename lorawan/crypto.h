/*
 * The AES primitives of LoRaWAN and its Backend Interfaces, on OpenSSL EVP:
 * AES-CMAC (RFC 4493; a LoRaWAN MIC is its first 4 bytes), single AES-128
 * blocks (key derivation, JoinAccept encryption), and AES Key Wrap (RFC 3394,
 * the KeyEnvelope of TS002). Keys and outputs are secrets: callers wipe them.
 */
#ifndef LW_CRYPTO_H
#define LW_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_KEY_LEN 16          /* every LoRaWAN key is AES-128 */
#define LW_MIC_LEN 4
#define LW_WRAP_OVERHEAD 8     /* RFC 3394: the wrapped key is 8 bytes longer */
#define LW_WRAP_MAX 32         /* the longest key we wrap or unwrap */
#define LW_ECB_MAX 32          /* the most lw_aes_ecb takes: a JoinAccept with a CFList */

/* AES-128-CMAC of len bytes of msg into out. MP_OK or MP_ERR_CRYPTO. */
int lw_cmac(const uint8_t key[LW_KEY_LEN], const uint8_t *msg, size_t len,
    uint8_t out[LW_KEY_LEN]);

/* The LoRaWAN MIC: the first LW_MIC_LEN bytes of lw_cmac. */
int lw_mic(const uint8_t key[LW_KEY_LEN], const uint8_t *msg, size_t len,
    uint8_t mic[LW_MIC_LEN]);

/*
 * AES-128 in ECB over len bytes (16 or LW_ECB_MAX): encrypt when encrypt is
 * set, decrypt otherwise. in and out may be the same. MP_ERR_INVALID for
 * another len, MP_ERR_CRYPTO when OpenSSL fails.
 */
int lw_aes_ecb(const uint8_t key[LW_KEY_LEN], bool encrypt, const uint8_t *in, size_t len,
    uint8_t *out);

/*
 * RFC 3394 key wrap with the default IV under a KEK of 16, 24 or 32 bytes:
 * key_len (16..LW_WRAP_MAX, a multiple of 8) bytes of key into key_len +
 * LW_WRAP_OVERHEAD bytes at out. MP_ERR_INVALID for other lengths.
 */
int lw_key_wrap(const uint8_t *kek, size_t kek_len, const uint8_t *key, size_t key_len,
    uint8_t *out);

/*
 * The inverse: len (24..LW_WRAP_MAX + 8, a multiple of 8) bytes of wrapped
 * into len - LW_WRAP_OVERHEAD bytes at out. MP_ERR_INTEGRITY when the
 * integrity check fails (wrong KEK or altered data; out is then wiped),
 * MP_ERR_INVALID for other lengths.
 */
int lw_key_unwrap(const uint8_t *kek, size_t kek_len, const uint8_t *wrapped, size_t len,
    uint8_t *out);

#endif
