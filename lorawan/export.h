/*
 * Export of LoRaWAN root keys for manufacturing or key injection: the keys of
 * a set of devices wrapped (RFC 3394) under a KEK the tenant has registered
 * (a peer's, named by its KEK label), each export audited.
 */
#ifndef LW_EXPORT_H
#define LW_EXPORT_H

#include <stddef.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"
#include "keystore.h"

/* The most devices one export takes. */
#define LW_EXPORT_MAX 1000

/*
 * The root keys of devices ids[0..n) (LoRaWAN device ids of tenant_id, each
 * at most once) as *out, an array of {"id", "dev_eui", "mac_version",
 * "nwk_key" (1.1 only), "app_key"}, each key a KeyEnvelope {"KEKLabel",
 * "AESKey"} under the KEK of the tenant's peer whose KEK label is kek_label.
 * Audited per device as lorawan_device.export with kek_label and peer_id, in
 * one transaction. MP_ERR_NOT_FOUND (*what "kek_label" or "devices") when no
 * peer has that label or a device is not the tenant's; MP_ERR_CONFLICT when
 * several peers have the label; MP_ERR_INVALID for n of 0 or above
 * LW_EXPORT_MAX.
 */
int lw_devices_export(mp_db *db, const mp_keystore *ks, const mp_actor *actor,
    const char *tenant_id, const char *const *ids, size_t n, const char *kek_label,
    json_t **out, const char **what);

#endif
