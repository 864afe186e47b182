/*
 * The owner onboarding service (TO2), as an issuer: the owner proves that it
 * holds the device's voucher (TO2.ProveOVHdr, signed by the voucher's
 * current owner key, which must be one of the tenant's FDO keys, and each
 * voucher entry on request) and starts the key exchange; the device proves
 * itself with its attestation key and ends the exchange (TO2.ProveDevice);
 * then, encrypted, the owner gives the device a new GUID and owner key
 * (TO2.SetupDevice), takes its HMAC over the replacement header, reads its
 * devmod ServiceInfo and gives it our own (module "midpki": the EST server,
 * the trust anchor, a fresh enrollment token), and on TO2.Done replaces the
 * voucher. The state waits in fdo_to2_sessions under a bearer token
 * (docs/fdo.md, "Owner onboarding").
 */
#ifndef FDO_OWNER_H
#define FDO_OWNER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "keys.h"
#include "reason.h"
#include "session.h"
#include "to2_msg.h"

/* How long a device has between TO2 messages. */
#define FDO_TO2_SESSION_S 300
/* The largest message we take and send (maxOwnerMessageSize). */
#define FDO_TO2_MAX_MESSAGE (64 * 1024)

/*
 * TO2.HelloDevice m (hello: the message as received) to TO2.ProveOVHdr,
 * appended to out, with the session's token. MP_ERR_UNSUPPORTED for a key
 * exchange, cipher or signature type we do not take; MP_ERR_NOT_FOUND when
 * no tenant holds the voucher of the GUID; MP_ERR_POLICY when the voucher is
 * not extended to one of the tenant's FDO keys (it was extended to someone
 * else, or not at all); MP_ERR_INTEGRITY when the stored voucher no longer
 * verifies. d says why.
 */
int fdo_to2_prove_ov(const fdo_env *env, const uint8_t *hello, size_t hello_len,
    const fdo_to2_hello *m, mp_buf *out, char token[FDO_TOKEN_MAX], fdo_detail *d);

/*
 * TO2.GetOVNextEntry of entry num in the session of token: TO2.OVNextEntry
 * appended to out. MP_ERR_UNAUTHENTICATED for no such session (or expired),
 * MP_ERR_INVALID for an entry the voucher does not have.
 */
int fdo_to2_next_entry(const fdo_env *env, const char *token, uint64_t num, mp_buf *out,
    fdo_detail *d);

/* What the owner's ServiceInfo hands the device: given by the frontend. */
typedef struct fdo_onboarding {
	const char *est_url;
	const char *trust_pem;       /* the trust anchor of the EST server */
	const char *profile;         /* the tenant's X.509 profile of the enrollment token */
} fdo_onboarding;

/* How long the enrollment token of an onboarded device lasts. */
#define FDO_TO2_TOKEN_S (24 * 3600)

/*
 * TO2.ProveDevice (body: the EAToken as received) in the session of token:
 * TO2.SetupDevice, encrypted, appended to out. MP_ERR_UNAUTHENTICATED for no
 * session, a message out of order, a wrong nonce or GUID, or a signature
 * that is not the device's attestation key's; MP_ERR_INVALID for a message
 * of the wrong shape. d says why.
 */
int fdo_to2_setup_device(const fdo_env *env, const char *token, const uint8_t *body, size_t len,
    mp_buf *out, fdo_detail *d);

/*
 * The encrypted TO2 message type (66 DeviceServiceInfoReady, 68
 * DeviceServiceInfo, 70 Done) in the session of token: its answer (67, 69,
 * 71), encrypted, appended to out. MP_ERR_UNAUTHENTICATED for no session, a
 * message out of order or a wrong nonce; MP_ERR_INVALID or MP_ERR_INTEGRITY
 * for one that does not decrypt or is of the wrong shape. d says why.
 */
int fdo_to2_encrypted(const fdo_env *env, const fdo_onboarding *ob, const char *token,
    unsigned type, const uint8_t *body, size_t len, mp_buf *out, fdo_detail *d);

#endif
