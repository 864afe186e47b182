/*
 * The identity and policy engine: one include for its whole C API. Every
 * change runs in one transaction with its audit entry; objects are jansson
 * objects (dbjson.h); reads take a tenant_id that scopes them (NULL: any
 * tenant, for platform administrators).
 */
#ifndef MP_ENGINE_H
#define MP_ENGINE_H

#include "apikeys.h"
#include "audit.h"
#include "db.h"
#include "devices.h"
#include "enroll_tokens.h"
#include "est_labels.h"
#include "identities.h"
#include "profiles.h"
#include "tenants.h"
#include "trust_anchors.h"
#include "users.h"

/* The tenant, user and role that bootstrap creates. */
#define MP_BOOTSTRAP_TENANT "platform"
#define MP_BOOTSTRAP_USER "admin"

/*
 * Makes sure a platform administrator exists. In one transaction under an
 * advisory lock (so concurrent instances agree): when no user has the role
 * platform-admin, creates (or reuses) the tenant "platform", the user "admin"
 * with that role and an API key without expiry, and sets *api_key_out to the
 * key (free with mp_free_secret_str); otherwise sets *api_key_out to NULL.
 * Everything is audited with actor system/bootstrap.
 */
int mp_engine_bootstrap_admin(mp_db *db, char **api_key_out);

#endif
