/*
 * Trust anchors: manufacturer CAs whose device certificates may bootstrap an
 * enrollment, with the policy (a JSON object) that maps such devices to a
 * tenant and profile. Objects carry id, tenant_id, name, certificate (DER,
 * base64), subject (RFC 2253, taken from the certificate), policy, created_at.
 */
#ifndef MP_TRUST_ANCHORS_H
#define MP_TRUST_ANCHORS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"

/* The largest certificate accepted as a trust anchor. */
#define MP_TRUST_ANCHOR_MAX_DER 65536

/*
 * Stores a trust anchor; der must be exactly one X.509 certificate
 * (MP_ERR_INVALID otherwise). Audited as trust_anchor.create with name,
 * subject and SHA-256 fingerprint.
 */
int mp_trust_anchor_create(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *name, const uint8_t *der, size_t derlen, json_t *policy, json_t **out);
int mp_trust_anchor_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);
/* Anchors ordered by name after after_name (NULL: from the start), at most limit; tenant_id NULL: all tenants. */
int mp_trust_anchor_list(mp_db *db, const char *tenant_id, const char *after_name,
    unsigned limit, json_t **out);

#endif
