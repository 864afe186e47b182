/*
 * The per-thread context every frontend handler runs with: its own database
 * connection. The HTTP server creates one per worker thread through
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
} mp_worker_setup;

typedef struct mp_worker {
	mp_db *db;
	mp_metrics *metrics;
} mp_worker;

/* Worker hook: arg is a mp_worker_setup; creates *ctx as a mp_worker. */
int mp_worker_init(void *arg, void **ctx);
/* Worker hook: closes the connection and frees the context. */
void mp_worker_fini(void *ctx);

#endif
