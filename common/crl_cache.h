/*
 * The process-wide cache of parsed and verified CRLs that revocation checks
 * of manufacturer certificates read (trust_anchors.h), shared by every
 * frontend worker. Thread-safe: one mutex, held only to find, add or drop an
 * entry, never while a CRL is fetched, read, parsed, verified or freed.
 *
 * Two kinds of entry:
 * - A CRL fetched from a certificate's http:// distribution point
 *   (mp_crl_cache_fetch), found by the URL and the issuer certificate it was
 *   verified against (SHA-256 of its DER). Kept until its nextUpdate, and at
 *   most keep_ms after the fetch; then the next lookup fetches it again.
 *   After keep_ms, while it still counts, other lookups use the one kept
 *   during that fetch, and when the fetch fails the one kept still counts
 *   until its nextUpdate (fetched again after fail_ms). One fetch per URL and
 *   issuer at a time: other lookups of a CRL that is not kept wait for that
 *   fetch (at most the fetch timeout and 5 s more, then they fail). A fetch
 *   that fails, or a CRL that does not check out, is remembered for fail_ms:
 *   lookups in that time fail at once, without a fetch.
 * - A CRL uploaded with a trust anchor (mp_crl_cache_uploaded), found by the
 *   anchor's id and the SHA-256 of the CRL's DER, so a replaced CRL is
 *   another entry; read through the caller's loader on a miss. Kept until
 *   evicted; refused past its nextUpdate.
 *
 * Every CRL is checked once, when it enters: exactly one DER CRL, its issuer
 * the issuer certificate's subject, its signature verified with that
 * certificate's key, a nextUpdate (a fetched one: thisUpdate past and
 * nextUpdate to come). Its revoked entries are sorted then, before any other
 * thread sees it, so X509_CRL_get0_by_cert on a cached CRL only bisects and
 * never takes the CRL's lock (OpenSSL sorts on the first lookup, under a
 * write lock, when nobody did).
 *
 * Bounds: at most max_entries entries and max_bytes bytes of CRL DER in all;
 * the least recently used entry goes first. A parsed CRL takes about six
 * times its DER in memory (OpenSSL 3.0: a CRL of 100,000 entries with 16-byte
 * serials is 3.5 MB of DER and 21 MB parsed; tests/bench/crl_cache.sh), so
 * the default 32 MiB of DER is at most about 200 MB.
 */
#ifndef MP_CRL_CACHE_H
#define MP_CRL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "metrics.h"

#define MP_CRL_CACHE_ENTRIES 128
#define MP_CRL_CACHE_BYTES (32 * 1024 * 1024)
/* The longest a fetched CRL is kept before it is fetched again (24 h). */
#define MP_CRL_CACHE_KEEP_MS (24 * 3600 * 1000ULL)
/* How long a failed fetch is remembered (30 s). */
#define MP_CRL_CACHE_FAIL_MS (30 * 1000ULL)
/* How long one fetch may take, and the largest CRL fetched (DER). */
#define MP_CRL_FETCH_TIMEOUT_S 5
#define MP_CRL_FETCH_MAX (16 * 1024 * 1024)

typedef struct mp_crl_cache_limits {
	size_t max_entries;
	size_t max_bytes;
	uint64_t keep_ms;
	uint64_t fail_ms;
} mp_crl_cache_limits;

typedef struct mp_crl_cache mp_crl_cache;

/*
 * A new, empty cache with limits (NULL: the defaults above). Counts in
 * metrics (may be NULL) midpki_crl_cache_hits_total,
 * midpki_crl_cache_misses_total (a fetch or read started) and
 * midpki_crl_fetch_failures_total (a fetch that failed or whose CRL did not
 * check out). NULL on ENOMEM.
 */
mp_crl_cache *mp_crl_cache_new(const mp_crl_cache_limits *limits, mp_metrics *metrics);
/* c may be NULL. No lookup may be running. */
void mp_crl_cache_free(mp_crl_cache *c);

/*
 * The CRL at url (http://) for the certificates issuer issued: MP_OK and a
 * new reference in *out, current (nextUpdate to come). MP_ERR_UNSUPPORTED
 * when it cannot be fetched (at most MP_CRL_FETCH_TIMEOUT_S and
 * MP_CRL_FETCH_MAX), does not check out, or did either within fail_ms.
 * c NULL: fetched and checked now, not kept.
 */
int mp_crl_cache_fetch(mp_crl_cache *c, const char *url, X509 *issuer, X509_CRL **out);

/*
 * Reads the DER of the CRL uploaded with the anchor of id whose SHA-256 is
 * sha256 (hex) into *der (malloc'd) and *len; MP_ERR_NOT_FOUND when the
 * anchor no longer has that CRL.
 */
typedef int (*mp_crl_loader)(void *arg, const char *id, const char *sha256, uint8_t **der,
    size_t *len);

/*
 * The CRL uploaded with the trust anchor of id (certificate anchor) whose
 * DER has SHA-256 sha256 (lower-case hex), read with load(arg, ...) when
 * not cached: MP_OK and a new reference in *out; MP_ERR_EXPIRED when it is
 * past its nextUpdate; MP_ERR_INTEGRITY when what load gave does not check
 * out; load's errors. c NULL: read and checked now, not kept.
 */
int mp_crl_cache_uploaded(mp_crl_cache *c, const char *id, const char *sha256, X509 *anchor,
    mp_crl_loader load, void *arg, X509_CRL **out);

#endif
