/*
 * The OCSP responder (RFC 6960, RFC 5019) on the OCSP listener:
 *   POST /  and  POST /ocsp        body: DER OCSPRequest, Content-Type
 *                                  application/ocsp-request
 *   GET /{base64}  and  GET /ocsp/{base64}   the request in the path
 *
 * A one-certificate request without a nonce is answered from memory, else
 * from the pre-signed response in ocsp_responses, else signed on request
 * with the CA's delegated signer; a request with a nonce or several CertIDs
 * gets one response signed on request (never cached). Answers are always
 * application/ocsp-response with HTTP 200, refusals included
 * (malformedRequest, unauthorized, tryLater, internalError); the only HTTP
 * errors are 413 (a body or path beyond OCSP_REQUEST_MAX_BYTES, refused
 * before parsing) and 415 (a POST without the OCSP content type).
 *
 * The responder runs one thread of its own, with its own connection, that
 * LISTENs on midpki_ocsp (the signer's "<ca id>:<serial hex>" items, or "*")
 * and midpki_crl (any revocation change) to keep the cache true, and reloads
 * the table of CAs every reload interval and on "*". docs/ocsp.md describes
 * it for operators.
 */
#ifndef OCSP_RESPONDER_H
#define OCSP_RESPONDER_H

#include <stdint.h>

#include <openssl/x509.h>

#include "db.h"
#include "http.h"
#include "keystore.h"
#include "metrics.h"

typedef struct ocsp_responder_config {
	const char *conninfo;         /* copied */
	uint64_t connect_timeout_ms;
	mp_keystore *ks;              /* must outlive the responder */
	mp_metrics *metrics;          /* may be NULL; must outlive the responder */
	uint64_t cache_bytes;         /* [ocsp] cache_bytes; 0 caches nothing */
	uint64_t max_age_s;           /* [ocsp] max_age: the most Cache-Control max-age says */
	uint64_t validity_s;          /* nextUpdate - thisUpdate of a known certificate's answer signed on request */
	uint64_t unknown_validity_s;  /* the same for an unknown serial; 0: one hour */
	uint64_t reload_ms;           /* how often the CA table is read again; 0: 60 s */
	/*
	 * Bundle mode (no database: conninfo and ks unused): the bundle file
	 * (bundle.h) to answer from, and what its CAs must chain to (kept by the
	 * responder, which frees it). The bundle is loaded again whenever a file
	 * is written or moved to bundle_path, and replaces the current one when
	 * it verifies and was made later.
	 */
	const char *bundle_path;
	X509_STORE *bundle_trust;
} ocsp_responder_config;

typedef struct ocsp_responder ocsp_responder;

/*
 * Loads the CA table (an empty one, retried by the thread, when the
 * database is unreachable) and starts the thread. MP_ERR_INVALID for a zero
 * validity_s; MP_ERR_NOMEM; MP_ERR_INTERNAL when the thread cannot start.
 * In bundle mode the bundle must load and verify: otherwise its error, the
 * reason logged.
 */
int ocsp_responder_start(const ocsp_responder_config *cfg, ocsp_responder **out);

/* Stops the thread and frees the responder (no request may be running). Accepts NULL. */
void ocsp_responder_stop(ocsp_responder *r);

/* The route handlers; arg is the responder. */
void ocsp_responder_post(mp_http_req *req, void *arg);
void ocsp_responder_get(mp_http_req *req, void *arg);

/*
 * The response a client asking about cert (issued by issuer) by a SHA-1
 * CertID without a nonce gets — what a TLS server staples — in a new buffer
 * (OPENSSL_free it), with its nextUpdate. db is the caller's connection.
 * MP_ERR_NOT_FOUND when the responder does not serve issuer.
 */
int ocsp_responder_answer_cert(ocsp_responder *r, mp_db *db, X509 *cert, X509 *issuer,
    uint8_t **der, size_t *len, int64_t *next_update);

/* In bundle mode a reference to the bundle served now (ocsp_bundle_unref it), else NULL. */
struct ocsp_bundle *ocsp_responder_bundle(ocsp_responder *r);

/* What the responder has done since it started (for tests and metrics). */
typedef struct ocsp_responder_stats {
	uint64_t good, revoked, unknown;          /* CertIDs answered, by status */
	uint64_t malformed, unauthorized, try_later, internal_error; /* refusals */
	uint64_t cache_hits, cache_misses;        /* one-certificate requests without nonce */
	uint64_t signed_fresh;                    /* responses signed on request */
	uint64_t cache_bytes, cache_entries;      /* held now */
	uint64_t cas;                             /* CAs in the current table */
	uint64_t reloads;                         /* CA tables loaded */
	uint64_t notifications;                   /* midpki_ocsp and midpki_crl payloads handled */
} ocsp_responder_stats;

void ocsp_responder_stats_get(ocsp_responder *r, ocsp_responder_stats *out);

#endif
