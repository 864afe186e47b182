/* What the responder's handler (responder.c) and its thread (responder_watch.c) share. */
#ifndef OCSP_RESPONDER_PRIV_H
#define OCSP_RESPONDER_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "db.h"
#include "responder.h"
#include "responder_cache.h"
#include "responder_cas.h"

/* RFC 5019 6.2 caching of an answer, for its max-age in seconds */
#define CACHE_CONTROL_FORMAT "max-age=%lld, public, no-transform, must-revalidate"

/* What the responder counts: in the metrics registry when there is one, else in local. */
enum ocsp_count {
	OC_GOOD, OC_REVOKED, OC_UNKNOWN,
	OC_MALFORMED, OC_UNAUTHORIZED, OC_TRY_LATER, OC_INTERNAL_ERROR,
	OC_CACHE_HIT, OC_CACHE_MISS, OC_SIGNED, OC_RELOADS, OC_NOTIFICATIONS,
	OC_N
};

struct ocsp_responder {
	char *conninfo;
	uint64_t connect_timeout_ms;
	uint64_t reload_ms;
	mp_keystore *ks;
	int64_t max_age_s, validity_s, unknown_validity_s;
	char cache_control[64];        /* CACHE_CONTROL_FORMAT with max_age_s, made once */
	ocsp_cache *cache;
	atomic_uint_fast64_t local[OC_N];
	atomic_uint_fast64_t *n[OC_N];

	/* bundle mode: the file and the anchors its CAs chain to */
	char *bundle_path;
	X509_STORE *bundle_trust;

	pthread_mutex_t table_lock; /* held only to swap or take a reference to table */
	ocsp_ca_table *table;

	/* the thread (responder_watch.c) */
	pthread_t thread;
	int wake[2];
	atomic_bool stopping;
	mp_db *db;
	bool listening;
	bool db_down_logged;
	uint64_t retry_ms;
	uint64_t next_reload_ms;
};

/* Counts one event. */
void responder_count(ocsp_responder *r, enum ocsp_count c);

/* A reference to the current CA table (ocsp_ca_table_unref it). */
ocsp_ca_table *responder_table(ocsp_responder *r);
/* Makes t (whose reference is taken over) the current table. */
void responder_table_set(ocsp_responder *r, ocsp_ca_table *t);

/*
 * Starts the thread (r->wake must be open): the database watcher, or in
 * bundle mode responder_bundle_run. MP_ERR_INTERNAL when it cannot.
 */
int responder_watch_start(ocsp_responder *r);
/* The bundle-mode thread (bundle_watch.c): loads the bundle again when its file changes. */
void *responder_bundle_run(void *arg);
/*
 * Loads r->bundle_path and makes it current when it verifies and is newer
 * than the current bundle (any bundle when there is none). MP_OK also when
 * it is not newer; the load's error otherwise, logged.
 */
int responder_bundle_reload(ocsp_responder *r);
/* Wakes the thread and joins it. */
void responder_watch_stop(ocsp_responder *r);

/*
 * Applies one midpki_ocsp payload to cache: "*" drops every entry (and
 * returns true: the CA table must be read again), otherwise each
 * space-separated "<ca id>:<serial hex>" item drops that certificate's
 * entries; malformed items are skipped.
 */
bool responder_apply_payload(ocsp_cache *cache, const char *payload);

#endif
