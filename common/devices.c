#include "devices.h"

#include <stdlib.h>

#include "err.h"
#include "record.h"

#define COLUMNS "id, tenant_id, serial, model, manufacturer, dev_eui, fdo_guid, attributes," \
	" status, created_at, updated_at"

int
mp_device_create(mp_db *db, const mp_actor *actor, const mp_device_new *in, json_t **out)
{
	const char *params[7];
	char *attrs = NULL;
	int r;

	if (in == NULL || in->tenant_id == NULL || in->serial == NULL)
		return MP_ERR_INVALID;
	if ((r = mp_record_object_text(in->attributes, &attrs)) != MP_OK)
		return r;
	params[0] = in->tenant_id;
	params[1] = in->serial;
	params[2] = in->model;
	params[3] = in->manufacturer;
	params[4] = in->dev_eui;
	params[5] = in->fdo_guid;
	params[6] = attrs;
	r = mp_record_insert(db, actor, "device.create", "device",
	    "INSERT INTO devices (tenant_id, serial, model, manufacturer, dev_eui, fdo_guid,"
	    " attributes) VALUES ($1, $2, $3, $4, lower($5), $6, $7) RETURNING " COLUMNS,
	    7, params, NULL, out);
	free(attrs);
	return r;
}

int
mp_device_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	return mp_record_get(db, "SELECT " COLUMNS " FROM devices"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)", 2, params, out);
}

int
mp_device_find_by_serial(mp_db *db, const char *tenant_id, const char *serial, json_t **out)
{
	const char *params[2] = { tenant_id, serial };

	if (tenant_id == NULL || serial == NULL)
		return MP_ERR_INVALID;
	return mp_record_get(db, "SELECT " COLUMNS " FROM devices"
	    " WHERE tenant_id = $1 AND serial = $2", 2, params, out);
}

static const char *const device_final[] = { "decommissioned", NULL };

static const struct mp_status_spec device_status = {
	"SELECT tenant_id, status FROM devices"
	" WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE",
	"UPDATE devices SET status = $2, updated_at = now() WHERE id = $1 RETURNING " COLUMNS,
	device_final,
	"device.status",
	"device",
};

int
mp_device_set_status(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id, const char *status, json_t **out)
{
	return mp_record_set_status(db, actor, &device_status, tenant_id, id, status, out);
}
