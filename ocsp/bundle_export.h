/*
 * `midpki ocsp export`: an OCSP bundle (bundle.h) of the current pre-signed
 * responses, CRLs and certificates of a set of CAs, read from the database.
 */
#ifndef OCSP_BUNDLE_EXPORT_H
#define OCSP_BUNDLE_EXPORT_H

#include <stddef.h>

#include "db.h"
#include "keystore.h"

typedef struct ocsp_bundle_export_stats {
	size_t cas;
	size_t responses;  /* written */
	size_t missing;    /* unexpired certificates without a current response: answered unauthorized */
} ocsp_bundle_export_stats;

/*
 * The ids of the CAs (role 'ca': those we sign for) that tenant (id or name;
 * NULL: any) and names (ids or names, n of them; none: every CA of tenant)
 * select, in a new array of n or more strings (free each, then the array),
 * count in *count. MP_ERR_NOT_FOUND / MP_ERR_CONFLICT (ambiguous name) with
 * err saying which.
 */
int ocsp_bundle_select_cas(mp_db *db, const char *tenant, const char *const *names, size_t n,
    char ***ids, size_t *count, char *err, size_t errsz);

/*
 * Writes the bundle of the n CAs ids to path: for each CA its certificate,
 * its valid OCSP signers (the newest signs the bundle with its key from ks),
 * its current full and delta CRLs, and every pre-signed response that is
 * still current (more than a minute before its nextUpdate, signed after the
 * certificate's last status change). MP_ERR_NOT_FOUND (err says which) for a
 * CA without a valid signer; MP_ERR_IO when the file cannot be written.
 */
int ocsp_bundle_export(mp_db *db, mp_keystore *ks, const char *const *ids, size_t n,
    const char *path, ocsp_bundle_export_stats *st, char *err, size_t errsz);

#endif
