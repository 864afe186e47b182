#include "listener.h"

#include "crl_http.h"
#include "responder.h"
#include "ssh_krl_http.h"

const mp_http_route ocsp_routes[] = {
	{ "GET", "/crl/*", ocsp_crl_get },
	{ "GET", "/ca/*", ocsp_ca_cert_get },
	{ "GET", "/ssh/krl/*", ocsp_ssh_krl_get },
	{ "POST", "/", ocsp_responder_post },
	{ "POST", "/ocsp", ocsp_responder_post },
	/* after the routes above: GET /{base64} and GET /ocsp/{base64} */
	{ "GET", "/*", ocsp_responder_get },
};

const size_t ocsp_routes_count = sizeof(ocsp_routes) / sizeof(ocsp_routes[0]);
