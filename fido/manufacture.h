/*
 * The manufacturer role of FDO Device Initialize (DI), as an issuer: the
 * voucher header of a new device (a random GUID, our rendezvous info, its
 * DeviceInfo, the tenant's manufacturer key, the hash of its certificate
 * chain) kept in a DI session (table fdo_di_sessions) named by a bearer
 * token, until the device's HMAC over the header turns it into a voucher.
 */
#ifndef FDO_MANUFACTURE_H
#define FDO_MANUFACTURE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "hash.h"
#include "keys.h"
#include "reason.h"
#include "rv_msg.h"
#include "session.h"

/* How long a device has between DI.SetCredentials and DI.SetHMAC. */
#define FDO_DI_SESSION_S 300

typedef struct fdo_mfg_request {
	const char *tenant_id;
	const char *device_id;
	const char *device_info;
	int key_type;              /* the manufacturer key type the device asked for */
	const fdo_bytes *certs;    /* the device certificate chain, leaf first, DER */
	size_t ncerts;
	const char *rv_host;       /* rendezvous server (fdo_rvinfo_write) */
	unsigned rv_port;
	bool rv_https;
} fdo_mfg_request;

/*
 * The tenant as the owner of the devices it makes ([fdo] owner_key): the
 * new voucher is extended to its owner key and registered for TO1.
 */
typedef struct fdo_mfg_owner {
	const char *key;      /* the id of the tenant's FDO owner key */
	fdo_rv_addr addr;     /* where the device finds its owner (RVTO2Addr) */
	uint32_t wait;        /* how long the registration lasts, seconds */
} fdo_mfg_owner;

/*
 * Whether the tenant has a manufacturer key of FDO type key_type, checked
 * before the device's certificate is issued: MP_ERR_NOT_FOUND (d says so) if not.
 */
int fdo_mfg_check_key(const fdo_env *env, const char *tenant_id, int key_type, fdo_detail *d);

/*
 * Builds the voucher header for req with the tenant's (first) manufacturer
 * key of req->key_type, records the DI session, appends the header to hdr
 * and sets token. MP_ERR_NOT_FOUND (d says so) when the tenant has no such key.
 */
int fdo_mfg_begin(const fdo_env *env, const fdo_mfg_request *req, mp_buf *hdr,
    char token[FDO_TOKEN_MAX], fdo_detail *d);

/*
 * Ends the DI session of token with the device's HMAC over the header (hmac:
 * its encoding): the voucher, with no entries, verified and stored as the
 * device's (fdo_store_import, origin "manufactured"), the session removed, in
 * one transaction; with own (may be NULL), in the same transaction, the
 * voucher extended to own->key (fdo_store_extend) and registered for TO1
 * (fdo_rv_register). MP_ERR_UNAUTHENTICATED for no such session, or one
 * expired; MP_ERR_NOT_FOUND (d says so) when own->key is no owner key of
 * the tenant.
 */
int fdo_mfg_finish(const fdo_env *env, const char *token, const uint8_t *hmac, size_t hmac_len,
    const fdo_mfg_owner *own, json_t **out, fdo_detail *d);

#endif
