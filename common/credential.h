/*
 * Bearer secrets that the database stores only as hashes: API keys
 * ("mpk_...") and enrollment tokens ("mpe_..."). A secret reads
 *   <prefix>_<row id: 32 lower-case hex digits>_<43 base64url chars: 32 random bytes>
 * so the row can be found by id and then checked against SHA-256 of the whole
 * string in constant time.
 */
#ifndef MP_CREDENTIAL_H
#define MP_CREDENTIAL_H

#include <stddef.h>
#include <stdint.h>

#define MP_CRED_HASH_LEN 32
#define MP_UUID_STR_LEN 36

/* A random (version 4) uuid in canonical lower-case form. */
int mp_uuid_new(char out[MP_UUID_STR_LEN + 1]);

/*
 * A fresh secret with this prefix (3 lower-case letters): its row id as a
 * canonical uuid in id (37 bytes with NUL), the secret in *secret (free it
 * with mp_free_secret_str) and SHA-256 of the secret in hash.
 */
int mp_cred_new(const char *prefix, char id[MP_UUID_STR_LEN + 1], char **secret,
    uint8_t hash[MP_CRED_HASH_LEN]);

/*
 * Parses a presented secret: the row id it names and its SHA-256. Anything
 * that is not exactly the format with this prefix is MP_ERR_UNAUTHENTICATED.
 */
int mp_cred_parse(const char *prefix, const char *secret, char id[MP_UUID_STR_LEN + 1],
    uint8_t hash[MP_CRED_HASH_LEN]);

#endif
