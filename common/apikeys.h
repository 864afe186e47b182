/*
 * API keys: bearer secrets of users for the admin API. The key is shown once,
 * at creation ("mpk_<id hex>_<secret>", see credential.h); the database keeps
 * only SHA-256 of it. Key objects carry id, user_id, tenant_id, expires_at,
 * revoked_at, created_at, last_used_at (never the hash).
 */
#ifndef MP_APIKEYS_H
#define MP_APIKEYS_H

#include <stdint.h>

#include <jansson.h>

#include "audit.h"
#include "credential.h"
#include "db.h"

/* Who a valid API key speaks for. */
typedef struct mp_principal {
	char user_id[MP_UUID_STR_LEN + 1];
	char tenant_id[MP_UUID_STR_LEN + 1];
	char key_id[MP_UUID_STR_LEN + 1];
	unsigned roles; /* mp_role bits */
} mp_principal;

/*
 * Creates a key for user_id (in tenant_id; NULL: any tenant) that expires at
 * expires_at (Unix seconds, in the future; 0: never). *key_out gets the key
 * (free with mp_free_secret_str); *out (may be NULL) the key object. Audited
 * as apikey.create. MP_ERR_NOT_FOUND when there is no such user.
 */
int mp_apikey_create(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *user_id, int64_t expires_at, char **key_out, json_t **out);

/*
 * Checks a presented key: MP_OK with *out filled, MP_ERR_UNAUTHENTICATED for a
 * malformed, unknown, wrong or revoked key or a user who is not active,
 * MP_ERR_EXPIRED for an expired one. The hash comparison is constant-time.
 * Records last_used_at (at most once a minute per key; not audited).
 */
int mp_apikey_authenticate(mp_db *db, const char *key, mp_principal *out);

/* The key id (of a user in tenant_id; NULL: any tenant). */
int mp_apikey_get(mp_db *db, const char *tenant_id, const char *key_id, json_t **out);

/*
 * The keys of user_id (in tenant_id; NULL: any tenant) ordered by id, those
 * after after_id (NULL: from the start), at most limit, as a JSON array.
 * MP_ERR_NOT_FOUND when there is no such user.
 */
int mp_apikey_list(mp_db *db, const char *tenant_id, const char *user_id, const char *after_id,
    unsigned limit, json_t **out);

/* Revokes a key; audited as apikey.revoke. MP_ERR_CONFLICT when already revoked. */
int mp_apikey_revoke(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *key_id);

#endif
