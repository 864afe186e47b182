/*
 * The routes of the EST listener ([est] listen, TLS), for mp_http_listen
 * (arg unused: handlers run with their worker's context).
 */
#ifndef EST_EST_H
#define EST_EST_H

#include <stddef.h>

#include "http.h"

#define EST_PREFIX "/.well-known/est"

extern const mp_http_route est_routes[];
extern const size_t est_routes_count;

#endif
