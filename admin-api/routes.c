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
#define TE MP_ROLE_TECHNICIAN

/*
 * Every admin API route and the roles that may call it. docs/openapi.json
 * lists the same routes (x-roles), and a test holds the two together.
 */
const api_route api_routes[] = {
	{ "POST", "/tenants", PA, api_tenant_create, NULL },
	{ "GET", "/tenants", PA | TA | OP | AU, api_tenant_list, NULL },
	{ "GET", "/tenants/{id}", PA | TA | OP | AU, api_tenant_get, NULL },
	{ "POST", "/users", PA | TA, api_user_create, NULL },
	{ "GET", "/users", PA | TA | AU, api_user_list, NULL },
	{ "GET", "/users/{id}", PA | TA | AU, api_user_get, NULL },
	{ "POST", "/users/{id}/api-keys", PA | TA, api_apikey_create, "key" },
	{ "POST", "/devices", PA | TA | OP, api_device_create, NULL },
	{ "GET", "/devices", PA | TA | OP | AU, api_device_list, NULL },
	{ "POST", "/devices:import", PA | TA | OP, api_device_import, NULL },
	{ "GET", "/devices/{id}", PA | TA | OP | AU, api_device_get, NULL },
	{ "PATCH", "/devices/{id}", PA | TA | OP, api_device_patch, NULL },
	{ "POST", "/devices/{id}/enrollment-tokens", PA | TA | OP, api_enroll_token_create,
	    "token" },
	{ "GET", "/devices/{id}/enrollment-tokens", PA | TA | OP | AU, api_enroll_token_list,
	    NULL },
	{ "DELETE", "/devices/{id}/enrollment-tokens/{tid}", PA | TA | OP,
	    api_enroll_token_revoke, NULL },
	{ "PATCH", "/users/{id}", PA | TA, api_user_update, NULL },
	{ "DELETE", "/users/{id}", PA | TA, api_user_delete, NULL },
	{ "GET", "/users/{id}/api-keys", PA | TA | AU, api_apikey_list, NULL },
	{ "DELETE", "/users/{id}/api-keys/{kid}", PA | TA, api_apikey_revoke, NULL },
	{ "POST", "/trust-anchors", PA | TA, api_anchor_create, NULL },
	{ "GET", "/trust-anchors", PA | TA | OP | AU, api_anchor_list, NULL },
	{ "GET", "/trust-anchors/{id}", PA | TA | OP | AU, api_anchor_get, NULL },
	{ "DELETE", "/trust-anchors/{id}", PA | TA, api_anchor_delete, NULL },
	{ "POST", "/trust-anchors/{id}/crl", PA | TA, api_anchor_set_crl, NULL },
	{ "DELETE", "/trust-anchors/{id}/crl", PA | TA, api_anchor_delete_crl, NULL },
	{ "POST", "/est/labels", PA | TA, api_est_label_create, NULL },
	{ "GET", "/est/labels", PA | TA | OP | AU, api_est_label_list, NULL },
	{ "GET", "/est/labels/{id}", PA | TA | OP | AU, api_est_label_get, NULL },
	{ "PATCH", "/est/labels/{id}", PA | TA, api_est_label_update, NULL },
	{ "DELETE", "/est/labels/{id}", PA | TA, api_est_label_delete, NULL },
	{ "GET", "/audit", PA | TA | AU, api_audit_list, NULL },
	{ "GET", "/audit/verify", PA | AU, api_audit_verify, NULL },
	{ "GET", "/openapi.json", API_ANONYMOUS, api_openapi, NULL },
	{ "GET", "/cas", PA | TA | OP | AU, api_ca_list, NULL },
	{ "POST", "/cas", PA | TA, api_ca_create, NULL },
	{ "POST", "/cas/import", PA | TA, api_ca_import, NULL },
	{ "GET", "/cas/{id}", PA | TA | OP | AU, api_ca_get, NULL },
	{ "GET", "/cas/{id}/chain", PA | TA | OP | AU, api_ca_chain, NULL },
	{ "POST", "/cas/{id}/retire", PA | TA, api_ca_retire, NULL },
	{ "GET", "/profiles", PA | TA | OP | AU, api_profile_list, NULL },
	{ "POST", "/profiles", PA | TA, api_profile_create, NULL },
	{ "GET", "/profiles/{id}", PA | TA | OP | AU, api_profile_get, NULL },
	{ "PATCH", "/profiles/{id}", PA | TA, api_profile_update, NULL },
	{ "DELETE", "/profiles/{id}", PA | TA, api_profile_delete, NULL },
	{ "POST", "/certificates", PA | TA | OP, api_cert_issue, NULL },
	{ "GET", "/certificates", PA | TA | OP | AU, api_cert_list, NULL },
	{ "GET", "/certificates/{id}", PA | TA | OP | AU, api_cert_get, NULL },
	{ "POST", "/certificates/{id}/revoke", PA | TA | OP, api_cert_revoke, NULL },
	{ "POST", "/certificates/{id}/suspend", PA | TA | OP, api_cert_suspend, NULL },
	{ "POST", "/certificates/{id}/resume", PA | TA | OP, api_cert_resume, NULL },
	{ "GET", "/ssh/cas", PA | TA | OP | AU, api_ssh_ca_list, NULL },
	{ "POST", "/ssh/cas", PA | TA, api_ssh_ca_create, NULL },
	{ "GET", "/ssh/cas/{id}", PA | TA | OP | AU, api_ssh_ca_get, NULL },
	{ "POST", "/ssh/cas/{id}/keys", PA | TA, api_ssh_ca_add_key, NULL },
	{ "POST", "/ssh/cas/{id}/keys/{kid}/retire", PA | TA, api_ssh_ca_retire_key, NULL },
	{ "GET", "/ssh/cas/{id}/public-key", API_ROLES_ALL, api_ssh_ca_public_key, NULL },
	{ "GET", "/ssh/cas/{id}/krl", API_ROLES_ALL, api_ssh_ca_krl, NULL },
	{ "POST", "/ssh/cas/{id}/revocations", PA | TA | OP, api_ssh_ca_revoke, NULL },
	{ "GET", "/ssh/cas/{id}/revocations", PA | TA | OP | AU, api_ssh_ca_revocation_list,
	    NULL },
	{ "POST", "/ssh/user-certificates", PA | TA | OP | TE, api_ssh_user_cert_issue, NULL },
	{ "POST", "/ssh/host-certificates", PA | TA | OP, api_ssh_host_cert_issue, NULL },
	{ "POST", "/ssh/device-host-certificates", API_DEVICE, api_ssh_device_host_cert_issue,
	    NULL },
	{ "GET", "/ssh/certificates", API_ROLES_ALL, api_ssh_cert_list, NULL },
	{ "GET", "/ssh/certificates/{id}", API_ROLES_ALL, api_ssh_cert_get, NULL },
	{ "POST", "/ssh/certificates/{id}/revoke", PA | TA | OP, api_ssh_cert_revoke, NULL },
	{ "GET", "/requests", PA | TA | OP | AU, api_request_list, NULL },
	{ "GET", "/requests/{id}", PA | TA | OP | AU, api_request_get, NULL },
	{ "POST", "/requests/{id}/approve", PA | TA | OP, api_request_approve, NULL },
	{ "POST", "/requests/{id}/reject", PA | TA | OP, api_request_reject, NULL },
	{ "POST", "/fdo/keys", PA | TA, api_fdo_key_create, NULL },
	{ "GET", "/fdo/keys", PA | TA | OP | AU, api_fdo_key_list, NULL },
	{ "POST", "/fdo/vouchers", PA | TA | OP, api_fdo_voucher_import, NULL },
	{ "GET", "/fdo/vouchers", PA | TA | OP | AU, api_fdo_voucher_list, NULL },
	{ "GET", "/fdo/vouchers/{guid}", PA | TA | OP | AU, api_fdo_voucher_get, NULL },
	{ "POST", "/fdo/vouchers/{guid}/extend", PA | TA | OP, api_fdo_voucher_extend, NULL },
	{ "POST", "/lorawan/devices", PA | TA | OP, api_lorawan_device_create, NULL },
	{ "GET", "/lorawan/devices", PA | TA | OP | AU, api_lorawan_device_list, NULL },
	{ "POST", "/lorawan/devices:export", PA | TA, api_lorawan_device_export, "items" },
	{ "GET", "/lorawan/devices/{id}", PA | TA | OP | AU, api_lorawan_device_get, NULL },
	{ "PATCH", "/lorawan/devices/{id}", PA | TA | OP, api_lorawan_device_patch, NULL },
	{ "POST", "/lorawan/devices/{id}/reset-dev-nonces", PA | TA | OP,
	    api_lorawan_device_reset_dev_nonces, NULL },
	{ "POST", "/lorawan/devices/{id}/rotate-keys", PA | TA | OP, api_lorawan_device_rotate_keys,
	    NULL },
	{ "GET", "/lorawan/devices/{id}/joins", PA | TA | OP | AU, api_lorawan_device_joins, NULL },
	{ "POST", "/lorawan/peers", PA | TA, api_lorawan_peer_create, "token" },
	{ "GET", "/lorawan/peers", PA | TA | OP | AU, api_lorawan_peer_list, NULL },
	{ "GET", "/lorawan/peers/{id}", PA | TA | OP | AU, api_lorawan_peer_get, NULL },
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);

bool
api_route_is_bulk(const api_route *r)
{
	return r->fn == api_device_import;
}
