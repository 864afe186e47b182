/*
 * Trust anchors: manufacturer CAs whose device certificates may bootstrap an
 * enrollment, with the policy (a JSON object) that maps such devices to a
 * tenant and profile. Objects carry id, tenant_id, name, certificate (DER,
 * base64), subject (RFC 2253, taken from the certificate), policy, created_at,
 * and, read from the certificate: certificate_pem, issuer, not_before,
 * not_after (RFC 3339 UTC), sha256 (fingerprint, lower-case hex), self_signed
 * and chain (an array of {subject, issuer, sha256, root}: here the anchor
 * itself, a root when it is self-signed), and crl: null, or what the CRL
 * uploaded with it says, {this_update, next_update, revoked (entries),
 * updated_at}.
 */
#ifndef MP_TRUST_ANCHORS_H
#define MP_TRUST_ANCHORS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "audit.h"
#include "crl_cache.h"
#include "db.h"

/* The largest certificate accepted as a trust anchor. */
#define MP_TRUST_ANCHOR_MAX_DER 65536

/*
 * Whether der may be a trust anchor: MP_ERR_INVALID unless it is exactly one
 * X.509 certificate, MP_ERR_POLICY unless it is a CA certificate
 * (basicConstraints CA:TRUE and a keyUsage with keyCertSign). *why (may be
 * NULL) gets a static sentence saying what is wrong, or NULL on MP_OK.
 */
int mp_trust_anchor_check(const uint8_t *der, size_t derlen, const char **why);

/*
 * Stores a trust anchor after mp_trust_anchor_check (its errors). Audited as
 * trust_anchor.create with name, subject and SHA-256 fingerprint.
 */
int mp_trust_anchor_create(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *name, const uint8_t *der, size_t derlen, json_t *policy, json_t **out);
int mp_trust_anchor_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);
/* Anchors ordered by name after after_name (NULL: from the start), at most limit; tenant_id NULL: all tenants. */
int mp_trust_anchor_list(mp_db *db, const char *tenant_id, const char *after_name,
    unsigned limit, json_t **out);

/* The most certificates a client may send with its own for mp_trust_anchor_verify. */
#define MP_TRUST_ANCHOR_MAX_CHAIN 8
/*
 * How long asking a manufacturer's OCSP responder may take (as fetching a
 * CRL, MP_CRL_FETCH_TIMEOUT_S), and the longest CRL or OCSP URL followed.
 */
#define MP_TRUST_ANCHOR_OCSP_TIMEOUT_S 5
#define MP_TRUST_ANCHOR_MAX_URL 512
/* The largest OCSP answer read from a manufacturer's responder. */
#define MP_TRUST_ANCHOR_MAX_OCSP 65536

/*
 * Parsed anchor certificates that one thread (a frontend worker) keeps across
 * calls of mp_trust_anchor_verify, found by their DER. The anchors are still
 * read from the database on every call, so an anchor deleted or replaced
 * stops counting at once; the cache only saves decoding a certificate again.
 * Not thread-safe. Holds the MP_ANCHOR_CACHE_SIZE certificates seen last.
 */
typedef struct mp_anchor_cache mp_anchor_cache;
#define MP_ANCHOR_CACHE_SIZE 32
/*
 * NULL on ENOMEM. Revocation is checked with the CRLs of crls, the process's
 * CRL cache shared by every worker (it must outlive this cache; NULL: every
 * CRL fetched or read anew).
 */
mp_anchor_cache *mp_anchor_cache_new(mp_crl_cache *crls);
/* c may be NULL. */
void mp_anchor_cache_free(mp_anchor_cache *c);

/*
 * Which trust anchors vouch for a device's manufacturer certificate leaf,
 * sent with the intermediates in chain (may be NULL): the anchors, of every
 * tenant, under which leaf verifies now (signatures, validity of every
 * certificate, CA constraints; an anchor need not be self-signed), as an
 * array of anchor rows (id, tenant_id, name, subject, policy, device_id) in
 * *out, at most one per tenant; device_id is the id of the tenant's device
 * whose serial is serial (read in the same statement as the anchors; null
 * when there is none or serial is NULL). Revocation is checked for every
 * certificate below the anchor: one the anchor issued against the CRL
 * uploaded with it when there is one (which must not be past its
 * nextUpdate; the anchors' statement reads only its SHA-256, and the CRL is
 * read by the anchor's id when the CRL cache lacks it), else where the
 * certificate publishes it: the CRL at its first http:// distribution point,
 * from the CRL cache, which fetches it when it lacks it or it is past its
 * nextUpdate (crl_cache.h: kept until its nextUpdate, at most 24 h; at most
 * MP_CRL_FETCH_TIMEOUT_S and MP_CRL_FETCH_MAX; a failed fetch remembered for
 * 30 s), must be the issuer's, signed by it and
 * current; a certificate without a CRL but with an http:// OCSP responder is
 * asked there (with a nonce; the answer signed by the issuer or its
 * delegate, current). Fail closed: MP_ERR_DENIED when a CRL or responder
 * says revoked, MP_ERR_UNSUPPORTED when revocation is published but cannot
 * be checked (nothing on http://, a CRL or answer that cannot be fetched or
 * does not check out, status unknown), MP_ERR_UNAUTHENTICATED when no anchor vouches for it,
 * MP_ERR_TOO_LARGE for a chain over MP_TRUST_ANCHOR_MAX_CHAIN; *why (may be
 * NULL) gets a static sentence on each. The anchors' certificates and the
 * CRLs come through cache (may be NULL: each is parsed, fetched or read anew).
 */
int mp_trust_anchor_verify(mp_db *db, mp_anchor_cache *cache, X509 *leaf, STACK_OF(X509) *chain,
    const char *serial, json_t **out, const char **why);

/* The largest CRL taken with a trust anchor (DER). */
#define MP_TRUST_ANCHOR_MAX_CRL (4 * 1024 * 1024)

/*
 * Adds or replaces the CRL (DER) uploaded with anchor id (in tenant_id;
 * NULL: any tenant). It must be exactly one CRL, issued by the anchor
 * (issuer name) and signed by its key, with a thisUpdate not in the future
 * (5 minutes of skew) and not before the stored CRL's, and a nextUpdate
 * still to come. Audited as trust_anchor.crl with this_update, next_update and
 * revoked. MP_ERR_INVALID (not a CRL), MP_ERR_POLICY (not the anchor's, or
 * its times), MP_ERR_CONFLICT (older than the stored one),
 * MP_ERR_NOT_FOUND; *why (may be NULL) gets a static sentence on those.
 * *out (may be NULL) gets the anchor.
 */
int mp_trust_anchor_set_crl(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id, const uint8_t *der, size_t len, json_t **out, const char **why);

/*
 * Removes the CRL uploaded with anchor id (in tenant_id; NULL: any
 * tenant); audited as trust_anchor.crl_delete. MP_ERR_NOT_FOUND when there
 * is no such anchor or it has no CRL.
 */
int mp_trust_anchor_delete_crl(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id);

/*
 * Deletes the anchor id (in tenant_id; NULL: any tenant); audited as
 * trust_anchor.delete with its name and subject. MP_ERR_NOT_FOUND for no such anchor.
 */
int mp_trust_anchor_delete(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *id);

#endif
