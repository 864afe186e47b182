#include "est.h"

#include "enroll.h"
#include "info.h"
#include "label.h"
#include "reenroll.h"

const mp_http_route est_routes[] = {
	{ "GET", EST_PREFIX "/cacerts", est_cacerts },
	{ "GET", EST_PREFIX "/csrattrs", est_csrattrs },
	{ "POST", EST_PREFIX "/simpleenroll", est_simpleenroll },
	{ "POST", EST_PREFIX "/simplereenroll", est_simplereenroll },
	{ "POST", EST_PREFIX "/serverkeygen", est_serverkeygen },
	{ "POST", EST_PREFIX "/fullcmc", est_fullcmc },
	{ "GET", EST_PREFIX "/*", est_labelled },
	{ "POST", EST_PREFIX "/*", est_labelled },
};

const size_t est_routes_count = sizeof(est_routes) / sizeof(est_routes[0]);
