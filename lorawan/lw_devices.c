/* LoRaWAN devices: registration with sealed root keys, reads, and their joins. */
#include "lw_devices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bi.h"
#include "credential.h"
#include "dbjson.h"
#include "err.h"
#include "record.h"
#include "sealed.h"
#include "secure.h"

/* The columns of a device object; l is lorawan_devices, d the engine's devices. */
#define COLUMNS "l.id, l.tenant_id, l.device_id, d.dev_eui, l.join_eui, l.mac_version," \
	" l.status, l.join_nonce, l.home_net_id, l.home_ns_id, l.created_at, l.updated_at"

static bool
is_hex(const char *s, size_t len)
{
	if (s == NULL || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* A home network: NULL, or a NetID with an optional NSID. */
static bool
is_home(const char *net_id, const char *ns_id)
{
	size_t n = ns_id != NULL ? strlen(ns_id) : 0;

	if (net_id == NULL)
		return ns_id == NULL;
	return is_hex(net_id, 6) && (ns_id == NULL || (n > 0 && n <= LW_NSID_MAX &&
	    strspn(ns_id, LW_BI_ID_CHARS) == n));
}

static bool
is_mac_version(const char *v)
{
	return v != NULL && (strcmp(v, "1.0.2") == 0 || strcmp(v, "1.0.3") == 0 ||
	    strcmp(v, "1.0.4") == 0 || strcmp(v, "1.1") == 0);
}

struct create_ctx {
	const mp_actor *actor;
	const lw_device_new *in;
	const char *id;
	const char *sealed;   /* bytea parameter text */
	json_t *details;
};

/* Sets the engine device's DevEUI, or says why it cannot be. */
static int
claim_dev_eui(mp_db *db, const lw_device_new *in)
{
	const char *params[3] = { in->device_id, in->tenant_id, in->dev_eui };
	PGresult *res = NULL;
	int r;

	r = mp_db_query(db, "UPDATE devices SET dev_eui = $3, updated_at = now()"
	    " WHERE id = $1 AND tenant_id = $2 AND status <> 'decommissioned'"
	    " AND (dev_eui IS NULL OR dev_eui = $3) RETURNING id", 3, params, &res);
	if (r == MP_OK && PQntuples(res) != 1) {
		PQclear(res);
		res = NULL;
		/* no such device in the tenant, or one that may not take this DevEUI */
		r = mp_db_query_row(db, "SELECT 1 FROM devices WHERE id = $1 AND tenant_id = $2", 2,
		    params, &res);
		if (r == MP_OK)
			r = MP_ERR_CONFLICT;
	}
	PQclear(res);
	return r;
}

static int
create_txn(mp_db *db, void *arg, json_t **row)
{
	struct create_ctx *c = arg;
	const char *params[8] = { c->id, c->in->tenant_id, c->in->device_id, c->in->join_eui,
		c->in->mac_version, c->sealed, c->in->home_net_id, c->in->home_ns_id };
	int r;

	if ((r = claim_dev_eui(db, c->in)) != MP_OK ||
	    (r = mp_record_get(db, "WITH l AS (INSERT INTO lorawan_devices (id, tenant_id, device_id,"
	    " join_eui, mac_version, root_keys, home_net_id, home_ns_id)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *)"
	    " SELECT " COLUMNS " FROM l JOIN devices d ON d.id = l.device_id", 8, params,
	    row)) != MP_OK)
		return r;
	if ((r = mp_audit_write_in(db, c->actor, c->in->tenant_id, "lorawan_device.create",
	    "lorawan_device", c->id, c->details)) != MP_OK) {
		json_decref(*row);
		*row = NULL;
	}
	return r;
}

/*
 * The root keys of device id, given (NULL: generated) as NwkKey || AppKey —
 * a 1.0.x device has one root key, its AppKey, in both places — sealed for
 * its row, as a bytea parameter (free it).
 */
static int
sealed_root_keys(const mp_keystore *ks, const char *id, bool v11, const uint8_t *nwk_key,
    const uint8_t *app_key, char **param)
{
	uint8_t keys[LW_ROOT_KEYS_LEN];
	int r = MP_OK;

	if (app_key != NULL)
		memcpy(keys + LW_KEY_LEN, app_key, LW_KEY_LEN);
	else if ((r = mp_random_bytes(keys + LW_KEY_LEN, LW_KEY_LEN)) != MP_OK)
		goto out;
	if (!v11)
		memcpy(keys, keys + LW_KEY_LEN, LW_KEY_LEN);
	else if (nwk_key != NULL)
		memcpy(keys, nwk_key, LW_KEY_LEN);
	else if ((r = mp_random_bytes(keys, LW_KEY_LEN)) != MP_OK)
		goto out;
	r = lw_seal_param(ks, LW_SEALED_ROOT_KEYS, id, keys, sizeof(keys), param);
out:
	mp_wipe(keys, sizeof(keys));
	return r;
}

int
lw_device_create(mp_db *db, const mp_keystore *ks, const mp_actor *actor,
    const lw_device_new *in, json_t **out)
{
	char id[MP_UUID_STR_LEN + 1], *sealed_param = NULL;
	struct create_ctx c;
	json_t *details = NULL;
	bool v11;
	int r;

	if (actor == NULL || in == NULL || in->tenant_id == NULL || in->device_id == NULL ||
	    !is_hex(in->dev_eui, 16) || !is_hex(in->join_eui, 16) ||
	    !is_mac_version(in->mac_version) || !is_home(in->home_net_id, in->home_ns_id))
		return MP_ERR_INVALID;
	v11 = strcmp(in->mac_version, "1.1") == 0;
	if (!v11 && in->nwk_key != NULL)
		return MP_ERR_INVALID;
	if ((r = mp_uuid_new(id)) != MP_OK ||
	    (r = sealed_root_keys(ks, id, v11, in->nwk_key, in->app_key, &sealed_param)) != MP_OK)
		goto out;
	details = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}", "device_id", in->device_id,
	    "dev_eui", in->dev_eui, "join_eui", in->join_eui, "mac_version", in->mac_version,
	    "keys", in->app_key != NULL ? "imported" : "generated", "home_net_id",
	    in->home_net_id, "home_ns_id", in->home_ns_id);
	if (details == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	c = (struct create_ctx){ actor, in, id, sealed_param, details };
	r = mp_record_txn(db, create_txn, &c, out);
out:
	json_decref(details);
	free(sealed_param);
	return r;
}

int
lw_device_rotate_keys(mp_db *db, const mp_keystore *ks, const mp_actor *actor,
    const char *tenant_id, const char *id, const uint8_t *nwk_key, const uint8_t *app_key,
    json_t **out)
{
	const char *params[3] = { id, tenant_id, NULL };
	json_t *dev = NULL, *details = NULL;
	char *sealed_param = NULL;
	bool v11;
	int r;

	if (actor == NULL || id == NULL)
		return MP_ERR_INVALID;
	/* the MAC version of a device never changes: read before the change, not locked */
	if ((r = lw_device_get(db, tenant_id, id, &dev)) != MP_OK)
		return r;
	v11 = strcmp(json_string_value(json_object_get(dev, "mac_version")), "1.1") == 0;
	if ((!v11 && nwk_key != NULL) || (v11 && (nwk_key == NULL) != (app_key == NULL))) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((r = sealed_root_keys(ks, json_string_value(json_object_get(dev, "id")), v11, nwk_key,
	    app_key, &sealed_param)) != MP_OK)
		goto out;
	if ((details = json_pack("{s:s}", "keys", app_key != NULL ? "imported" :
	    "generated")) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	params[2] = sealed_param;
	r = mp_record_insert(db, actor, "lorawan_device.rotate_keys", "lorawan_device",
	    "UPDATE lorawan_devices l SET root_keys = $3, dev_nonces_used = NULL,"
	    " dev_nonce_last = NULL, rj_count1_last = NULL, updated_at = now()"
	    " FROM devices d WHERE l.id = $1"
	    " AND ($2::uuid IS NULL OR l.tenant_id = $2) AND d.id = l.device_id RETURNING " COLUMNS,
	    3, params, details, out);
out:
	json_decref(dev);
	json_decref(details);
	free(sealed_param);
	return r;
}

int
lw_device_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	return mp_record_get(db, "SELECT " COLUMNS " FROM lorawan_devices l"
	    " JOIN devices d ON d.id = l.device_id"
	    " WHERE l.id = $1 AND ($2::uuid IS NULL OR l.tenant_id = $2)", 2, params, out);
}

int
lw_device_list(mp_db *db, const char *tenant_id, const char *after_id, unsigned limit,
    json_t **out)
{
	char lim[16];
	const char *params[3] = { tenant_id, after_id, lim };

	mp_record_limit(limit, lim);
	return mp_record_list(db, "SELECT " COLUMNS " FROM lorawan_devices l"
	    " JOIN devices d ON d.id = l.device_id"
	    " WHERE ($1::uuid IS NULL OR l.tenant_id = $1) AND ($2::uuid IS NULL OR l.id > $2)"
	    " ORDER BY l.id LIMIT $3", 3, params, out);
}

int
lw_device_joins(mp_db *db, const char *tenant_id, const char *id, const char *before_id,
    unsigned limit, json_t **out)
{
	char lim[16];
	const char *params[4] = { id, tenant_id, before_id, lim };
	PGresult *res = NULL;
	int r;

	mp_record_limit(limit, lim);
	if ((r = mp_db_query_row(db, "SELECT 1 FROM lorawan_devices"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)", 2, params, &res)) != MP_OK)
		goto out;
	PQclear(res);
	res = NULL;
	r = mp_record_list(db, "SELECT id::text AS id, at, peer_id, rejoin_type, dev_nonce,"
	    " join_nonce, result"
	    " FROM lorawan_joins WHERE lorawan_device_id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)"
	    " AND ($3::bigint IS NULL OR id < $3::bigint) ORDER BY lorawan_joins.id DESC LIMIT $4", 4,
	    params, out);
out:
	PQclear(res);
	return r;
}

static const char *const no_final_status[] = { NULL };

static const struct mp_status_spec device_status = {
	"SELECT tenant_id, status FROM lorawan_devices"
	" WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE",
	"UPDATE lorawan_devices l SET status = $2, updated_at = now() FROM devices d"
	" WHERE l.id = $1 AND d.id = l.device_id RETURNING " COLUMNS,
	no_final_status,
	"lorawan_device.status",
	"lorawan_device",
};

int
lw_device_set_status(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id,
    const char *status, json_t **out)
{
	if (status == NULL || (strcmp(status, "active") != 0 && strcmp(status, "inactive") != 0))
		return MP_ERR_INVALID;
	return mp_record_set_status(db, actor, &device_status, tenant_id, id, status, out);
}

int
lw_device_set_home(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id,
    const char *home_net_id, const char *home_ns_id, json_t **out)
{
	const char *params[4] = { id, tenant_id, home_net_id, home_ns_id };
	json_t *details;
	int r;

	if (actor == NULL || id == NULL || !is_home(home_net_id, home_ns_id))
		return MP_ERR_INVALID;
	if ((details = json_pack("{s:o, s:o}", "home_net_id", home_net_id != NULL ?
	    json_string(home_net_id) : json_null(), "home_ns_id", home_ns_id != NULL ?
	    json_string(home_ns_id) : json_null())) == NULL)
		return MP_ERR_NOMEM;
	r = mp_record_insert(db, actor, "lorawan_device.home", "lorawan_device",
	    "UPDATE lorawan_devices l SET home_net_id = $3, home_ns_id = $4, updated_at = now()"
	    " FROM devices d WHERE l.id = $1 AND ($2::uuid IS NULL OR l.tenant_id = $2)"
	    " AND d.id = l.device_id RETURNING " COLUMNS, 4, params, details, out);
	json_decref(details);
	return r;
}

int
lw_device_reset_dev_nonces(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	if (actor == NULL || id == NULL)
		return MP_ERR_INVALID;
	return mp_record_insert(db, actor, "lorawan_device.reset_dev_nonces", "lorawan_device",
	    "UPDATE lorawan_devices l SET dev_nonces_used = NULL, dev_nonce_last = NULL,"
	    " rj_count1_last = NULL, updated_at = now() FROM devices d WHERE l.id = $1"
	    " AND ($2::uuid IS NULL OR l.tenant_id = $2) AND d.id = l.device_id RETURNING " COLUMNS,
	    2, params, NULL, out);
}
