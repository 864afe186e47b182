/*
 * Devices: things in the field. Objects carry the columns id, tenant_id,
 * serial, model, manufacturer, dev_eui, fdo_guid, attributes, status,
 * created_at, updated_at. Reads take a tenant_id that scopes them (NULL: any
 * tenant, for platform administrators); a row of another tenant is
 * MP_ERR_NOT_FOUND.
 */
#ifndef MP_DEVICES_H
#define MP_DEVICES_H

#include <stdbool.h>
#include <stddef.h>

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
 * is MP_ERR_CONFLICT); audited as device.status with {"from", "to"}. The
 * device's identities follow in the same transaction
 * (mp_identities_follow_device).
 */
int mp_device_set_status(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id, const char *status, json_t **out);

/* List filters; each NULL member matches any device. */
typedef struct mp_device_filter {
	const char *serial;
	const char *status;
	const char *model;
	const char *site; /* attributes->>'site' */
} mp_device_filter;

/*
 * Up to limit devices (of tenant_id, or every tenant when NULL) matching f,
 * ordered by id and after after_id when not NULL, as a JSON array.
 */
int mp_device_list(mp_db *db, const char *tenant_id, const mp_device_filter *f,
    const char *after_id, unsigned limit, json_t **out);

/* A change to a device: only the members marked set (or non-NULL) change. */
typedef struct mp_device_patch {
	bool set_model;
	const char *model; /* NULL clears it */
	bool set_manufacturer;
	const char *manufacturer;
	json_t *attributes; /* NULL: unchanged; else replaces the whole object; not consumed */
	const char *status; /* NULL: unchanged; else through mp_device_set_status */
} mp_device_patch;

/*
 * Applies p in one transaction: the fields (audited as device.update with the
 * new values as details), then the status (audited as device.status). A
 * decommissioned device is final: any change to it is MP_ERR_CONFLICT, as is
 * leaving that status. MP_ERR_NOT_FOUND for no such device in tenant_id (NULL:
 * any tenant). *out (may be NULL) gets the device afterwards.
 */
int mp_device_update(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id,
    const mp_device_patch *p, json_t **out);

/*
 * Registers every device in rows, a JSON array of objects {"line", "serial",
 * "model"?, "manufacturer"?, "attributes"?} already checked by the caller (no
 * serial twice), in tenant_id, all in one transaction and one statement.
 * Audited once, as device.import with details {"count", "format"}.
 * On MP_OK *conflicts gets an array of {"line", "serial"} for the rows whose
 * serial is already registered in the tenant: when it is not empty nothing
 * was imported.
 */
int mp_device_import(mp_db *db, const mp_actor *actor, const char *tenant_id, json_t *rows,
    const char *format, json_t **conflicts);

/*
 * Of rows (as for mp_device_import), the ones whose serial is already
 * registered in tenant_id, as an array of {"line", "serial"} by line. Changes
 * nothing.
 */
int mp_device_registered(mp_db *db, const char *tenant_id, json_t *rows, json_t **out);

#endif
