/*
 * FDO TO2 key exchange and the session key: ECDH256 (P-256, 16 random
 * bytes) and ECDH384 (P-384, 48 random bytes). Each side sends blen(X) || X || blen(Y) || Y ||
 * blen(Random) || Random (blen: 2 bytes, big-endian); the shared secret is
 * ShSe = Shx || DeviceRandom || OwnerRandom, and the session key is the
 * first bytes of NIST SP 800-108 counter-mode KDF output with HMAC-SHA256
 * (label "FIDO-KDF", context "AutomaticOnboardTunnel"), as the AES-GCM cipher
 * suites ask. Ciphers (their COSE algorithm numbers): A128GCM (1) and
 * A256GCM (3), whose keys are 16 and 32 bytes.
 */
#ifndef FDO_KEX_H
#define FDO_KEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "buf.h"
#include "reason.h"

enum fdo_cipher {
	FDO_A128GCM = 1,
	FDO_A256GCM = 3,
};

enum fdo_kex_suite {
	FDO_ECDH256 = 1,
	FDO_ECDH384 = 2,
};

/* The longest exchange parameter: three lengths and 48, 48 and 48 bytes. */
#define FDO_KEX_PARAM_MAX 150
#define FDO_SEK_MAX 32

/* The session key: cipher and key. */
typedef struct fdo_sek {
	int cipher;
	size_t len;
	uint8_t key[FDO_SEK_MAX];
} fdo_sek;

/*
 * The suite of its name (kexSuiteName) and the cipher (cipherSuiteName)
 * checked: MP_ERR_UNSUPPORTED, d naming which, for any other.
 */
int fdo_kex_suite_of(const char *name, size_t len, int64_t cipher, int *suite, fdo_detail *d);

/* SP 800-108 counter-mode KDF with HMAC (FDO_HMAC_SHA256 or _SHA384) over shse: out_len bytes. */
int fdo_kdf(int hmac_alg, const uint8_t *shse, size_t n, uint8_t *out, size_t out_len);

/* A new ephemeral key of the suite (free with EVP_PKEY_free) and our parameter appended to out. */
int fdo_kex_param(int suite, EVP_PKEY **key, mp_buf *out);

/*
 * The session key of cipher from our key and parameter (mine) and the peer's
 * parameter; owner says which side we are. MP_ERR_INVALID, d saying what,
 * for a peer parameter that is not one of the suite.
 */
int fdo_kex_derive(int suite, int cipher, EVP_PKEY *key, const uint8_t *mine, size_t mine_len,
    const uint8_t *peer, size_t peer_len, bool owner, fdo_sek *out, fdo_detail *d);

#endif
