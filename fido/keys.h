/*
 * A tenant's FDO signing keys (table fdo_keys): each a key of the key store
 * with a role, "manufacturer" (the key of the vouchers the tenant makes) or
 * "owner" (the key vouchers are extended to), found again by the SHA-256 of
 * its SubjectPublicKeyInfo. Objects carry id, tenant_id, role, key_id,
 * algorithm, public_key_pem, created_at.
 */
#ifndef FDO_KEYS_H
#define FDO_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "audit.h"
#include "db.h"
#include "keystore.h"

/* What the FDO issuer needs: the caller's connection, the key store, where new keys go. */
typedef struct fdo_env {
	mp_db *db;
	mp_keystore *ks;
	const char *key_backend; /* "software" or "pkcs11" */
} fdo_env;

/* The context of a frontend's worker thread (common/worker.h). */
struct mp_worker;
void fdo_env_of_worker(const struct mp_worker *w, fdo_env *env);

/*
 * A new FDO key of tenant_id in role: generated (spec, in env->key_backend)
 * or, when private_key_pem is not NULL, imported into the software backend
 * (P-256 and P-384 only; the PEM stays the caller's to wipe). Audited as
 * fdo_key.create, with the key store's own entry, in one transaction.
 * MP_ERR_INVALID for a role, spec or key we do not take.
 */
int fdo_key_create(const fdo_env *env, const mp_actor *actor, const char *tenant_id,
    const char *role, const mp_key_spec *spec, const char *private_key_pem, size_t pem_len,
    json_t **out);
/* The keys of tenant_id (NULL: every tenant) ordered by id, after after_id, at most limit. */
int fdo_key_list(mp_db *db, const char *tenant_id, const char *after_id, unsigned limit,
    json_t **out);
/*
 * The handle of tenant_id's FDO key whose public key is pub (release it).
 * MP_ERR_NOT_FOUND when the tenant has none.
 */
int fdo_key_signer(const fdo_env *env, const char *tenant_id, EVP_PKEY *pub, mp_key **out);

/* SHA-256 of pub's SubjectPublicKeyInfo. */
int fdo_key_hash(EVP_PKEY *pub, uint8_t out[32]);

#endif
