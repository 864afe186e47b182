/* The admin listener's route table. */
#ifndef ADMIN_ROUTES_H
#define ADMIN_ROUTES_H

#include <stddef.h>

#include "http.h"

extern const mp_http_route admin_routes[];
extern const size_t admin_routes_count;

#endif
