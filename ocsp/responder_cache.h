/*
 * The responder's cache of one-certificate responses: for (CA, serial,
 * CertID hash algorithm) the signed core, the signer that signed it (whose
 * certificate is appended when served), the status it states and its
 * times. Bounded by bytes (entries and cores counted; signers are shared),
 * evicted by CLOCK (second chance) per shard, with a lock per shard, for the
 * HTTP worker threads.
 *
 * Invalidation: entries of one certificate (every hash algorithm) or all of
 * them are dropped on notification; entries signed on request ("fresh", not
 * pre-signed) are also dropped wholesale when any revocation changes
 * (ocsp_cache_fresh_stale), because no signer notifies for them. A fill
 * carries the invalidation epoch read before its database read and is
 * refused when any invalidation came in between, so a notification is never
 * lost to a fill racing it.
 */
#ifndef OCSP_RESPONDER_CACHE_H
#define OCSP_RESPONDER_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "responder_cas.h"
#include "response.h"

typedef struct ocsp_cache ocsp_cache;

/* Serial without its sign octet, as certificates.serial holds it. */
typedef struct ocsp_cache_key {
	uint8_t ca[16];
	uint8_t serial[20];
	uint8_t serial_len; /* 1..20 */
	uint8_t hash;       /* ocsp_hash */
} ocsp_cache_key;

typedef struct ocsp_cache_val {
	ocsp_cert_status status;
	int reason;          /* OCSP_REVOKED: CRLReason or -1 */
	int64_t revoked_at;  /* OCSP_REVOKED */
	int64_t this_update, next_update;
	int64_t until;       /* not served from the cache from then on */
	uint64_t tag;        /* the first 64 bits of the core's SHA-1: the ETag */
	bool fresh;          /* signed on request */
} ocsp_cache_val;

/* A cache of at most max_bytes (0: caches nothing). NULL on ENOMEM. */
ocsp_cache *ocsp_cache_new(uint64_t max_bytes);
/* Frees every entry; c may be NULL. No other call may run. */
void ocsp_cache_free(ocsp_cache *c);

/* The invalidation epoch, to read before the database read that a fill follows. */
uint64_t ocsp_cache_epoch(ocsp_cache *c);

/*
 * A hit (MP_OK) sets *val and, when out is not NULL, assembles the whole
 * OCSPResponse (core and signer certificate) into out (cap bytes) with its
 * length in *len. MP_ERR_NOT_FOUND when absent, at or past val.until at now,
 * or fresh and stale; MP_ERR_TOO_LARGE when out is too small.
 */
int ocsp_cache_get(ocsp_cache *c, const ocsp_cache_key *k, int64_t now, uint8_t *out,
    size_t cap, size_t *len, ocsp_cache_val *val);

/*
 * Stores (a copy of) core with a reference to signer, replacing an entry of
 * the same key, unless an invalidation came after epoch or the entry alone
 * exceeds the shard's share of the bound. Evicts as needed. MP_ERR_NOMEM
 * when allocation fails; MP_OK otherwise (also when not stored).
 */
int ocsp_cache_put(ocsp_cache *c, const ocsp_cache_key *k, const uint8_t *core, size_t core_len,
    ocsp_signer *signer, const ocsp_cache_val *val, uint64_t epoch);

/* Drops the entries of one certificate (serial without sign octet), every hash algorithm. */
void ocsp_cache_drop(ocsp_cache *c, const uint8_t ca[16], const uint8_t *serial,
    size_t serial_len);
/* Drops every entry. */
void ocsp_cache_drop_all(ocsp_cache *c);
/* Makes every fresh entry stale (a revocation changed somewhere). */
void ocsp_cache_fresh_stale(ocsp_cache *c);

/* Bytes and entries held now. */
void ocsp_cache_usage(ocsp_cache *c, uint64_t *bytes, uint64_t *entries);

/* The ETag tag of a core (the first 64 bits of its SHA-1). MP_ERR_CRYPTO when OpenSSL fails. */
int ocsp_core_tag(const uint8_t *core, size_t core_len, uint64_t *tag);

#endif
