/*
 * The FDO listener (FDO 1.1 over HTTP: POST /fdo/101/msg/{type},
 * application/cbor): the manufacturer role's Device Initialize, messages 10
 * to 13, the rendezvous server's TO0 (20 to 23) and TO1 (30 to 33), and
 * owner onboarding, TO2 (60 to 71) (docs/fdo.md). Every refusal is the FDO error message (type 255) naming
 * the reason.
 */
#ifndef FDO_WIRE_H
#define FDO_WIRE_H

#include <stddef.h>

#include "http.h"

/* The largest message body the listener takes. */
#define FDO_MAX_BODY (64 * 1024)

extern const mp_http_route fdo_routes[];
extern const size_t fdo_routes_count;

#endif
