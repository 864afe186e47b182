/*
 * Enrollment tokens: one-time (or n-time) pre-enrollment secrets that let a
 * device enroll under a profile. The token is shown once at creation
 * ("mpe_<id hex>_<secret>", see credential.h); the database keeps only
 * SHA-256 of it. Token objects carry id, tenant_id, device_id, profile_id,
 * expires_at, uses_left, created_at (never the hash).
 */
#ifndef MP_ENROLL_TOKENS_H
#define MP_ENROLL_TOKENS_H

#include <stdint.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"

/*
 * Creates a token for device_id and profile_id (both of tenant_id) valid until
 * expires_at (Unix seconds, in the future) for uses (>= 1) enrollments.
 * *token_out gets the token (free with mp_free_secret_str); *out (may be
 * NULL) the token object. Audited as enrollment_token.create.
 */
int mp_enroll_token_create(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *device_id, const char *profile_id, int64_t expires_at, unsigned uses,
    char **token_out, json_t **out);

/*
 * Spends one use of a presented token: MP_OK with the token object (after the
 * use) in *out; MP_ERR_UNAUTHENTICATED for a malformed, unknown, wrong or used
 * up token, or when serial (NULL: any) is not its device's serial number;
 * MP_ERR_EXPIRED for an expired one; MP_ERR_DENIED when its device is not
 * active. Nothing is spent on an error. Constant-time comparison. Audited as
 * enrollment_token.consume (actor id defaults to the token's device).
 */
int mp_enroll_token_consume(mp_db *db, const mp_actor *actor, const char *token,
    const char *serial, json_t **out);

/*
 * Whether token is a valid token of the device with serial number serial,
 * used up or not, without spending anything: MP_OK with the token object in
 * *out, MP_ERR_UNAUTHENTICATED for a malformed, unknown or wrong token or
 * another serial, MP_ERR_EXPIRED for an expired one. Constant-time
 * comparison; not audited (nothing changes).
 */
int mp_enroll_token_check(mp_db *db, const char *token, const char *serial, json_t **out);

/*
 * Gives back the use that mp_enroll_token_consume spent on token id when what
 * it was spent for did not happen (e.g. the CSR was refused), so that the
 * device may try again. Audited as enrollment_token.refund.
 * MP_ERR_NOT_FOUND when the token no longer exists.
 */
int mp_enroll_token_refund(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id);

/*
 * Up to limit tokens of device_id (in tenant_id, or any tenant when NULL),
 * ordered by id and after after_id when not NULL, as a JSON array.
 */
int mp_enroll_token_list(mp_db *db, const char *tenant_id, const char *device_id,
    const char *after_id, unsigned limit, json_t **out);

/*
 * Revokes (deletes) token id of device_id (in tenant_id, or any tenant when
 * NULL); audited as enrollment_token.revoke. MP_ERR_NOT_FOUND for no such
 * token of that device.
 */
int mp_enroll_token_revoke(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *device_id, const char *id);

#endif
