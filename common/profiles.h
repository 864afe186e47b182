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
int mp_profile_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);
int mp_profile_find_by_name(mp_db *db, const char *tenant_id, const char *name, json_t **out);

#endif
