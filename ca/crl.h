/*
 * CRL generation in the database and the reads that serve CRLs and CA
 * certificates over HTTP.
 *
 * Each CA we hold a key for has at most one current full and one current
 * delta CRL (the crls table). Generation runs in one transaction under the
 * CA row's FOR UPDATE lock, which every revocation change takes FOR SHARE
 * before it stamps certificates.status_changed_at, so a CRL and the changes
 * it covers are strictly ordered. Full and delta CRLs share one CRL number
 * sequence (cas.crl_number, RFC 5280 5.2.3); a delta names the latest full
 * CRL as its base (cas.base_crl_number) and lists every certificate whose
 * status changed after that base was made (cas.base_crl_at).
 */
#ifndef CA_CRL_H
#define CA_CRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ca.h"
#include "db.h"

/*
 * Makes and stores the next full (delta false) or delta CRL of CA ca_id,
 * valid for validity_s seconds from now, signed with the CA's key. A full CRL
 * lists every revoked or held certificate of the CA that has not expired and,
 * when env->public_url is set, points to the delta CRL (Freshest CRL). A delta
 * lists the certificates whose status changed since the base was made:
 * revoked or held ones with their reason, resumed ones as removeFromCRL.
 * *out: {"ca_id", "delta", "crl_number", "base_crl_number" (null for a full
 * CRL), "this_update", "next_update" (RFC 3339), "entries"}.
 * MP_ERR_NOT_FOUND for an unknown CA (or a malformed id), MP_ERR_UNSUPPORTED
 * for a CA we only trust (no key), MP_ERR_CONFLICT for a delta before any
 * full CRL, MP_ERR_INVALID for validity_s < 1.
 */
int ca_crl_generate(const ca_env *env, const char *ca_id, bool delta, int64_t validity_s,
    json_t **out);

/*
 * The current full or delta CRL of ca_id as stored: DER (free() it) and its
 * thisUpdate and nextUpdate in Unix seconds. MP_ERR_NOT_FOUND when there is
 * none or ca_id is not a CA id.
 */
int ca_crl_fetch(mp_db *db, const char *ca_id, bool delta, uint8_t **der, size_t *len,
    int64_t *this_update, int64_t *next_update);

/* The certificate of CA ca_id, DER (free() it), for AIA caIssuers. MP_ERR_NOT_FOUND as above. */
int ca_cert_der_fetch(mp_db *db, const char *ca_id, uint8_t **der, size_t *len);

#endif
