/* Liveness, readiness and Prometheus metrics on the admin listener. */
#ifndef ADMIN_HEALTH_H
#define ADMIN_HEALTH_H

#include "http.h"

/* GET /healthz: 200 while the process serves. */
void admin_healthz(mp_http_req *req, void *arg);
/* GET /readyz: 200 when this worker's database connection answers, else 503. */
void admin_readyz(mp_http_req *req, void *arg);
/* GET /metrics: Prometheus text format; arg is the server's mp_metrics. */
void admin_metrics(mp_http_req *req, void *arg);

#endif
