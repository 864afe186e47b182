#include "routes.h"

#include "health.h"

const mp_http_route admin_routes[] = {
	{ "GET", "/healthz", admin_healthz },
	{ "GET", "/readyz", admin_readyz },
	{ "GET", "/metrics", admin_metrics },
};

const size_t admin_routes_count = sizeof(admin_routes) / sizeof(admin_routes[0]);
