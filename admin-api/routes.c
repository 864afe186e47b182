#include "routes.h"

#include "api.h"
#include "health.h"
#include "resources.h"

const mp_http_route admin_routes[] = {
	{ "GET", "/healthz", admin_healthz },
	{ "GET", "/readyz", admin_readyz },
	{ "GET", "/metrics", admin_metrics },
	{ "GET", API_PREFIX "/*", api_dispatch },
	{ "POST", API_PREFIX "/*", api_dispatch },
	{ "PATCH", API_PREFIX "/*", api_dispatch },
	{ "DELETE", API_PREFIX "/*", api_dispatch },
};

const size_t admin_routes_count = sizeof(admin_routes) / sizeof(admin_routes[0]);

#define PA MP_ROLE_PLATFORM_ADMIN
#define TA MP_ROLE_TENANT_ADMIN
#define OP MP_ROLE_OPERATOR
#define AU MP_ROLE_AUDITOR

/*
 * Every admin API route and the roles that may call it. docs/openapi.json
 * lists the same routes (x-roles), and a test holds the two together.
 */
const api_route api_routes[] = {
	{ "POST", "/tenants", PA, api_tenant_create },
	{ "GET", "/tenants", PA | TA | OP | AU, api_tenant_list },
	{ "GET", "/tenants/{id}", PA | TA | OP | AU, api_tenant_get },
	{ "POST", "/users", PA | TA, api_user_create },
	{ "GET", "/users", PA | TA | AU, api_user_list },
	{ "GET", "/users/{id}", PA | TA | AU, api_user_get },
	{ "PATCH", "/users/{id}", PA | TA, api_user_update },
	{ "DELETE", "/users/{id}", PA | TA, api_user_delete },
	{ "POST", "/users/{id}/api-keys", PA | TA, api_apikey_create },
	{ "GET", "/users/{id}/api-keys", PA | TA | AU, api_apikey_list },
	{ "DELETE", "/users/{id}/api-keys/{kid}", PA | TA, api_apikey_revoke },
	{ "POST", "/trust-anchors", PA | TA, api_anchor_create },
	{ "GET", "/trust-anchors", PA | TA | OP | AU, api_anchor_list },
	{ "GET", "/trust-anchors/{id}", PA | TA | OP | AU, api_anchor_get },
	{ "DELETE", "/trust-anchors/{id}", PA | TA, api_anchor_delete },
	{ "GET", "/audit", PA | TA | AU, api_audit_list },
	{ "GET", "/audit/verify", PA | AU, api_audit_verify },
	{ "GET", "/openapi.json", API_ANONYMOUS, api_openapi },
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);
