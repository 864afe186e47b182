/*
 * What the EST server tells before enrollment: /cacerts (the CA chain the
 * device should trust) and /csrattrs (what its request should hold), both for
 * the profile [est] profile names, and /fullcmc, which we do not serve.
 */
#ifndef EST_INFO_H
#define EST_INFO_H

#include "http.h"

void est_cacerts(mp_http_req *req, void *arg);
void est_csrattrs(mp_http_req *req, void *arg);
void est_fullcmc(mp_http_req *req, void *arg);

#endif
