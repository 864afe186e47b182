/*
 * The ownership vouchers a tenant holds (table fdo_vouchers), one per FDO
 * GUID on the platform, each tied to a device record (devices.fdo_guid).
 * Objects carry guid, tenant_id, device_id, serial, model, device_info,
 * entries, origin ("manufactured" or "imported"), voucher (the CBOR,
 * base64), created_at, updated_at. Every voucher is verified before it is
 * stored, and again when it is read to be extended.
 */
#ifndef FDO_STORE_H
#define FDO_STORE_H

#include <jansson.h>
#include <openssl/evp.h>

#include "audit.h"
#include "keys.h"
#include "reason.h"
#include "voucher.h"

/* A GUID as 8-4-4-4-12 hex, the text form of a uuid, and its NUL. */
#define FDO_GUID_TEXT 37
void fdo_guid_text(const uint8_t *g, char out[FDO_GUID_TEXT]);

/*
 * Stores v (verified) for the device of serial in tenant_id: registered
 * with model (NULL: the voucher's DeviceInfo) and the voucher's GUID when
 * the tenant has no such device, else given the GUID. origin is "imported"
 * (audited as fdo_voucher.import) or "manufactured" (fdo_voucher.manufacture),
 * with device.create or device.update, in one transaction (nested in the
 * caller's when there is one). MP_ERR_CONFLICT, d saying why, for a GUID
 * already held or a device that has another one.
 */
int fdo_store_import(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const fdo_voucher *v, const char *serial, const char *model, const char *origin,
    json_t **out, fdo_detail *d);

/* The voucher of guid (a UUID, or 32 hex digits) in tenant_id (NULL: any tenant). */
int fdo_store_get(mp_db *db, const char *tenant_id, const char *guid, json_t **out);

/*
 * The vouchers of tenant_id (NULL: every tenant) ordered by GUID, after
 * after_guid (may be NULL), at most limit, those of the device of serial only
 * when serial is not NULL; without the voucher itself.
 */
int fdo_store_list(mp_db *db, const char *tenant_id, const char *serial, const char *after_guid,
    unsigned limit, json_t **out);

/*
 * Extends the voucher of guid to next_owner with the tenant's FDO key that
 * is its current owner key, and stores the result, audited as
 * fdo_voucher.extend, in one transaction (the caller's when there is one);
 * the extended voucher in *extended when it is not NULL. MP_ERR_POLICY when the current
 * owner key is not one of the tenant's FDO keys; MP_ERR_INVALID for a
 * next owner key of another type or size than the manufacturer's;
 * MP_ERR_INTEGRITY when the stored voucher no longer verifies. d says why.
 */
int fdo_store_extend(const fdo_env *env, const mp_actor *actor, const char *tenant_id,
    const char *guid, EVP_PKEY *next_owner, json_t **out, fdo_voucher **extended,
    fdo_detail *d);

/*
 * Replaces the voucher of old_guid in tenant_id by v (verified; its
 * replacement after TO2) and gives its device v's GUID, audited as
 * fdo_voucher.replace, in the caller's transaction. MP_ERR_NOT_FOUND when
 * the tenant no longer holds old_guid.
 */
int fdo_store_replace(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *old_guid, const fdo_voucher *v);

#endif
