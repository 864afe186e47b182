/*
 * The LoRaWAN listener's frontend: the Join Server answering Backend
 * Interfaces requests (`POST /`, JSON, a bearer token from POST
 * /api/v1/lorawan/peers): JoinReq and HomeNSReq from network servers,
 * AppSKeyReq from application servers. Every answer, refusals included, is HTTP 200
 * with a full answer message whose Result.ResultCode says what happened.
 */
#ifndef LW_JOINSERVER_H
#define LW_JOINSERVER_H

#include <stddef.h>

#include "http.h"

extern const mp_http_route lw_routes[];
extern const size_t lw_routes_count;

#endif
