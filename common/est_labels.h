/*
 * EST labels: the segment of /.well-known/est/<name>/<operation> that sends
 * an enrollment to a tenant and an X.509 profile of it or of the platform
 * (and so to that profile's CA), with the base64 line width of the answers
 * (0, 64 or 76; 0: one unbroken line). Objects carry id, tenant_id, name,
 * profile_id, profile (its name), ca (the CA as the profile names it),
 * base64_line, created_at and updated_at.
 * Names are unique across tenants, since the URL carries no tenant.
 */
#ifndef MP_EST_LABELS_H
#define MP_EST_LABELS_H

#include <stdbool.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"

/* The longest label name. */
#define MP_EST_LABEL_MAX 64

/*
 * Whether name may be a label: 1 to MP_EST_LABEL_MAX of A-Z a-z 0-9 - _ .,
 * and not the name of an EST operation (cacerts, simpleenroll, ...).
 */
bool mp_est_label_name_ok(const char *name);

/*
 * Creates label name in tenant_id for profile_id (which the caller checked);
 * audited as est_label.create. MP_ERR_INVALID for a bad name or width,
 * MP_ERR_CONFLICT when the name is taken (in any tenant).
 */
int mp_est_label_create(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *name, const char *profile_id, int base64_line, json_t **out);
/* The label id in tenant_id (NULL: any tenant). */
int mp_est_label_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);
/* The label called name, of any tenant: what the EST listener looks up. */
int mp_est_label_find(mp_db *db, const char *name, json_t **out);
/* Labels ordered by name after after_name (NULL: from the start), at most limit; tenant_id NULL: all tenants. */
int mp_est_label_list(mp_db *db, const char *tenant_id, const char *after_name,
    unsigned limit, json_t **out);
/*
 * Changes the label id (in tenant_id; NULL: any tenant): its profile when
 * profile_id is not NULL, its line width when base64_line is not negative;
 * audited as est_label.update with what was asked. MP_ERR_NOT_FOUND for no such label.
 */
int mp_est_label_update(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id, const char *profile_id, int base64_line, json_t **out);
/* Deletes the label id; audited as est_label.delete with its name. MP_ERR_NOT_FOUND for none. */
int mp_est_label_delete(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id);

#endif
