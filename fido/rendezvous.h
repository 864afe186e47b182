/*
 * The FDO rendezvous server (docs/fdo.md, "Rendezvous"). TO0: an owner
 * proves it holds the voucher of a GUID (the voucher, extended to it, and a
 * To1d blob signed by its key over the hash of the To0d with our nonce) and
 * registers where the device finds it, for a wait time (table fdo_rv_blobs).
 * TO1: a device proves its GUID by signing our nonce with its attestation key
 * (the device certificate of the registered voucher) and receives the To1d.
 * Each exchange's nonce waits in fdo_rv_sessions under a bearer token.
 */
#ifndef FDO_RENDEZVOUS_H
#define FDO_RENDEZVOUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "db.h"
#include "keystore.h"
#include "reason.h"
#include "rv_msg.h"
#include "session.h"

/* How long a peer has between the first and the second message of TO0 or TO1. */
#define FDO_RV_SESSION_S 300
/* The longest registration granted, whatever the owner asks (30 days). */
#define FDO_RV_MAX_WAIT_S (30u * 24 * 3600)

/* TO0.Hello: a new TO0 session; its nonce (NonceTO0Sign) and token. */
int fdo_rv_to0_begin(mp_db *db, uint8_t nonce[FDO_NONCE_LEN], char token[FDO_TOKEN_MAX]);

/*
 * TO0.OwnerSign m in the session of token, which it ends whatever the
 * outcome (a refused message cannot be tried again): checks the nonce,
 * verifies the voucher (extended at least once, with a device certificate
 * chain), that it is one this platform serves (its manufacturer key is a
 * tenant's manufacturer key, or a tenant holds the voucher of its GUID with
 * the same manufacturer key), the To1d's hash of To0d and its signature by
 * the voucher's current owner key; then registers the To1d for the GUID, in
 * place of any earlier registration, for the wait time asked (at most
 * FDO_RV_MAX_WAIT_S, granted in *wait), audited as fdo_rv.register, in one
 * transaction. MP_ERR_UNAUTHENTICATED for no such session or a wrong nonce;
 * MP_ERR_INTEGRITY for a voucher or To1d that does not verify; MP_ERR_POLICY
 * for a voucher not extended, without a device certificate, or not one of
 * ours. d says why.
 */
int fdo_rv_to0_accept(mp_db *db, const char *token, const fdo_to0_owner_sign *m,
    uint32_t *wait, fdo_detail *d);

/*
 * a: the address host (a DNS name or an IP address) and port, over http or
 * https. MP_ERR_INVALID for an empty or too long host or a port out of range.
 */
int fdo_rv_addr_set(fdo_rv_addr *a, const char *host, unsigned port, bool https);

/*
 * Registers v, a voucher of tenant_id extended to owner (a key of that
 * tenant), as a TO0 by its owner would, with no TO0 exchange: To0d [v,
 * wait, a random nonce], and the To1d of addr signed by owner over its
 * SHA-256; in place of any earlier registration of its GUID, for wait
 * seconds (at most FDO_RV_MAX_WAIT_S), audited as fdo_rv.register, in one
 * transaction (the caller's when there is one).
 */
int fdo_rv_register(mp_db *db, const char *tenant_id, const fdo_voucher *v, mp_key *owner,
    const fdo_rv_addr *addr, uint32_t wait);

/*
 * TO1.HelloRV: a new TO1 session for guid, whose device signs with sg_type
 * (ES256 or ES384); its nonce (NonceTO1Proof) and token. MP_ERR_NOT_FOUND
 * when the GUID has no registration in force, MP_ERR_UNSUPPORTED for another
 * signature type; d says why.
 */
int fdo_rv_to1_begin(mp_db *db, const uint8_t guid[FDO_GUID_LEN], int64_t sg_type,
    uint8_t nonce[FDO_NONCE_LEN], char token[FDO_TOKEN_MAX], fdo_detail *d);

/*
 * TO1.ProveToRV (eat: the EAToken as received) in the session of token,
 * which it ends whatever the outcome: the EAT's nonce and GUID must be the session's and its
 * signature must verify with the device certificate's key; then the To1d
 * registered for the GUID is appended to out. MP_ERR_INVALID for an EAToken
 * of the wrong shape, MP_ERR_UNAUTHENTICATED for no such session or a proof
 * that fails, MP_ERR_NOT_FOUND when the registration has expired; d says why.
 */
int fdo_rv_to1_prove(mp_db *db, const char *token, const uint8_t *eat, size_t len, mp_buf *out,
    fdo_detail *d);

#endif
