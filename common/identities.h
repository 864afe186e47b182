/*
 * Identities: one row per issued identity of any kind, for a device or a
 * user, under a profile of the same kind. Objects carry id, tenant_id, kind,
 * device_id, user_id, profile_id, status, not_before, not_after, ref,
 * created_at, updated_at.
 */
#ifndef MP_IDENTITIES_H
#define MP_IDENTITIES_H

#include <stdint.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"

typedef struct mp_identity_new {
	const char *tenant_id;  /* required */
	const char *kind;       /* NULL: the profile's kind */
	const char *device_id;  /* exactly one of device_id and user_id */
	const char *user_id;
	const char *profile_id; /* required, same tenant, same kind */
	const char *status;     /* NULL: "pending" */
	int64_t not_before;     /* Unix seconds; 0: none */
	int64_t not_after;      /* Unix seconds; 0: none */
	const char *ref;        /* the kind-specific record, optional */
} mp_identity_new;

/*
 * Records an identity; audited as identity.create. MP_ERR_INVALID when the
 * subject, profile or kind do not fit (other tenant, both or no subject,
 * profile of another kind, not_after before not_before).
 */
int mp_identity_create(mp_db *db, const mp_actor *actor, const mp_identity_new *in,
    json_t **out);
int mp_identity_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);
/*
 * Sets status ("pending", "active", "suspended", "revoked", "expired"); the
 * last two are final (MP_ERR_CONFLICT). Audited as identity.status.
 */
int mp_identity_set_status(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id, const char *status, json_t **out);

/*
 * Applies the policy for a device's status to its X.509 certificates:
 * "suspended" puts its active ones on hold (certificateHold, marked as held
 * by the device), "active" takes those holds off again (not holds an
 * operator put), "decommissioned" revokes every active or held one
 * (cessationOfOperation). Each certificate is audited
 * (certificate.suspend/resume/revoke) and its CA's CRL service told
 * (pg_notify midpki_crl), in the caller's transaction. "suspended" and
 * "decommissioned" also revoke its SSH certificates (mp_identities_revoke_ssh).
 */
int mp_identities_follow_device(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *device_id, const char *status);

/*
 * Revokes the SSH certificates of a user or of a device (exactly one of
 * user_id and device_id) that are neither revoked nor expired, and their
 * identities: SSH certificates have no hold, so a suspended, disabled or
 * decommissioned subject loses them for good. Each is audited as
 * ssh_certificate.revoke with its serial, CA and cause ("user" or "device"),
 * in the caller's transaction; the CAs' KRLs list them from then on.
 */
int mp_identities_revoke_ssh(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *user_id, const char *device_id);

#endif
