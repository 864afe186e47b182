/*
 * Devices: things in the field. Objects carry the columns id, tenant_id,
 * serial, model, manufacturer, dev_eui, fdo_guid, attributes, status,
 * created_at, updated_at. Reads take a tenant_id that scopes them (NULL: any
 * tenant, for platform administrators); a row of another tenant is
 * MP_ERR_NOT_FOUND.
 */
#ifndef MP_DEVICES_H
#define MP_DEVICES_H

#include <jansson.h>

#include "audit.h"
#include "db.h"

typedef struct mp_device_new {
	const char *tenant_id;    /* required */
	const char *serial;       /* required, unique in the tenant */
	const char *model;        /* optional */
	const char *manufacturer; /* optional */
	const char *dev_eui;      /* optional, 16 hex digits, unique platform-wide */
	const char *fdo_guid;     /* optional uuid, unique platform-wide */
	json_t *attributes;       /* optional object (site, group, ...); not consumed */
} mp_device_new;

/*
 * Registers a device as active; audited as device.create. MP_ERR_CONFLICT for
 * a serial already in the tenant (or a DevEUI/GUID already registered),
 * MP_ERR_INVALID for a malformed field or an unknown tenant.
 */
int mp_device_create(mp_db *db, const mp_actor *actor, const mp_device_new *in, json_t **out);
int mp_device_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);
int mp_device_find_by_serial(mp_db *db, const char *tenant_id, const char *serial,
    json_t **out);
/*
 * Sets status to "active", "suspended" or "decommissioned" (final: leaving it
 * is MP_ERR_CONFLICT); audited as device.status with {"from", "to"}.
 */
int mp_device_set_status(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id, const char *status, json_t **out);

#endif
