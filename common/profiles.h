/*
 * Profiles: the policy for one kind of identity ("x509", "ssh-user",
 * "ssh-host", "lorawan", "fdo"): a JSON body read by that kind's issuer and
 * whether issuance needs approval. Objects carry id, tenant_id, name, kind,
 * body, approval_required, created_at, updated_at.
 */
#ifndef MP_PROFILES_H
#define MP_PROFILES_H

#include <stdbool.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"

/* Creates a profile (body: an object or NULL for {}; not consumed); audited as profile.create. */
int mp_profile_create(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *name,
    const char *kind, json_t *body, bool approval_required, json_t **out);
/*
 * Creates profile name of tenant_id from body_json (a constant of the
 * caller) unless the tenant has a profile of that name: the built-in
 * profiles, made at start.
 */
int mp_profile_ensure(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *name,
    const char *kind, const char *body_json, bool approval_required);
int mp_profile_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);
int mp_profile_find_by_name(mp_db *db, const char *tenant_id, const char *name, json_t **out);

/*
 * Profiles shared with every tenant are those of the platform tenant (the
 * built-in ones). The functions below return objects that also carry
 * "builtin": true for those. tenant_id NULL means any tenant (platform
 * administrators); otherwise the tenant's own profiles and the platform's.
 */

/* Profiles visible to tenant_id ordered by id, after after_id (may be NULL), at most limit. */
int mp_profile_list(mp_db *db, const char *tenant_id, const char *kind, const char *after_id,
    unsigned limit, json_t **out);
/* One profile visible to tenant_id. */
int mp_profile_get_visible(mp_db *db, const char *tenant_id, const char *id, json_t **out);

/* A change to a profile: each member left NULL / false stays as it is. */
typedef struct mp_profile_patch {
	json_t *body;             /* a new body (an object; not consumed) */
	bool set_approval;
	bool approval_required;
} mp_profile_patch;

/*
 * Changes profile id of tenant_id (NULL: any tenant; a platform profile is
 * not the tenant's own, so it is MP_ERR_NOT_FOUND here); audited as
 * profile.update with the new values.
 */
int mp_profile_update(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id,
    const mp_profile_patch *p, json_t **out);

/*
 * Deletes profile id of tenant_id (NULL: any tenant); audited as
 * profile.delete. MP_ERR_CONFLICT while an identity, an enrollment token or a
 * pending certificate request refers to it.
 */
int mp_profile_delete(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id);

#endif
