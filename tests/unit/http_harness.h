/*
 * A real HTTP server for unit tests: built by the test, run on its own thread
 * on a free loopback port, stopped and freed here.
 */
#ifndef MP_TEST_HTTP_HARNESS_H
#define MP_TEST_HTTP_HARNESS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "http.h"
#include "metrics.h"

struct http_harness {
	mp_config *cfg;
	mp_metrics *metrics;   /* may stay NULL */
	mp_http_server *srv;
	pthread_t thread;
	int run_rc;            /* what mp_http_server_run() returned */
	uint16_t port;         /* free when hh_init() chose it */
};

/* A loopback TCP port that was free a moment ago. */
uint16_t hh_free_port(void);

/*
 * Zeroes h, sets h->cfg to the defaults with two workers and h->port to a
 * free port, and writes "127.0.0.1:<port>" to addr for mp_http_listen().
 */
void hh_init(struct http_harness *h, char *addr, size_t addrsz);

/* Creates h->srv from h->cfg and h->metrics. */
void hh_new_server(struct http_harness *h);

/* Runs the server on a new thread. */
void hh_run(struct http_harness *h);

/* Joins the server thread and asserts that the run returned MP_OK. */
void hh_join(struct http_harness *h);

/* Frees the server, the metrics and the configuration. */
void hh_free(struct http_harness *h);

/* Stops a running server: mp_http_server_stop(), hh_join(), hh_free(). */
void hh_stop(struct http_harness *h);

#endif
