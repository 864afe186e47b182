/*
 * The per-thread context every frontend handler runs with: its own database
 * connection, and the process-wide key store, configuration and CRL cache
 * (thread-safe or immutable, shared by every worker). The HTTP server creates one per worker thread through
 * mp_worker_init() and hands it to handlers (mp_http_req_worker()).
 */
#ifndef MP_WORKER_H
#define MP_WORKER_H

#include <stdint.h>

#include "db.h"
#include "metrics.h"

typedef struct mp_worker_setup {
	const char *conninfo;
	uint64_t connect_timeout_ms;
	mp_metrics *metrics;
	struct mp_keystore *keystore;
	const struct mp_config *config;
	struct ca_shared *ca_shared;
	struct mp_crl_cache *crls;
} mp_worker_setup;

typedef struct mp_worker {
	mp_db *db;
	mp_metrics *metrics;
	struct mp_keystore *keystore;
	const struct mp_config *config;
	/* the X.509 issuer's process-wide state (ca/ca.h), opaque here */
	struct ca_shared *ca_shared;
	/* this thread's parsed trust anchors (trust_anchors.h) */
	struct mp_anchor_cache *anchors;
} mp_worker;

/* Worker hook: arg is a mp_worker_setup; creates *ctx as a mp_worker. */
int mp_worker_init(void *arg, void **ctx);
/* Worker hook: closes the connection and frees the context. */
void mp_worker_fini(void *ctx);

#endif
