/*
 * LoRaWAN devices: an engine device (common/devices.h) with a DevEUI, a
 * JoinEUI, a MAC version and root keys, which are kept sealed under the key
 * store's master key (mp_keystore_seal) and never returned. Objects carry id,
 * tenant_id, device_id, dev_eui, join_eui, mac_version, status, join_nonce
 * (the last JoinNonce handed out), home_net_id and home_ns_id (the home
 * network server by configuration, or NULL), created_at, updated_at. Reads take a
 * tenant_id that scopes them (NULL: any tenant).
 */
#ifndef LW_DEVICES_H
#define LW_DEVICES_H

#include <stdint.h>

#include <jansson.h>

#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "keystore.h"
#include "record.h"

/* The sealed root keys: NwkKey || AppKey (for 1.0.x, the AppKey twice). */
#define LW_ROOT_KEYS_LEN (2 * LW_KEY_LEN)

/* A Backend Interfaces 1.1 NSID: 1..128 of LW_BI_ID_CHARS (bi.h). */
#define LW_NSID_MAX 128

typedef struct lw_device_new {
	const char *tenant_id;
	const char *device_id;   /* an engine device of tenant_id */
	const char *dev_eui;     /* 16 lower-case hex digits */
	const char *join_eui;    /* 16 lower-case hex digits */
	const char *mac_version; /* "1.0.2", "1.0.3", "1.0.4" or "1.1" */
	const uint8_t *nwk_key;  /* 1.1 only; NULL: generated */
	const uint8_t *app_key;  /* NULL: generated */
	const char *home_net_id; /* 6 lower-case hex digits, or NULL: the last join's network */
	const char *home_ns_id;  /* its NSID (with home_net_id only), or NULL */
} lw_device_new;

/*
 * Registers the LoRaWAN device, sets the engine device's DevEUI, seals the
 * root keys (given or generated), audited as lorawan_device.create (details:
 * device_id, dev_eui, join_eui, mac_version, keys "imported" or
 * "generated", home_net_id, home_ns_id), in one transaction.
 * MP_ERR_NOT_FOUND when the engine device is not in tenant_id; MP_ERR_CONFLICT when it already has LoRaWAN keys, is
 * decommissioned, has another DevEUI, or the DevEUI is another device's;
 * MP_ERR_INVALID for a malformed field, a NwkKey for 1.0.x or an NSID
 * without NetID.
 */
int lw_device_create(mp_db *db, const mp_keystore *ks, const mp_actor *actor,
    const lw_device_new *in, json_t **out);
int lw_device_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);

/*
 * New root keys for device id (given, or generated when NULL; for 1.1 both or
 * neither, for 1.0.x the AppKey only: MP_ERR_INVALID otherwise), sealed in
 * place of the old ones, with the DevNonce state and the last RJcount1
 * forgotten (the device was re-keyed, so it starts again) and the JoinNonce kept counting. Audited as
 * lorawan_device.rotate_keys with keys "imported" or "generated".
 */
int lw_device_rotate_keys(mp_db *db, const mp_keystore *ks, const mp_actor *actor,
    const char *tenant_id, const char *id, const uint8_t *nwk_key, const uint8_t *app_key,
    json_t **out);
/* Up to limit devices ordered by id after after_id (NULL: from the start). */
int lw_device_list(mp_db *db, const char *tenant_id, const char *after_id, unsigned limit,
    json_t **out);

/*
 * Sets the device's LoRaWAN status, "active" or "inactive" (an inactive
 * device's joins are refused); audited as lorawan_device.status with
 * {"from", "to"}. MP_ERR_INVALID for another status.
 */
int lw_device_set_status(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id,
    const char *status, json_t **out);

/*
 * Sets the device's home network server (HomeNSReq, and the network server
 * that may forward its Rejoin types 0 and 2): home_net_id (6 lower-case hex
 * digits) and its NSID home_ns_id (may be NULL), or both NULL to go back to
 * the network through which it last joined. Audited as lorawan_device.home
 * with both. MP_ERR_INVALID for a malformed one or an NSID without NetID.
 */
int lw_device_set_home(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id,
    const char *home_net_id, const char *home_ns_id, json_t **out);

/*
 * Forgets the DevNonces the device used (after a factory reset of a 1.0.x
 * device, or a 1.0.4/1.1 device whose counter started again) and the last
 * RJcount1 of a 1.1 device, keeping its JoinNonce; audited as
 * lorawan_device.reset_dev_nonces with the device as details.
 */
int lw_device_reset_dev_nonces(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id, json_t **out);

/*
 * Up to limit joins of device id, newest first, before join before_id (NULL:
 * from the newest), as {id (text), at, peer_id, rejoin_type (NULL for a
 * JoinReq), dev_nonce (the RJcount of a RejoinReq), join_nonce, result}. MP_ERR_NOT_FOUND when the device is not in tenant_id.
 */
int lw_device_joins(mp_db *db, const char *tenant_id, const char *id, const char *before_id,
    unsigned limit, json_t **out);

#endif
