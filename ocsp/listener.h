/*
 * The routes of the OCSP listener ([ocsp] listen, plain HTTP), for
 * mp_http_listen, whose arg must be the ocsp_responder (responder.h).
 */
#ifndef OCSP_LISTENER_H
#define OCSP_LISTENER_H

#include <stddef.h>

#include "http.h"

extern const mp_http_route ocsp_routes[];
extern const size_t ocsp_routes_count;

#endif
