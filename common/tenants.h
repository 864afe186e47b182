/*
 * Tenants: the owners of everything else. Objects are jansson objects with
 * the table's columns (see dbjson.h for the types): id, name, created_at.
 */
#ifndef MP_TENANTS_H
#define MP_TENANTS_H

#include <jansson.h>

#include "audit.h"
#include "db.h"

/* Creates a tenant (MP_ERR_CONFLICT when the name is taken); audited as tenant.create. */
int mp_tenant_create(mp_db *db, const mp_actor *actor, const char *name, json_t **out);
int mp_tenant_get(mp_db *db, const char *id, json_t **out);
int mp_tenant_find_by_name(mp_db *db, const char *name, json_t **out);
/* Tenants ordered by name, those after after_name (NULL: from the start), at most limit. */
int mp_tenant_list(mp_db *db, const char *after_name, unsigned limit, json_t **out);

#endif
