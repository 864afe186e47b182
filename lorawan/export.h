/*
 * Export of LoRaWAN root keys for manufacturing or key injection: the keys of
 * a set of devices wrapped (RFC 3394) under a KEK the tenant has registered
 * (a peer's, named by its KEK label), or enveloped in CMS to the public key
 * of a certificate the caller provides (envelope.h), each export audited.
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

/* Where the keys go: exactly one of the two. */
typedef struct lw_export_to {
	const char *kek_label;     /* wrapped under the KEK of the tenant's peer with this label */
	const uint8_t *recipient;  /* enveloped to this certificate's key (DER) */
	size_t recipient_len;
} lw_export_to;

/*
 * The root keys of devices ids[0..n) (LoRaWAN device ids of tenant_id, each
 * at most once) as *out, an array of {"id", "dev_eui", "mac_version", ...}.
 * With to->kek_label, the items carry "nwk_key" (1.1 only) and "app_key",
 * each a KeyEnvelope {"KEKLabel", "AESKey"} under the KEK of the tenant's
 * peer with that label, and *cms is NULL. With to->recipient, the items
 * carry no key and *cms (free it) is the PEM of the CMS enveloped data of
 * the JSON array [{"id", "dev_eui", "join_eui", "mac_version", "nwk_key"
 * (1.1 only), "app_key"}], keys in hex. Audited per device as
 * lorawan_device.export with kek_label and peer_id, or recipient_sha256 (the
 * SHA-256 of the certificate), in one transaction. MP_ERR_NOT_FOUND (*what
 * "kek_label" or "devices") when no peer has that label or a device is not
 * the tenant's; MP_ERR_CONFLICT when several peers have the label;
 * MP_ERR_INVALID for n of 0 or above LW_EXPORT_MAX, or a recipient that is
 * not a certificate, MP_ERR_UNSUPPORTED for its key (*what "recipient").
 */
int lw_devices_export(mp_db *db, const mp_keystore *ks, const mp_actor *actor,
    const char *tenant_id, const char *const *ids, size_t n, const lw_export_to *to,
    json_t **out, char **cms, const char **what);

#endif
