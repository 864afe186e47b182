#include "listener.h"

#include "crl_http.h"

const mp_http_route ocsp_routes[] = {
	{ "GET", "/crl/*", ocsp_crl_get },
	{ "GET", "/ca/*", ocsp_ca_cert_get },
};

const size_t ocsp_routes_count = sizeof(ocsp_routes) / sizeof(ocsp_routes[0]);
