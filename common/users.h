/*
 * Users (operators, auditors, technicians, administrators) and their roles.
 * Objects carry id, tenant_id, name, email, attributes, status, created_at,
 * updated_at and roles (an array of role names). Reads take a tenant_id that
 * scopes them (NULL: any tenant). Who may grant which role is decided by the
 * caller (the admin API), not here.
 */
#ifndef MP_USERS_H
#define MP_USERS_H

#include <jansson.h>

#include "audit.h"
#include "db.h"

/* Roles as bits, so that a principal's roles fit in one unsigned. */
typedef enum {
	MP_ROLE_PLATFORM_ADMIN = 1 << 0,
	MP_ROLE_TENANT_ADMIN = 1 << 1,
	MP_ROLE_OPERATOR = 1 << 2,
	MP_ROLE_AUDITOR = 1 << 3,
	MP_ROLE_TECHNICIAN = 1 << 4,
} mp_role;

/* "platform-admin", "tenant-admin", "operator", "auditor", "technician"; NULL otherwise. */
const char *mp_role_name(mp_role role);
/* The role named s (exact match). MP_ERR_INVALID for anything else. */
int mp_role_parse(const char *s, mp_role *out);

/* Creates an active user; audited as user.create. MP_ERR_CONFLICT when the name is taken. */
int mp_user_create(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *name,
    const char *email, json_t *attributes, json_t **out);
int mp_user_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);
int mp_user_find_by_name(mp_db *db, const char *tenant_id, const char *name, json_t **out);
/*
 * Grants role (a role name) to the user; audited as user.role.add.
 * MP_ERR_CONFLICT when the user already has it, MP_ERR_NOT_FOUND for no user.
 */
int mp_user_add_role(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *user_id, const char *role);
/*
 * Users in tenant_id (NULL: every tenant) ordered by id, those after after_id
 * (NULL: from the start), at most limit, as a JSON array.
 */
int mp_user_list(mp_db *db, const char *tenant_id, const char *after_id, unsigned limit,
    json_t **out);

/* What mp_user_update changes; NULL members stay as they are. */
typedef struct mp_user_patch {
	const char *email;
	json_t *attributes; /* an object: replaces the attributes */
	const char *status; /* "active", "suspended" or "disabled" */
	json_t *roles;      /* an array of role names: replaces the set */
} mp_user_patch;

/*
 * Applies p to the user id (in tenant_id; NULL: any tenant) in one
 * transaction, audited as user.update with each changed member ({"from",
 * "to"} for status and roles). MP_ERR_NOT_FOUND for no such user,
 * MP_ERR_INVALID for an unknown status or role or a role listed twice. *out
 * (may be NULL) gets the user as it is afterwards.
 */
int mp_user_update(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id,
    const mp_user_patch *p, json_t **out);

/*
 * Disables the user id (status disabled) and revokes every API key of it that
 * is not revoked yet, in one transaction; audited as user.disable with the
 * number of keys revoked. MP_ERR_NOT_FOUND for no such user.
 */
int mp_user_disable(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id);

/* The user's role names, sorted, as a JSON array. */
int mp_user_list_roles(mp_db *db, const char *tenant_id, const char *user_id, json_t **out);

#endif
